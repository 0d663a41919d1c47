using Fleet.DeviceAgent.Health;
using Fleet.DeviceAgent.Runtime;
using Fleet.DeviceAgent.State;
using Microsoft.Extensions.Options;
using MQTTnet;

namespace Fleet.DeviceAgent.Simulation;

/// <summary>Starts the simulated devices at the ramp rate, logs a summary every 10 s, and stops them all on shutdown.</summary>
internal sealed class SimulationService(
    SimulateArguments arguments,
    SimulationState state,
    IOptions<AgentOptions> options,
    MqttClientFactory clientFactory,
    TimeProvider time,
    ILoggerFactory loggerFactory,
    ILogger<SimulationService> logger) : BackgroundService
{
    private static readonly TimeSpan SummaryInterval = TimeSpan.FromSeconds(10);

    private int _started;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var deviceOptions = DeviceOptions(arguments, options.Value);
        var runtimeLogger = loggerFactory.CreateLogger<DeviceRuntime>();
        var broker = new BrokerAccess(deviceOptions, clientFactory.CreateMqttClient, time, logger: runtimeLogger);
        var healthLimits = new HealthAgentOptions();

        // Enrolment, heartbeats and credential rotation, and health reports unless they are off: no update, config
        // or TPM side. A simulated device's health outbox is in memory.
        var commands = new SimulatedCommandBehaviour(
            TimeSpan.FromSeconds(arguments.CommandSeconds), arguments.CommandFailurePercent);
        var runtimes = state.Devices
            .Select(d => new DeviceRuntime(broker, d, d, state.StoreFor(d.Index), runtimeLogger,
                arguments.HealthIntervalSeconds == 0
                    ? [new SimulatedCommands(d.Index, commands, time, runtimeLogger)]
                    : [new HealthModule(
                        d,
                        new HealthOutbox(null, healthLimits, time, runtimeLogger),
                        deviceOptions,
                        time,
                        runtimeLogger),
                        new SimulatedCommands(d.Index, commands, time, runtimeLogger)]))
            .ToArray();
        logger.LogInformation(
            "Simulating {Count} devices against {Host}:{Port} over {Transport} (seed {Seed}, {Ramp}/s, heartbeat "
            + "{Heartbeat}, health {Health}, commands take {CommandSeconds} s, {FailurePercent} % of devices fail "
            + "them)",
            runtimes.Length,
            deviceOptions.BrokerHost,
            deviceOptions.BrokerPort,
            broker.Trust is null ? "plain MQTT" : "TLS with client certificates",
            state.Seed,
            arguments.RampPerSecond,
            arguments.HeartbeatSeconds is { } s ? $"{s} s fixed" : "from the portal",
            arguments.HealthIntervalSeconds switch { 0 => "off", { } h => $"{h} s fixed", null => "from the portal" },
            arguments.CommandSeconds,
            arguments.CommandFailurePercent);

        if (state.FilePath is not null)
        {
            logger.LogInformation("Keys and credentials of the simulated devices are kept in {Path}; "
                + "{Enrolled} devices come back enrolled", state.FilePath, state.Enrolled);
        }

        using var summaryStop = new CancellationTokenSource();
        var summaries = LogSummariesAsync(runtimes, summaryStop.Token);
        var writer = state.RunWriterAsync(logger, time, summaryStop.Token);
        var running = new List<Task>(runtimes.Length);
        try
        {
            var start = time.GetTimestamp();
            foreach (var runtime in runtimes)
            {
                // Stagger connects: a broker (and the portal's enrolment ingest) should see a ramp, not a wall.
                var due = TimeSpan.FromSeconds(running.Count / arguments.RampPerSecond) - time.GetElapsedTime(start);
                if (due > TimeSpan.FromMilliseconds(10))
                {
                    await Task.Delay(due, time, stoppingToken);
                }

                running.Add(Task.Run(() => runtime.RunAsync(stoppingToken), CancellationToken.None));
                Interlocked.Increment(ref _started);
            }

            logger.LogInformation("All {Count} simulated devices started", runtimes.Length);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopped during the ramp; the devices already started still go offline below.
        }

        await Task.WhenAll(running);
        await summaryStop.CancelAsync();
        await summaries;
        await writer;
        LogSummary(runtimes, "stopped");
    }

    /// <summary>The options of every simulated device: the flags over the Agent configuration.</summary>
    internal static AgentOptions DeviceOptions(SimulateArguments arguments, AgentOptions configured) => new()
    {
        BrokerHost = arguments.BrokerHost ?? configured.BrokerHost,
        BrokerPort = arguments.BrokerPort ?? configured.BrokerPort,
        CaCertificateFile = arguments.CaFile ?? configured.CaCertificateFile,
        CaFingerprint = arguments.CaFingerprint ?? configured.CaFingerprint,
        PlainMqtt = arguments.Plain || configured.PlainMqtt,
        BootstrapPassword = configured.BootstrapPassword,
        HeartbeatIntervalOverrideSeconds = arguments.HeartbeatSeconds ?? configured.HeartbeatIntervalOverrideSeconds,
        HealthIntervalOverrideSeconds = arguments.HealthIntervalSeconds is > 0 ? arguments.HealthIntervalSeconds : configured.HealthIntervalOverrideSeconds,
        KeepAliveSeconds = configured.KeepAliveSeconds,
        TimeoutSeconds = configured.TimeoutSeconds,
        StateDirectory = configured.StateDirectory,
        HostRoot = configured.HostRoot,
        EnrollmentToken = arguments.Token ?? configured.EnrollmentToken,
        ClaimBanner = false,
    };

    private async Task LogSummariesAsync(DeviceRuntime[] runtimes, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(SummaryInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                LogSummary(runtimes, "running");
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Summary loop ends with the simulation.
        }
    }

    private void LogSummary(DeviceRuntime[] runtimes, string state)
    {
        var summary = SimulationSummary.Of(runtimes, Volatile.Read(ref _started));
        logger.LogInformation("Simulation {State}: {Summary}", state, summary);
    }
}
