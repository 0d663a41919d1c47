using System.ComponentModel;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Threading.Channels;
using Fleet.DeviceAgent.Identity;
using Fleet.DeviceAgent.Runtime;
using Fleet.DeviceAgent.State;
using Fleet.DeviceAgent.Updates;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Logging;

namespace Fleet.DeviceAgent.AgentUpdates;

/// <summary>
/// The agent replacing itself with the build the portal offers (<see cref="AgentRelease"/>). A build for this
/// machine's architecture whose version differs from the running one is downloaded beside the binary as <c>.new</c>
/// (resumed with an HTTP range after a cut), checked against the SHA-512 the portal signed with the key this agent
/// got at enrolment, and run with <c>--version</c>; then the running build is kept as <c>.previous</c>, a pending swap
/// is recorded, the restorer timer is armed, <c>.new</c> is renamed over the binary and the agent stops so that
/// systemd starts the new build. The new build confirms the swap once online (<see cref="AgentUpdateResult.Installed"/>
/// and the timer stopped); if it never does, the restorer (<see cref="AgentRestorer"/>) puts the previous build back.
/// </summary>
/// <remarks>
/// A build refused (bad hash or signature, too large, does not start) is reported and not tried again until another
/// is offered; a download or swap that fails is reported and retried with back-off. Reports wait in the self-update
/// state until the broker acknowledges them, so a report made offline (or by the restorer) is sent once online.
/// </remarks>
public sealed class AgentUpdater : IReportSource<AgentUpdateReport>
{
    private static readonly TimeSpan TrialTimeout = TimeSpan.FromSeconds(30);

    private readonly SelfUpdateOptions _options;
    private readonly AgentBinary _binary;
    private readonly SelfUpdateStore _store;
    private readonly IStateStore _agentState;
    private readonly AgentUnits _units;
    private readonly IProcessRunner _runner;
    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly Action _stopAgent;
    private readonly ILogger _logger;
    private readonly ReconnectBackoff _backoff;
    private readonly Lock _gate = new();
    private readonly Channel<bool> _signal =
        Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    private SelfUpdateState _state;
    private AgentRelease? _offered;
    private DateTimeOffset _due = DateTimeOffset.MaxValue;
    private bool _online;
    private bool _swapped;

    /// <param name="options">Where the binary is, the deadline to come online, the download's limits.</param>
    /// <param name="runningVersion">The version of this build (<see cref="AgentVersion.Current"/>).</param>
    /// <param name="store">The self-update state in the agent's state folder.</param>
    /// <param name="agentState">The agent's state, which holds the portal's signing key.</param>
    /// <param name="runner">Runs the new build's <c>--version</c>, <c>systemd-run</c> and <c>systemctl</c>.</param>
    /// <param name="http">Downloads builds.</param>
    /// <param name="time">The clock for deadlines, reports and retries.</param>
    /// <param name="stopAgent">Stops the agent after a swap (systemd then starts the new build).</param>
    /// <param name="logger">Where every decision is logged.</param>
    public AgentUpdater(
        SelfUpdateOptions options,
        string runningVersion,
        SelfUpdateStore store,
        IStateStore agentState,
        IProcessRunner runner,
        HttpClient http,
        TimeProvider time,
        Action stopAgent,
        ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(store);
        _options = options;
        RunningVersion = runningVersion;
        _binary = new AgentBinary(options.BinaryPath ?? Environment.ProcessPath
            ?? throw new InvalidOperationException("The agent's path is unknown; set Agent:SelfUpdate:BinaryPath."));
        _store = store;
        _agentState = agentState;
        _runner = runner;
        _units = new AgentUnits(runner);
        _http = http;
        _time = time;
        _stopAgent = stopAgent;
        _logger = logger;
        _backoff = new ReconnectBackoff(TimeSpan.FromMinutes(1), TimeSpan.FromHours(1), Random.Shared);
        _state = store.Load();
    }

    public event EventHandler? ReportReady;

    public string RunningVersion { get; }

    /// <summary>The agent binary this updater replaces.</summary>
    public string BinaryPath => _binary.Path;

    /// <summary>The self-update state as last saved.</summary>
    public SelfUpdateState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    /// <summary>The portal offers <paramref name="release"/> (the retained message comes again on every connection).
    /// </summary>
    public void Offer(AgentRelease release)
    {
        ArgumentNullException.ThrowIfNull(release);
        lock (_gate)
        {
            if (release == _offered)
            {
                return;   // the same offer again: keep its retry time
            }

            _offered = release;
            _due = DateTimeOffset.MinValue;
            _backoff.Reset();
        }

        _signal.Writer.TryWrite(true);
    }

    /// <summary>The device is online: a new build waiting for that confirms its swap.</summary>
    public void OnOnline()
    {
        lock (_gate)
        {
            _online = true;
        }

        _signal.Writer.TryWrite(true);
    }

    public AgentUpdateReport? NextReport()
    {
        lock (_gate)
        {
            return _state.Unsent is [var first, ..] ? first : null;
        }
    }

    public void Delivered(AgentUpdateReport report)
    {
        lock (_gate)
        {
            Save(_state with { Unsent = [.. (_state.Unsent ?? []).Where(r => r != report)] });
        }
    }

    /// <summary>
    /// Works for the whole enrolled life: settles a swap left from before, confirms this build's own swap once online,
    /// then handles offers one at a time. Returns when cancelled or after a swap.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            await SettleInterruptedSwapAsync(cancellationToken);
            while (!Volatile.Read(ref _swapped))
            {
                if (await ConfirmAsync(cancellationToken))
                {
                    continue;
                }

                AgentRelease? offered;
                DateTimeOffset due;
                lock (_gate)
                {
                    var waiting = _state.Pending?.To == RunningVersion;
                    (offered, due) = waiting ? (null, DateTimeOffset.MaxValue) : (_offered, _due);
                }

                if (offered is not null && _time.GetUtcNow() >= due)
                {
                    await AttemptAsync(offered, cancellationToken);
                    continue;
                }

                await WaitAsync(offered is null ? DateTimeOffset.MaxValue : due, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping (or enrolling again) is the normal way out.
        }
    }

    /// <summary>A swap recorded but this is not the build it swapped in: it never completed (a crash in between).
    /// </summary>
    private async Task SettleInterruptedSwapAsync(CancellationToken cancellationToken)
    {
        PendingSwap? pending;
        lock (_gate)
        {
            pending = _state.Pending;
            if (pending is null || pending.To == RunningVersion)
            {
                return;
            }

            Report(
                _state with { Pending = null },
                new(pending.To, AgentUpdateResult.Failed, _time.GetUtcNow(),
                    $"The swap to {pending.To} did not complete; {RunningVersion} is running."));
        }

        _logger.LogWarning(
            "A swap from agent {From} to {To} did not complete; {Running} keeps running",
            pending.From, pending.To, RunningVersion);
        await _units.CancelRestorerAsync(cancellationToken);
    }

    /// <summary>This build was swapped in and is online now: the swap is done. True when it confirmed one.</summary>
    private async Task<bool> ConfirmAsync(CancellationToken cancellationToken)
    {
        PendingSwap? pending;
        lock (_gate)
        {
            pending = _state.Pending;
            if (pending is null || pending.To != RunningVersion || !_online)
            {
                return false;
            }

            Report(
                _state with { Pending = null },
                new(pending.To, AgentUpdateResult.Installed, _time.GetUtcNow(), $"Replaced {pending.From}."));
        }

        _logger.LogInformation(
            "Agent {To} is online in place of {From}; {Previous} is kept", pending.To, pending.From, _binary.Previous);
        var cancelled = await _units.CancelRestorerAsync(cancellationToken);
        if (!cancelled.Succeeded)
        {
            // Harmless: with nothing pending, the restorer does nothing when it runs.
            _logger.LogWarning(
                "Could not stop the restorer timer {Unit}: {Error}", AgentUnits.RestorerUnit, cancelled.Explanation);
        }

        return true;
    }

    private async Task AttemptAsync(AgentRelease release, CancellationToken cancellationToken)
    {
        try
        {
            if (!await InstallAsync(release, cancellationToken))
            {
                lock (_gate)
                {
                    _due = release == _offered ? DateTimeOffset.MaxValue : _due;
                }

                return;
            }

            Volatile.Write(ref _swapped, true);
            _logger.LogInformation(
                "Agent {Version} is in place of {Running}; stopping so that systemd starts it", release.Version,
                RunningVersion);
            _stopAgent();
        }
        catch (ReleaseRefusedException ex)
        {
            File.Delete(_binary.New);
            _logger.LogWarning("Refused agent {Version}: {Reason}", release.Version, ex.Message);
            lock (_gate)
            {
                _due = release == _offered ? DateTimeOffset.MaxValue : _due;
                Report(
                    _state with { Declined = OfferedBuild.Of(release), Downloading = null },
                    new(release.Version, AgentUpdateResult.Refused, _time.GetUtcNow(), AgentRestorer.Cut(ex.Message)));
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            TimeSpan delay;
            lock (_gate)
            {
                delay = _backoff.Next();
                _due = release == _offered ? _time.GetUtcNow() + delay : _due;
                Report(
                    _state,
                    new(release.Version, AgentUpdateResult.Failed, _time.GetUtcNow(), AgentRestorer.Cut(ex.Message)));
            }

            _logger.LogWarning(
                "Installing agent {Version} failed: {Error}. Trying again in {Minutes:0.0} min",
                release.Version, ex.Message, delay.TotalMinutes);
        }
    }

    /// <summary>True when the build was swapped in; false when there is nothing to do.</summary>
    /// <exception cref="ReleaseRefusedException">The build must not be installed.</exception>
    private async Task<bool> InstallAsync(AgentRelease release, CancellationToken cancellationToken)
    {
        var build = OfferedBuild.Of(release);
        if (release.Version == RunningVersion)
        {
            // The portal went back to this build (a halted rollout): a part downloaded of another is not needed.
            _logger.LogDebug("Agent {Version} is the running one", release.Version);
            lock (_gate)
            {
                if (_state.Downloading is not null)
                {
                    File.Delete(_binary.New);
                    Save(_state with { Downloading = null });
                }
            }

            return false;
        }

        if (release.Architecture != KernelArchitecture.Current)
        {
            _logger.LogWarning(
                "Ignoring agent {Version} for {Architecture}: this machine is {Machine}",
                release.Version, release.Architecture, KernelArchitecture.Current);
            return false;
        }

        if (State.Declined == build)
        {
            _logger.LogDebug("Agent {Version} was refused or rolled back before; not trying it again", release.Version);
            return false;
        }

        var key = await SigningKeyAsync(cancellationToken);
        Check(release);
        if (!AgentSignature.Verify(key, release.Version, release.Architecture, build.Sha512, release.Signature))
        {
            throw new ReleaseRefusedException("the signature does not verify with the portal's signing key");
        }

        if (Path.GetFileNameWithoutExtension(_binary.Path) == "dotnet")
        {
            throw new ReleaseRefusedException(
                $"the agent runs under {_binary.Path}; only a native build replaces itself");
        }

        _logger.LogInformation("Downloading agent {Version} from {Url}", release.Version, release.Url);
        var resumed = await DownloadAsync(release, build, cancellationToken);
        var sha512 = await HashAsync(_binary.New, cancellationToken);
        if (sha512 != build.Sha512 && resumed)
        {
            // The part kept from before may be what is wrong: the next attempt downloads it all.
            File.Delete(_binary.New);
            throw new IOException($"the SHA-512 of the resumed download is {sha512}, not the signed {build.Sha512}");
        }

        if (sha512 != build.Sha512)
        {
            throw new ReleaseRefusedException(
                $"the SHA-512 of the download is {sha512}, not the signed {build.Sha512}");
        }

        _binary.MakeNewExecutable();
        await TryStartAsync(release.Version, cancellationToken);
        _binary.CopyAtomically(_binary.Path, _binary.Previous);
        var now = _time.GetUtcNow();
        var pending = new PendingSwap(
            RunningVersion,
            release.Version,
            sha512,
            _binary.Path,
            now.AddSeconds(_options.ComeOnlineSeconds),
            _options.ComeOnlineSeconds);
        lock (_gate)
        {
            Save(_state with { Pending = pending, Downloading = null });
        }

        try
        {
            var stateDirectory = Path.GetDirectoryName(_store.FilePath)!;
            await _units.ScheduleRestorerAsync(
                _binary.Previous, _options.ComeOnlineSeconds, stateDirectory, cancellationToken);
            _binary.MoveAtomically(_binary.New, _binary.Path);
        }
        catch
        {
            lock (_gate)
            {
                Save(_state with { Pending = null });
            }

            await _units.CancelRestorerAsync(CancellationToken.None);
            throw;
        }

        return true;
    }

    private async Task<byte[]> SigningKeyAsync(CancellationToken cancellationToken)
    {
        var encoded = (await _agentState.LoadAsync(cancellationToken))?.AgentSigningKey;
        if (string.IsNullOrEmpty(encoded))
        {
            throw new ReleaseRefusedException("no signing key from the portal; enrol again");
        }

        var key = new byte[AgentSignature.KeySize];
        if (!Convert.TryFromBase64String(encoded, key, out var written) || written != AgentSignature.KeySize)
        {
            throw new ReleaseRefusedException("the portal's signing key is not a base64 Ed25519 key; enrol again");
        }

        return key;
    }

    private static void Check(AgentRelease release)
    {
        if (release.Version.Length is 0 or > Protocol.MaxAgentVersionLength
            || release.Sha512.Length != 128 || !release.Sha512.All(char.IsAsciiHexDigit)
            || !Uri.TryCreate(release.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            throw new ReleaseRefusedException(
                "the release is malformed (version, 128 hex digits of SHA-512 and an http(s) URL are required)");
        }
    }

    /// <summary>
    /// Downloads into <c>.new</c>, continuing a part left by a cut download of the same build with a range request;
    /// true when it continued one.
    /// </summary>
    private async Task<bool> DownloadAsync(
        AgentRelease release, OfferedBuild build, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_state.Downloading != build)
            {
                File.Delete(_binary.New);
                Save(_state with { Downloading = build });
            }
        }

        var limit = _options.MaxDownloadMegabytes * 1024L * 1024L;
        var existing = File.Exists(_binary.New) ? new FileInfo(_binary.New).Length : 0;
        using var request = new HttpRequestMessage(HttpMethod.Get, release.Url);
        if (existing > 0)
        {
            request.Headers.Range = new RangeHeaderValue(existing, null);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(_options.DownloadTimeoutSeconds));
        try
        {
            using var response = await _http.SendAsync(
                request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
            {
                File.Delete(_binary.New);
                throw new IOException($"{release.Url} cannot continue at byte {existing}; starting again");
            }

            response.EnsureSuccessStatusCode();
            var resumed = response.StatusCode == HttpStatusCode.PartialContent;
            if (resumed && response.Content.Headers.ContentRange?.From != existing)
            {
                File.Delete(_binary.New);
                throw new IOException($"{release.Url} answered a range request at byte {existing} with another range");
            }

            var start = resumed ? existing : 0;
            if (start + (response.Content.Headers.ContentLength ?? 0) > limit)
            {
                throw new ReleaseRefusedException($"the build is larger than {_options.MaxDownloadMegabytes} MiB");
            }

            if (resumed)
            {
                _logger.LogInformation("Continuing the download at byte {Offset}", existing);
            }
            else if (existing > 0)
            {
                _logger.LogInformation("The server did not continue at byte {Offset}; downloading it all", existing);
            }

            await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
            await using var file = _binary.OpenNew(append: resumed);
            await CopyAsync(body, file, limit, timeout.Token);
            return resumed;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException(
                $"downloading {release.Url} did not finish within {_options.DownloadTimeoutSeconds} s");
        }
        catch (Exception ex) when (ex is HttpRequestException or HttpIOException)
        {
            throw new IOException($"downloading {release.Url} failed: {ex.Message}", ex);
        }
    }

    private async Task CopyAsync(Stream body, FileStream file, long limit, CancellationToken cancellationToken)
    {
        var buffer = new byte[81_920];
        try
        {
            int read;
            while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
            {
                if (file.Length + read > limit)
                {
                    throw new ReleaseRefusedException($"the build is larger than {_options.MaxDownloadMegabytes} MiB");
                }

                await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }
        finally
        {
            // What arrived stays for the next attempt to continue from.
            file.Flush(flushToDisk: true);
        }
    }

    private static async Task<string> HashAsync(string path, CancellationToken cancellationToken)
    {
        await using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA512.HashDataAsync(file, cancellationToken));
    }

    /// <summary>Runs <c>.new --version</c>: it must start here and say it is <paramref name="version"/>.</summary>
    private async Task TryStartAsync(string version, CancellationToken cancellationToken)
    {
        ProcessResult result;
        try
        {
            result = await RunTrialAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is Win32Exception or TimeoutException or InvalidOperationException)
        {
            throw new ReleaseRefusedException($"the build does not start on this machine: {ex.Message}");
        }

        var printed = result.StandardOutput.Trim();
        if (!result.Succeeded || printed != version)
        {
            var said = result.Succeeded ? $"it says it is '{AgentRestorer.Cut(printed)}'" : result.Explanation;
            throw new ReleaseRefusedException($"the build does not start on this machine as {version}: {said}");
        }
    }

    private async Task<ProcessResult> RunTrialAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await _runner.RunAsync(
                    _binary.New, [SelfUpdateCommand.VersionSwitch], TrialTimeout, cancellationToken);
            }
            catch (Win32Exception ex) when (ex.NativeErrorCode == TextFileBusy && attempt < 3)
            {
                // Another thread's fork may hold the just-written file open for a moment.
                await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
            }
        }
    }

    /// <summary>ETXTBSY.</summary>
    private const int TextFileBusy = 26;

    private async Task WaitAsync(DateTimeOffset due, CancellationToken cancellationToken)
    {
        if (due == DateTimeOffset.MaxValue)
        {
            await _signal.Reader.ReadAsync(cancellationToken);
            return;
        }

        var wait = due - _time.GetUtcNow();
        if (wait <= TimeSpan.Zero)
        {
            return;
        }

        using var timer = new CancellationTokenSource(wait, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        try
        {
            await _signal.Reader.ReadAsync(linked.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The retry is due.
        }
    }

    /// <summary>Saves <paramref name="state"/> with <paramref name="report"/> queued, and says a report is ready.
    /// Called under the gate.</summary>
    private void Report(SelfUpdateState state, AgentUpdateReport report)
    {
        Save(state.WithReport(report));
        ReportReady?.Invoke(this, EventArgs.Empty);
    }

    private void Save(SelfUpdateState state)
    {
        _store.Save(state);
        _state = state;
    }
}

/// <summary>An offered build must not be installed; the message says which check it failed.</summary>
public sealed class ReleaseRefusedException(string message) : Exception(message);
