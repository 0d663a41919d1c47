using Fleet.DeviceAgent.AgentUpdates;
using Fleet.DeviceAgent.Commands;
using Fleet.DeviceAgent.Config;
using Fleet.DeviceAgent.Health;
using Fleet.DeviceAgent.Identity;
using Fleet.DeviceAgent.Runtime;
using Fleet.DeviceAgent.State;
using Fleet.DeviceAgent.Terminal;
using Fleet.DeviceAgent.Tpm;
using Fleet.DeviceAgent.Updates;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using MQTTnet;

namespace Fleet.DeviceAgent;

public static class AgentHostingExtensions
{
    /// <summary>Options, clock and MQTT client factory: what both the agent and the simulator need.</summary>
    public static HostApplicationBuilder AddAgentCore(this HostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<AgentOptions>()
            .BindConfiguration(AgentOptions.SectionName)
            .ValidateWith<AgentOptions, AgentOptionsValidator>();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<MqttClientFactory>();
        builder.Services.AddSystemd();
        return builder;
    }

    /// <summary>
    /// Checks the options before anything starts, so a bad one is said in one line (which option, which rule)
    /// rather than by the host's report of a failed start with its stack trace; null when they are valid.
    /// </summary>
    public static string? OptionsProblem(this IHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        try
        {
            host.Services.GetService<Microsoft.Extensions.Options.IStartupValidator>()?.Validate();
            return null;
        }
        catch (Microsoft.Extensions.Options.OptionsValidationException ex)
        {
            return string.Join("; ", ex.Failures);
        }
        catch (InvalidOperationException ex) when (ex.InnerException is FormatException or OverflowException
                                                       or ArgumentException)
        {
            // A value of the wrong type, from the generated binder (in the agent's own assembly, so its source is
            // not the binder's); the message names the key and the value.
            return ex.Message;
        }
    }

    /// <summary>
    /// The real agent for the Linux host it runs on: the connection loop with enrolment (and the TPM when there is
    /// one), then its modules in order: heartbeats, credential rotation, OS updates, health reports, live config,
    /// self-update, the browser terminal.
    /// </summary>
    public static HostApplicationBuilder AddDeviceAgent(this HostApplicationBuilder builder)
    {
        builder.AddAgentCore();
        var services = builder.Services;

        // No trust on first use: the agent starts only knowing what the broker's certificate must chain to.
        services.AddOptions<AgentOptions>().Validate(o => BrokerTrust.Problem(o) is null, BrokerTrust.NoTrust);
        services.AddSingleton<IIdentityCollector, LinuxIdentityCollector>();
        services.AddSingleton<IHealthReader, LinuxHealthReader>();
        services.AddSingleton<IStateStore, FileStateStore>();
        services.AddSingleton(sp => new BrokerAccess(
            Options(sp),
            sp.GetRequiredService<MqttClientFactory>().CreateMqttClient,
            sp.GetRequiredService<TimeProvider>(),
            logger: RuntimeLogger(sp)));
        services.AddSingleton<IClaimCodeDisplay>(sp => Options(sp).ClaimBanner
            ? new ConsoleBannerClaimDisplay(Options(sp), RuntimeLogger(sp))
            : new LoggedClaimCode(RuntimeLogger(sp)));
        services.AddSingleton(sp => new DeviceEnrollment(
            sp.GetRequiredService<BrokerAccess>(),
            sp.GetRequiredService<IIdentityCollector>(),
            sp.GetRequiredService<IStateStore>(),
            sp.GetRequiredService<IClaimCodeDisplay>(),
            sp.GetServices<IEnrollmentAttestation>(),
            RuntimeLogger(sp)));
        services.AddSingleton<IDeviceModule>(sp =>
            new HeartbeatModule(sp.GetRequiredService<IHealthReader>(), Options(sp), RuntimeLogger(sp)));
        services.AddSingleton<IDeviceModule>(sp =>
            new CredentialRotationModule(sp.GetRequiredService<IStateStore>(), RuntimeLogger(sp)));
        builder.AddOsUpdates();
        builder.AddHealthReports();
        builder.AddLiveConfig();
        builder.AddSelfUpdate();
        builder.AddTpmAttestation();
        builder.AddCommands();
        builder.AddTerminal();
        services.AddSingleton(sp => new DeviceRuntime(
            sp.GetRequiredService<BrokerAccess>(),
            sp.GetRequiredService<DeviceEnrollment>(),
            sp.GetServices<IDeviceModule>(),
            sp.GetRequiredService<IStateStore>(),
            RuntimeLogger(sp)));
        services.AddHostedService<AgentWorker>();
        return builder;
    }

    /// <summary>The log category of the device loop and its modules, as the simulator's devices have it.</summary>
    internal static ILogger RuntimeLogger(IServiceProvider services) =>
        services.GetRequiredService<ILogger<DeviceRuntime>>();

    internal static AgentOptions Options(IServiceProvider services) =>
        services.GetRequiredService<IOptions<AgentOptions>>().Value;

    /// <summary>
    /// Commands from the portal: the ledger (each id once, results kept until acknowledged), its device module and the
    /// built-in executors, which run their tools through the same process runner as OS updates (call after
    /// <see cref="AddOsUpdates"/>).
    /// </summary>
    public static HostApplicationBuilder AddCommands(this HostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddSingleton<ICommandExecutor>(sp =>
            new SystemdCommandExecutor(sp.GetRequiredService<IProcessRunner>()));
        services.AddSingleton<ICommandExecutor>(sp =>
            new JournalCommandExecutor(sp.GetRequiredService<IProcessRunner>()));
        services.AddSingleton<ICommandExecutor>(sp => new DiagnosticCommandExecutor(
            sp.GetRequiredService<IProcessRunner>(), CommandLedger.ScriptDirectory(Options(sp).StateDirectory)));
        services.AddSingleton<ICommandExecutor>(sp =>
            new UpdateCommandExecutor(sp.GetRequiredService<IDeviceUpdates>()));
        services.AddSingleton<ICommandExecutor, WakeOnLanCommandExecutor>();
        services.AddSingleton(sp => new CommandLedger(
            sp.GetServices<ICommandExecutor>(), Options(sp).StateDirectory, sp.GetRequiredService<TimeProvider>(),
            RuntimeLogger(sp)));
        services.AddSingleton<IDeviceModule>(sp =>
            new CommandsModule(sp.GetRequiredService<CommandLedger>(), RuntimeLogger(sp)));
        return builder;
    }

    /// <summary>The browser terminal's shells (<c>Agent:Terminal</c>); no module when it is turned off.</summary>
    private static void AddTerminal(this HostApplicationBuilder builder)
    {
        builder.Services.AddOptions<TerminalAgentOptions>()
            .BindConfiguration(TerminalAgentOptions.SectionName)
            .ValidateWith<TerminalAgentOptions, TerminalAgentOptionsValidator>();
        if (builder.Configuration.GetValue($"{TerminalAgentOptions.SectionName}:Enabled", true))
        {
            builder.Services.AddSingleton<IDeviceModule>(sp => new TerminalModule(
                sp.GetRequiredService<IOptions<TerminalAgentOptions>>().Value,
                sp.GetRequiredService<TimeProvider>(),
                RuntimeLogger(sp)));
        }
    }

    /// <summary>TPM attestation in enrolment, when <c>Agent:Tpm:Enabled</c> says so or the host has a TPM.</summary>
    private static void AddTpmAttestation(this HostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<TpmOptions>()
            .BindConfiguration(TpmOptions.SectionName)
            .ValidateWith<TpmOptions, TpmOptionsValidator>();
        services.TryAddSingleton<Tpm2Tools>();
        if (Tpm2Tools.IsWanted(builder.Configuration.GetSection(TpmOptions.SectionName).Get<TpmOptions>() ?? new()))
        {
            services.AddSingleton<IEnrollmentAttestation>(sp =>
                new TpmEnrollmentAttestation(sp.GetRequiredService<Tpm2Tools>(), RuntimeLogger(sp)));
        }
    }

    /// <summary>
    /// OS update management: adapters for rpm-ostree, systemctl and greenboot (real binaries from PATH),
    /// Zincati's drop-in, the Cincinnati/FleetLock driver, the coordinator and its device module.
    /// Registered with TryAdd so a test host can put its own process runner (a PATH with stand-ins) first.
    /// </summary>
    public static HostApplicationBuilder AddOsUpdates(this HostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<UpdateAgentOptions>().BindConfiguration(UpdateAgentOptions.SectionName)
            .ValidateWith<UpdateAgentOptions, UpdateAgentOptionsValidator>();
        services.TryAddSingleton<IProcessRunner>(_ => new ProcessRunner());
        services.TryAddSingleton<IRpmOstree, RpmOstreeCli>();
        services.TryAddSingleton<SystemctlCli>();
        services.TryAddSingleton<ISystemReboot>(sp => sp.GetRequiredService<SystemctlCli>());
        services.TryAddSingleton<IServiceManager>(sp => sp.GetRequiredService<SystemctlCli>());
        services.TryAddSingleton<IUpdateHost, LinuxUpdateHost>();
        services.TryAddSingleton<IGreenbootReader, GreenbootReader>();
        services.TryAddSingleton<IUpdateStateStore, FileUpdateStateStore>();

        // One client for both protocols; long enough for a slow graph, short enough to notice a dead server.
        services.TryAddSingleton(_ => new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = TimeSpan.FromMinutes(2) });
        services.TryAddSingleton<CincinnatiClient>();
        services.TryAddSingleton<FleetLockClient>();
        services.TryAddSingleton<ZincatiConfigWriter>();
        services.TryAddSingleton<DeploymentObserver>();
        services.TryAddSingleton<UpdateDriver>();
        services.TryAddSingleton<UpdateCoordinator>();
        services.TryAddSingleton<IDeviceUpdates>(sp => sp.GetRequiredService<UpdateCoordinator>());
        services.AddSingleton<IDeviceModule>(sp =>
            new UpdatesModule(sp.GetRequiredService<IDeviceUpdates>(), RuntimeLogger(sp)));
        services.AddHostedService<UpdateWorker>();
        return builder;
    }
}
