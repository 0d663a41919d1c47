using Fleet.Portal.Data;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Devices;
using Fleet.Portal.Features.Users;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Tests.Infrastructure;

/// <summary>
/// The real portal on Kestrel (loopback, free port) with a real SQLite file in a temp folder and
/// its embedded MQTT broker on two more free ports: plain MQTT (<see cref="MqttPort"/>, what most tests use) and MQTTS
/// (<see cref="MqttTlsPort"/>).
/// </summary>
public sealed class PortalInstance : IAsyncDisposable
{
    public const string AdminPassword = "test-admin-password";

    private readonly WebApplication _app;

    private PortalInstance(WebApplication app, string dataDirectory, RecordingLoggerProvider logs)
    {
        _app = app;
        DataDirectory = dataDirectory;
        Logs = logs;
    }

    public string DataDirectory { get; }

    /// <summary>The broker's plain MQTT port (Fleet:Mqtt:PlainPort), read back once it listens.</summary>
    public int MqttPort { get; private set; }

    /// <summary>The broker's MQTTS port (Fleet:Mqtt:Port), read back once it listens.</summary>
    public int MqttTlsPort { get; private set; }

    public RecordingLoggerProvider Logs { get; }

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The https address (its port read back), when started with <c>https: true</c>; else null.</summary>
    public Uri? HttpsAddress { get; private set; }

    public IServiceProvider Services => _app.Services;

    public DeviceService Devices => Services.GetRequiredService<DeviceService>();

    public UserService Users => Services.GetRequiredService<UserService>();

    public AuditQueryService AuditQuery => Services.GetRequiredService<AuditQueryService>();

    /// <param name="time">A clock for the whole portal (token expiry tests pass a FakeTimeProvider); the system clock by default.</param>
    /// <param name="mqttPort">The plain MQTT port (a restart passes the one it had); free by default.</param>
    /// <param name="mqttTlsPort">The MQTTS port (a restart passes the one it had); free by default.</param>
    /// <param name="services">Extra registrations after the portal's own (a recording <c>IUpdateOutcomeSink</c>, a test policy provider).</param>
    /// <param name="https">An https address on another free port besides the plain one (<see cref="HttpsAddress"/>).
    /// </param>
    public static async Task<PortalInstance> StartAsync(
        IDictionary<string, string?>? settings = null,
        string? dataDirectory = null,
        int? mqttPort = null,
        TimeProvider? time = null,
        Action<IServiceCollection>? services = null,
        bool https = false,
        int? mqttTlsPort = null)
    {
        dataDirectory ??= Directory.CreateTempSubdirectory("fleet-portal-").FullName;
        var logs = new RecordingLoggerProvider();
        var config = new Dictionary<string, string?>
        {
            ["Fleet:Storage:DataDirectory"] = dataDirectory,

            // Port 0: the broker binds a free port and the instance reads it back (a restart passes it again).
            ["Fleet:Mqtt:Port"] = (mqttTlsPort ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Fleet:Mqtt:BindAddress"] = "127.0.0.1",
            ["Fleet:Mqtt:PlainPort"] = (mqttPort ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Fleet:Mqtt:PlainBindAddress"] = "127.0.0.1",
            ["Fleet:Devices:PresenceSweepSeconds"] = "1",
            ["FLEET_ADMIN_PASSWORD"] = AdminPassword,
            ["Logging:LogLevel:Default"] = "Information",
            ["Logging:LogLevel:Microsoft"] = "Warning",
            ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Information",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            config[key] = value;
        }

        var urls = https ? "http://127.0.0.1:0;https://127.0.0.1:0" : "http://127.0.0.1:0";
        var app = PortalApp.Build(["--urls", urls, "--environment", "Development"], builder =>
        {
            builder.Configuration.AddInMemoryCollection(config);
            builder.Logging.AddProvider(logs);
            if (time is not null)
            {
                builder.Services.AddSingleton(time);
            }

            services?.Invoke(builder.Services);
        });
        var instance = new PortalInstance(app, dataDirectory, logs);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        instance.BaseAddress = new Uri(addresses.First(a => a.StartsWith("http://", StringComparison.Ordinal)));
        instance.HttpsAddress = addresses.Where(a => a.StartsWith("https://", StringComparison.Ordinal))
            .Select(a => new Uri(a)).FirstOrDefault();
        var broker = app.Services.GetRequiredService<Fleet.Portal.Messaging.EmbeddedBroker>();
        instance.MqttTlsPort = broker.Port;
        instance.MqttPort = broker.PlainPort ?? 0;
        return instance;
    }

    /// <summary>
    /// Declares Error entries containing <paramref name="fragment"/> (message or exception) as provoked by the
    /// test; any other Error or Critical entry fails the test when the portal is disposed.
    /// </summary>
    public void ExpectErrors(string fragment) => Logs.ExpectErrors(fragment);

    /// <inheritdoc cref="RecordingLoggerProvider.ExpectErrors(Func{LogEntry, bool})"/>
    public void ExpectErrors(Func<LogEntry, bool> match) => Logs.ExpectErrors(match);

    public async Task<FleetDbContext> CreateDbAsync() =>
        await Services.GetRequiredService<IDbContextFactory<FleetDbContext>>().CreateDbContextAsync();

    /// <summary>
    /// Waits until <paramref name="condition"/> holds, re-checking whenever the portal reports a device
    /// change (and every 200 ms as a backstop for changes that notify nobody).
    /// </summary>
    public async Task<T> WaitForAsync<T>(Func<Task<T?>> condition, TimeSpan? timeout = null, string? what = null)
        where T : class
    {
        var notifier = Services.GetRequiredService<DeviceNotifier>();
        var signal = new SemaphoreSlim(0);
        void OnChanged(IReadOnlyCollection<Guid> ids) => signal.Release();
        notifier.DevicesChanged += OnChanged;
        try
        {
            using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
            while (true)
            {
                if (await condition() is { } value)
                {
                    return value;
                }

                try
                {
                    await signal.WaitAsync(TimeSpan.FromMilliseconds(200), cts.Token);
                }
                catch (OperationCanceledException)
                {
                    throw new TimeoutException($"Timed out waiting for {what ?? "condition"}. Recent log:\n" + string.Join('\n', Logs.Entries.TakeLast(30)));
                }
            }
        }
        finally
        {
            notifier.DevicesChanged -= OnChanged;
        }
    }

    public async Task<Device?> FindDeviceAsync(Func<Device, bool> match)
    {
        await using var db = await CreateDbAsync();
        return (await db.Devices.AsNoTracking().Include(d => d.Macs).ToListAsync()).FirstOrDefault(match);
    }

    /// <summary>
    /// Stops the portal, then fails (<see cref="UnexpectedErrorLogException"/>) if it logged an Error or Critical
    /// entry, stopping included, that the test did not declare with <see cref="ExpectErrors(string)"/>.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Logs.ThrowIfUnexpectedErrors();
    }
}
