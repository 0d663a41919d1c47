using Fleet.DeviceAgent.Runtime;
using Fleet.DeviceAgent.Simulation;
using Fleet.DeviceAgent.State;
using Microsoft.Extensions.Logging;
using MQTTnet;

namespace Fleet.DeviceAgent.Tests.Runtime;

/// <summary>
/// The runtime of a simulated device against a test broker, composed as the hosts compose it: enrolment (with the
/// attestations given), heartbeats, credential rotation, then the modules given.
/// </summary>
internal static class TestRuntime
{
    public static DeviceRuntime Create(
        AgentOptions options,
        IStateStore store,
        TimeProvider time,
        ILogger logger,
        IEnumerable<IDeviceModule>? modules = null,
        IEnumerable<IEnrollmentAttestation>? attestation = null,
        int seed = 11)
    {
        var device = SimulatedFleet.Create(1, seed, time)[0];
        var broker = new BrokerAccess(options, new MqttClientFactory().CreateMqttClient, time, new Random(1));
        var enrollment = new DeviceEnrollment(
            broker, device, store, new LoggedClaimCode(logger), attestation ?? [], logger);
        IDeviceModule[] basic = [new HeartbeatModule(
            device,
            options,
            logger), new CredentialRotationModule(store, logger)];
        return new DeviceRuntime(broker, enrollment, [.. basic, .. modules ?? []], store, logger);
    }
}
