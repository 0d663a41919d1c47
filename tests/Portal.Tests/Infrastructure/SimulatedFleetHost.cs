using Fleet.DeviceAgent.Simulation;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Enrollment;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Tests.Infrastructure;

/// <summary>
/// The agent's <c>simulate</c> command, run in this process against a portal's plain MQTT port: its devices enrol
/// with a token the portal approves automatically, and answer commands as the simulator does
/// (<see cref="SimulatedCommands"/>). Hostnames are <c>sim-00001</c> onwards (device index + 1).
/// </summary>
public sealed class SimulatedFleetHost : IAsyncDisposable
{
    /// <summary>Portal settings that let a thousand devices enrol from 127.0.0.1 within seconds.</summary>
    public static readonly IReadOnlyDictionary<string, string?> PortalSettings = new Dictionary<string, string?>
    {
        ["Fleet:Mqtt:EnrollmentRequestsPerAddressPerSecond"] = "2000",
        ["Fleet:Mqtt:EnrollmentBurstPerAddress"] = "5000",
        ["Fleet:Mqtt:MaxBootstrapSessionsPerAddress"] = "5000",
        ["Fleet:Mqtt:MaxPendingConnectionsPerAddress"] = "2000",
    };

    private readonly CancellationTokenSource _stop;
    private readonly Task<int> _run;

    private SimulatedFleetHost(CancellationTokenSource stop, Task<int> run, string tokenName)
    {
        _stop = stop;
        _run = run;
        TokenName = tokenName;
    }

    /// <summary>The enrolment token's name: its devices are approved by <c>token:{name}</c>.</summary>
    public string TokenName { get; }

    /// <summary>Starts <paramref name="count"/> devices (in <paramref name="group"/>, when given) and waits until
    /// the portal has them all approved and online. <paramref name="options"/> are more <c>simulate</c> flags
    /// (<c>--command-seconds 1</c>).</summary>
    public static async Task<SimulatedFleetHost> StartAsync(
        PortalInstance portal, int count, string? group = null, params string[] options)
    {
        ArgumentNullException.ThrowIfNull(portal);
        var enrollment = portal.Services.GetRequiredService<EnrollmentService>();
        await enrollment.SetPolicyAsync(new EnrollmentPolicyInput(false, true), TestActors.Admin);
        var name = $"sim-{Guid.NewGuid():N}"[..16];
        var created = await enrollment.CreateTokenAsync(new CreateTokenInput(name, group), TestActors.Admin);
        var token = created.Value!.Value;
        var stop = new CancellationTokenSource();
        string[] args =
        [
            "--count", count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--broker", $"127.0.0.1:{portal.MqttPort}", "--plain", "--token", token, "--health-interval", "0",
            "--ramp-per-second", "500", .. options,
        ];
        var host = new SimulatedFleetHost(stop, Task.Run(() => SimulateCommand.RunAsync(args, stop.Token)), name);
        await host.WaitOnlineAsync(portal, count);
        return host;
    }

    /// <summary>Waits until <paramref name="count"/> of its devices are approved and online (after a restart).
    /// </summary>
    public Task WaitOnlineAsync(PortalInstance portal, int count)
    {
        ArgumentNullException.ThrowIfNull(portal);
        var approvedBy = $"token:{TokenName}";
        return portal.WaitForAsync(
            async () =>
            {
                if (_run.IsCompleted)
                {
                    throw new InvalidOperationException($"simulate ended early with {await _run}");
                }

                await using var db = await portal.CreateDbAsync();
                var online = await db.Devices.CountAsync(
                    d => d.IsOnline && d.State == EnrollmentState.Approved && d.ApprovedBy == approvedBy);
                return online == count ? "online" : null;
            },
            TimeSpan.FromMinutes(3),
            $"{count} simulated devices online");
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _run;
        _stop.Dispose();
    }
}
