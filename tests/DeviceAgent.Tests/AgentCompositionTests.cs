using Fleet.DeviceAgent.AgentUpdates;
using Fleet.DeviceAgent.Commands;
using Fleet.DeviceAgent.Config;
using Fleet.DeviceAgent.Health;
using Fleet.DeviceAgent.Runtime;
using Fleet.DeviceAgent.Terminal;
using Fleet.DeviceAgent.Updates;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Fleet.DeviceAgent.Tests;

/// <summary>The real agent's host registers one module per concern, in order; a concern that is off has none.</summary>
public sealed class AgentCompositionTests
{
    [Fact]
    public void AddDeviceAgent_Defaults_EveryModuleInOrder()
    {
        using var state = new TempDirectory();
        using var host = Build(state, new() { ["Agent:Tpm:Enabled"] = "false" });

        var runtime = host.Services.GetRequiredService<DeviceRuntime>();

        Assert.Equal(
            [
                typeof(HeartbeatModule), typeof(CredentialRotationModule), typeof(UpdatesModule), typeof(HealthModule),
                typeof(ConfigModule), typeof(AgentUpdateModule), typeof(CommandsModule), typeof(TerminalModule),
            ],
            runtime.Modules.Select(m => m.GetType()));
        Assert.Empty(host.Services.GetServices<IEnrollmentAttestation>());
    }

    [Fact]
    public void AddDeviceAgent_HealthConfigSelfUpdateTerminalOffTpmOn_NoModulesForThemAndTheTpmInEnrolment()
    {
        using var state = new TempDirectory();
        using var host = Build(state, new()
        {
            ["Agent:Health:Enabled"] = "false",
            ["Agent:Config:Enabled"] = "false",
            ["Agent:SelfUpdate:Enabled"] = "false",
            ["Agent:Terminal:Enabled"] = "false",
            ["Agent:Tpm:Enabled"] = "true",
        });

        var runtime = host.Services.GetRequiredService<DeviceRuntime>();

        Assert.Equal(
            [
                typeof(HeartbeatModule), typeof(CredentialRotationModule), typeof(UpdatesModule),
                typeof(CommandsModule),
            ],
            runtime.Modules.Select(m => m.GetType()));
        Assert.IsType<Tpm.TpmEnrollmentAttestation>(Assert.Single(host.Services.GetServices<IEnrollmentAttestation>()));
    }

    private static IHost Build(TempDirectory state, Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [] });
        settings["Agent:StateDirectory"] = state.Path;
        settings["Agent:PlainMqtt"] = "true";
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddDeviceAgent();
        return builder.Build();
    }
}
