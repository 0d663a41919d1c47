namespace Fleet.DeviceAgent.Updates;

/// <summary>Hosts the <see cref="UpdateCoordinator"/> loop: the update concern's own background service.</summary>
internal sealed class UpdateWorker(UpdateCoordinator coordinator) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => coordinator.RunAsync(stoppingToken);
}
