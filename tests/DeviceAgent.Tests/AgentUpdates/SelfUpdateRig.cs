using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Fleet.DeviceAgent.AgentUpdates;
using Fleet.DeviceAgent.Identity;
using Fleet.DeviceAgent.Runtime;
using Fleet.DeviceAgent.State;
using Fleet.DeviceAgent.Tests.Runtime;
using Fleet.DeviceAgent.Tests.Updates;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.DeviceAgent.Tests.AgentUpdates;

/// <summary>
/// A device for self-update tests: its binary (a stand-in build, a shell script answering <c>--version</c>) and state
/// folder in a temp folder, the fake OS's <c>systemd-run</c> and <c>systemctl</c> stand-ins on its tools' PATH, an HTTP
/// server serving builds with range requests, the portal's signing key and a real broker (<see cref="FakePortal"/>).
/// </summary>
internal sealed class SelfUpdateRig : IAsyncDisposable
{
    public const string DeviceId = "dev-1";

    private readonly TempDirectory _directory = new();
    private readonly ConcurrentDictionary<string, byte[]> _builds = new(StringComparer.Ordinal);
    private readonly List<Task> _running = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly HttpClient _http = new();

    private SelfUpdateRig(FakePortal portal)
    {
        Portal = portal;
        Server = new LoopbackHttpServer(Serve);
        Directory.CreateDirectory(_directory.Combine("bin"));
        Binary = _directory.Combine("bin/fleet-agent");
        StateDirectory = _directory.Combine("state");
        File.WriteAllBytes(Binary, Build(RunningVersion));
        File.SetUnixFileMode(Binary, AgentBinary.Mode755);
        States = new FileStateStore(
            Options.Create(new AgentOptions { StateDirectory = StateDirectory }), NullLogger<FileStateStore>.Instance);
        States.SaveAsync(
            new AgentState("enroll-00112233445566778899aabbccddeeff", DeviceId, "secret-1",
                AgentSigningKey: Convert.ToBase64String(AgentSignature.PublicKeyOf(PrivateKey))),
            CancellationToken.None).GetAwaiter().GetResult();
    }

    /// <summary>The version of the build this device runs: the agent's own.</summary>
    public static string RunningVersion => AgentVersion.Current;

    /// <summary>This machine's architecture and the other one Fleet builds.</summary>
    public static string OtherArchitecture => AgentSignature.Architectures.First(a => a != KernelArchitecture.Current);

    public FakePortal Portal { get; }

    public LoopbackHttpServer Server { get; }

    public FakeOs Os { get; } = new();

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));

    public RecordingLogger Log { get; } = new();

    public byte[] PrivateKey { get; } = AgentSignature.NewPrivateKey();

    public string Binary { get; }

    public string StateDirectory { get; }

    public FileStateStore States { get; }

    public SelfUpdateStore Store => new(StateDirectory, Log);

    /// <summary>Every request for a build, in order.</summary>
    public ConcurrentQueue<LoopbackRequest> Requests { get; } = new();

    /// <summary>Answers the next build request with only this many bytes, then closes (a cut download).</summary>
    public int? CutNextAfter { get; set; }

    /// <summary>Completed when the updater asked the agent to stop (after a swap).</summary>
    public TaskCompletionSource StopRequested { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>systemctl and systemd-run calls.</summary>
    public IReadOnlyList<string> Calls => Os.Calls;

    public static async Task<SelfUpdateRig> StartAsync()
    {
        var portal = await FakePortal.StartAsync(p => p.Credentials[DeviceId] = "secret-1");
        return new SelfUpdateRig(portal);
    }

    /// <summary>A stand-in build: a shell script that prints <paramref name="version"/> for <c>--version</c>.</summary>
    public static byte[] Build(string version, string versionCommand = "") => Encoding.UTF8.GetBytes(
        "#!/bin/sh\n# Stand-in agent build (self-update tests): answers --version as the agent does.\n"
        + (versionCommand.Length > 0 ? versionCommand + "\n" : $"[ \"$1\" = --version ] && echo '{version}'\n")
        + "exit 0\n");

    public static string Sha512Of(byte[] content) => Convert.ToHexStringLower(SHA512.HashData(content));

    /// <summary>Serves <paramref name="content"/> as the build of <paramref name="version"/> and returns the release
    /// the portal would offer for it (signed with <see cref="PrivateKey"/> over <paramref name="sha512"/>).</summary>
    public AgentRelease Offer(
        string version, byte[] content, string? architecture = null, string? sha512 = null, byte[]? signingKey = null)
    {
        architecture ??= KernelArchitecture.Current;
        sha512 ??= Sha512Of(content);
        _builds[$"/agent/{version}/{architecture}"] = content;
        return new AgentRelease(
            version,
            architecture,
            $"{Server.BaseUrl}agent/{version}/{architecture}",
            sha512,
            AgentSignature.Sign(signingKey ?? PrivateKey, version, architecture, sha512));
    }

    public AgentUpdater NewUpdater(string? runningVersion = null) => new(
        new SelfUpdateOptions { BinaryPath = Binary, ComeOnlineSeconds = 300, DownloadTimeoutSeconds = 30 },
        runningVersion ?? RunningVersion,
        Store,
        States,
        Os.Runner,
        _http,
        Time,
        () => StopRequested.TrySetResult(),
        Log);

    /// <summary>Starts a device running <paramref name="updater"/>'s module; waits until it is online.</summary>
    public async Task<DeviceRuntime> StartDeviceAsync(AgentUpdater updater)
    {
        var options = new AgentOptions
        {
            BrokerHost = "127.0.0.1",
            BrokerPort = Portal.Port,
            PlainMqtt = true,
            TimeoutSeconds = 5,
            StateDirectory = StateDirectory,
        };
        var runtime = TestRuntime.Create(options, States, Time, Log, [new AgentUpdateModule(updater, Log)]);
        _running.Add(runtime.RunAsync(_stop.Token));
        await runtime.WaitForPhaseAsync(DevicePhase.Connected, TestContext.Current.CancellationToken).Within();
        return runtime;
    }

    /// <summary>The portal publishes <paramref name="release"/> to the device.</summary>
    public Task SendAsync(AgentRelease release) =>
        Portal.SendAsync(Topics.AgentRelease(DeviceId), release, FleetJson.Default.AgentRelease);

    /// <summary>Waits for the device's report on <paramref name="version"/>.</summary>
    public async Task<AgentUpdateReport> ReportAsync(string version, AgentUpdateResult result)
    {
        var published = await Portal.WaitForAsync(p => p.Topic == Topics.AgentReport(DeviceId)
            && p.Read(FleetJson.Default.AgentUpdateReport) is var r && r.Version == version && r.Result == result);
        return published.Read(FleetJson.Default.AgentUpdateReport);
    }

    public IReadOnlyList<AgentUpdateReport> Reports => Portal.PublishedTo(Topics.AgentReport(DeviceId))
        .Select(p => p.Read(FleetJson.Default.AgentUpdateReport)).ToList();

    public void WritePending(string from, string to, byte[] build, DateTimeOffset deadline) =>
        Store.Save(new SelfUpdateState(Pending: new PendingSwap(from, to, Sha512Of(build), Binary, deadline, 300)));

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_running);
        await Server.DisposeAsync();
        await Portal.DisposeAsync();
        Os.Dispose();
        _directory.Dispose();
        _stop.Dispose();
        _http.Dispose();
    }

    /// <summary>Serves the builds, with ranges (<c>bytes=N-</c>) as the portal's <c>/agent</c> endpoint does.</summary>
    private LoopbackResponse Serve(LoopbackRequest request)
    {
        Requests.Enqueue(request);
        if (!_builds.TryGetValue(request.Path, out var content))
        {
            return new LoopbackResponse(404, [], "text/plain");
        }

        var cut = CutNextAfter;
        CutNextAfter = null;
        if (request.Header("Range") is { } range && range.StartsWith("bytes=", StringComparison.Ordinal)
            && long.TryParse(range[6..].TrimEnd('-'), CultureInfo.InvariantCulture, out var from))
        {
            return new LoopbackResponse(206, content[(int)from..], "application/octet-stream")
            {
                Headers = new Dictionary<string, string>
                {
                    ["Content-Range"] = $"bytes {from}-{content.Length - 1}/{content.Length}",
                },
            };
        }

        return new LoopbackResponse(200, content, "application/octet-stream") { CutAfter = cut };
    }
}
