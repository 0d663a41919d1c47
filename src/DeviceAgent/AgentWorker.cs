using Fleet.DeviceAgent.Config;
using Fleet.DeviceAgent.Health;
using Fleet.DeviceAgent.Identity;
using Fleet.DeviceAgent.Runtime;
using Fleet.DeviceAgent.State;
using Fleet.DeviceAgent.Updates;
using Microsoft.Extensions.Options;
using MQTTnet;

namespace Fleet.DeviceAgent;

/// <summary>The real agent: one <see cref="DeviceRuntime"/> for the machine it runs on.</summary>
internal sealed class AgentWorker(
    IIdentityCollector identity,
    IHealthReader health,
    IStateStore store,
    IOptions<AgentOptions> options,
    MqttClientFactory clientFactory,
    TimeProvider time,
    ILogger<DeviceRuntime> logger,
    IDeviceUpdates? updates = null,
    IOptions<HealthAgentOptions>? healthOptions = null,
    IHealthSource? healthSource = null,
    IDeviceConfig? config = null,
    Tpm.Tpm2Tools? tpm = null) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var sampler = healthOptions?.Value.Enabled == false ? null : healthSource;
        var claimDisplay = options.Value.ClaimBanner ? new ConsoleBannerClaimDisplay(options.Value, logger) : null;
        var outboxDirectory = Path.Combine(options.Value.StateDirectory, HealthOutbox.DirectoryName);
        var outbox = sampler is null
            ? null
            : new HealthOutbox(outboxDirectory, healthOptions?.Value ?? new(), time, logger);
        var runtime = new DeviceRuntime(identity, health, store, options.Value, clientFactory.CreateMqttClient, time, logger,
            updates: updates, healthSource: sampler, config: config, tpm: tpm is { IsEnabled: true } ? tpm : null,
            claimDisplay: claimDisplay, healthOutbox: outbox);
        return runtime.RunAsync(stoppingToken);
    }
}
