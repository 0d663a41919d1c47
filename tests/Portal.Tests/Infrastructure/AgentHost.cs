using Fleet.DeviceAgent;
using Microsoft.Extensions.Hosting;

namespace Fleet.Portal.Tests.Infrastructure;

/// <summary>
/// The real device agent host (the same <c>AddDeviceAgent</c> wiring as <c>dotnet run --project src/DeviceAgent</c>),
/// reading this machine's identity and talking to the portal over TCP, with its state in a temp folder.
/// </summary>
public sealed class AgentHost : IAsyncDisposable
{
    private readonly IHost _host;

    private AgentHost(IHost host, string stateDirectory)
    {
        _host = host;
        StateDirectory = stateDirectory;
    }

    public string StateDirectory { get; }

    /// <summary>Where the agent writes its claim banner (<c>etc/issue.d/fleet-claim.issue</c> under a temp root).</summary>
    public string ClaimBannerPath => Path.Combine(Path.GetDirectoryName(StateDirectory)!, "banner-root", "etc", "issue.d", "fleet-claim.issue");

    /// <param name="settings">Extra configuration, e.g. <c>Agent:Updates:CheckIntervalMinutes</c>.</param>
    /// <param name="services">Registrations after the agent's own, e.g. a <c>FakeOs.Runner</c> as <c>IProcessRunner</c> so rpm-ostree and systemctl are the stand-ins.</param>
    public static async Task<AgentHost> StartAsync(
        int mqttPort,
        string? stateDirectory = null,
        string hostRoot = "/",
        IDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null)
    {
        stateDirectory ??= Path.Combine(Directory.CreateTempSubdirectory("fleet-agent-").FullName, "state");
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Agent:BrokerHost"] = "127.0.0.1",
            ["Agent:BrokerPort"] = mqttPort.ToString(System.Globalization.CultureInfo.InvariantCulture),

            // The portal's plain port unless a test says otherwise (Agent:PlainMqtt=false, a CA, the TLS port).
            ["Agent:PlainMqtt"] = "true",
            ["Agent:StateDirectory"] = stateDirectory,
            ["Agent:HostRoot"] = hostRoot,
            ["Agent:KeepAliveSeconds"] = "5",

            // Never the test machine's own /etc/issue.d.
            ["Agent:ClaimBannerRoot"] = Path.Combine(Path.GetDirectoryName(stateDirectory)!, "banner-root"),

            // Never the test runner itself: a build the portal offers would be swapped in here.
            ["Agent:SelfUpdate:BinaryPath"] =
                Path.Combine(Path.GetDirectoryName(stateDirectory)!, "bin", "fleet-agent"),
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.AddDeviceAgent();
        services?.Invoke(builder.Services);
        var host = builder.Build();
        await host.StartAsync();
        return new AgentHost(host, stateDirectory);
    }

    /// <summary>
    /// Approves the enrolment of the agent of this machine (found by its <c>/etc/machine-id</c>) as an Operator and
    /// waits until it is online; returns its device id.
    /// </summary>
    public static async Task<Guid> ApproveAsync(PortalInstance portal)
    {
        ArgumentNullException.ThrowIfNull(portal);
        var machineId = (await File.ReadAllTextAsync("/etc/machine-id")).Trim();
        var pending = await portal.WaitForAsync(
            () => portal.FindDeviceAsync(d => d.MachineId == machineId), what: "pending agent");
        await portal.Devices.ApproveAsync(pending.Id, TestActors.Operator);
        await portal.WaitForAsync(() => portal.FindDeviceAsync(d => d.Id == pending.Id && d.IsOnline), what: "online");
        return pending.Id;
    }

    /// <summary>Stops the agent the way systemd does (SIGTERM): it says Offline and disconnects cleanly.</summary>
    public async Task StopAsync() => await _host.StopAsync(TimeSpan.FromSeconds(15));

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _host.Dispose();
    }
}
