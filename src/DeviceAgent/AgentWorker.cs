using Fleet.DeviceAgent.Runtime;

namespace Fleet.DeviceAgent;

/// <summary>The real agent: the one <see cref="DeviceRuntime"/> of the machine it runs on.</summary>
internal sealed class AgentWorker(DeviceRuntime runtime) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => runtime.RunAsync(stoppingToken);
}
