using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Fleet.DeviceAgent.Tests;

/// <summary>A bad agent option stops the start with one line naming it, before anything runs.</summary>
public sealed class AgentOptionsProblemTests
{
    [Fact]
    public void OptionsProblem_BrokerPortOutOfRange_NamesTheOptionAndTheRule()
    {
        using var host = Build(new() { ["Agent:BrokerPort"] = "70000" });

        var problem = host.OptionsProblem();

        Assert.NotNull(problem);
        Assert.Contains("AgentOptions.BrokerPort", problem, StringComparison.Ordinal);
        Assert.Contains("must be between 1 and 65535", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void OptionsProblem_BrokerPortNotANumber_NamesTheKeyAndTheValue()
    {
        using var host = Build(new() { ["Agent:BrokerPort"] = "abc" });

        Assert.Equal(
            "Failed to convert configuration value 'abc' at 'Agent:BrokerPort' to type 'System.Int32'.",
            host.OptionsProblem());
    }

    [Fact]
    public void OptionsProblem_SelfUpdateDeadlineTooShort_NamesTheOptionAndTheRule()
    {
        using var state = new TempDirectory();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [] });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Agent:StateDirectory"] = state.Path,
            ["Agent:Tpm:Enabled"] = "false",
            ["Agent:PlainMqtt"] = "true",
            ["Agent:SelfUpdate:ComeOnlineSeconds"] = "5",
        });
        builder.AddDeviceAgent();
        using var host = builder.Build();

        var problem = host.OptionsProblem();

        Assert.NotNull(problem);
        Assert.Contains("SelfUpdateOptions.ComeOnlineSeconds", problem, StringComparison.Ordinal);
        Assert.Contains("must be between 30 and 86400", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void OptionsProblem_AgentWithoutCaFilePinOrPlain_NoTrustOnFirstUse()
    {
        using var state = new TempDirectory();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [] });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Agent:StateDirectory"] = state.Path,
            ["Agent:Tpm:Enabled"] = "false",
        });
        builder.AddDeviceAgent();
        using var host = builder.Build();

        Assert.Equal(Fleet.DeviceAgent.Runtime.BrokerTrust.NoTrust, host.OptionsProblem());
    }

    [Fact]
    public void OptionsProblem_ValidOptions_None()
    {
        using var host = Build(new() { ["Agent:BrokerPort"] = "1884" });

        Assert.Null(host.OptionsProblem());
    }

    private static IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [] });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddAgentCore();
        return builder.Build();
    }
}
