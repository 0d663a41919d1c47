using System.Globalization;
using Fleet.DeviceAgent.Health;
using Fleet.DeviceAgent.Runtime;

namespace Fleet.DeviceAgent.Simulation;

/// <summary>Counts of simulated devices per phase, for the periodic summary line.</summary>
internal sealed record SimulationSummary(int Total, int Started, IReadOnlyDictionary<DevicePhase, int> Phases, long Heartbeats, long ConnectFailures, long HealthReports = 0)
{
    public static SimulationSummary Of(IReadOnlyCollection<DeviceRuntime> runtimes, int started)
    {
        var phases = Enum.GetValues<DevicePhase>().ToDictionary(p => p, _ => 0);
        long heartbeats = 0, failures = 0, health = 0;
        foreach (var runtime in runtimes)
        {
            phases[runtime.Phase]++;
            failures += runtime.ConnectFailures;
            var modules = runtime.Modules;
            for (var i = 0; i < modules.Count; i++)
            {
                switch (modules[i])
                {
                    case HeartbeatModule heartbeat:
                        heartbeats += heartbeat.Sent;
                        break;
                    case HealthModule reports:
                        health += reports.Sent;
                        break;
                    default:
                        break;
                }
            }
        }

        // Devices not started yet sit in Disconnected; report them separately so a ramp does not look like an outage.
        phases[DevicePhase.Disconnected] -= runtimes.Count - started;
        return new SimulationSummary(runtimes.Count, started, phases, heartbeats, failures, health);
    }

    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Total} devices, {Started} started: {Phases[DevicePhase.Connected]} connected, {Phases[DevicePhase.Pending]} pending, "
        + $"{Phases[DevicePhase.Enrolling]} enrolling, {Phases[DevicePhase.Rejected]} rejected, {Phases[DevicePhase.Disconnected]} disconnected, "
        + $"{Phases[DevicePhase.Stopped]} stopped; {Heartbeats} heartbeats, {HealthReports} health reports, {ConnectFailures} failed connects");
}
