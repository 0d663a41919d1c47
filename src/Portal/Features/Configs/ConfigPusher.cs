using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Alerts;
using Fleet.Portal.Features.Devices;
using Fleet.Portal.Features.Updates;
using Fleet.Portal.Messaging;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Configs;

/// <summary>
/// Publishes each approved device's <see cref="DesiredConfig"/>, retained on <see cref="Topics.Config"/>, whenever
/// its rendered config changes: after any config, assignment, variable, key or group change (one coalesced pass
/// over the approved devices), and when a device itself changes (approved, renamed, regrouped; at most once per
/// <see cref="DeviceRecheck"/> per device, telemetry does not wake it: see <see cref="DeviceNotifier.RecordsChanged"/>). Retained, so a device that
/// is offline gets the latest when it next subscribes. Only a changed hash is published again. A device whose config
/// stops rendering gets a <see cref="AlertKind.ConfigCannotRender"/> alert, resolved when it renders again.
/// </summary>
internal sealed class ConfigPusher(
    ConfigNotifier configs,
    UpdateNotifier updates,
    DeviceNotifier devices,
    IgnitionCache cache,
    IgnitionUrlSigner signer,
    IDbContextFactory<FleetDbContext> dbFactory,
    IDevicePublisher publisher,
    AlertService alerts,
    TimeProvider time,
    ILogger<ConfigPusher> logger) : BackgroundService
{
    /// <summary>Configs up to this size travel inline; larger ones as a signed URL.</summary>
    public const int MaxInlineBytes = 64 * 1024;

    public static readonly TimeSpan DeviceRecheck = TimeSpan.FromSeconds(10);

    /// <summary>How long a pass waits for more changes after the first wakes it.</summary>
    public static readonly TimeSpan Coalesce = TimeSpan.FromMilliseconds(100);

    private readonly ConcurrentDictionary<Guid, string> _sent = new();
    private readonly ConcurrentDictionary<Guid, DateTimeOffset> _checked = new();
    private readonly ConcurrentDictionary<Guid, string> _unrendered = new();
    private bool _alertsRead;
    private readonly DevicePushSignal _due = new();   // first pass at start-up: what the current configs render to

    /// <summary>How many devices have been sent their current config since start-up.</summary>
    internal int DevicesPushed => _sent.Count;

    /// <summary>Approved devices whose config did not render when last rendered, and why.</summary>
    internal IReadOnlyDictionary<Guid, string> Unrendered => _unrendered;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        configs.Changed += _due.All;
        updates.Changed += _due.All;
        devices.RecordsChanged += _due.Devices;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var (all, ids) = _due.Take();
                if (all)
                {
                    await PushAllAsync(stoppingToken);
                }

                var now = time.GetUtcNow();
                await PushAsync([.. ids.Where(id => !_checked.TryGetValue(id, out var at) || now - at >= DeviceRecheck)], stoppingToken);

                // Coalesce a burst of changes into one pass: enrolling devices arrive a few per ingest batch, and one
                // render of many devices costs about what one of a few does.
                await _due.WaitAsync(Coalesce, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
        finally
        {
            configs.Changed -= _due.All;
            updates.Changed -= _due.All;
            devices.RecordsChanged -= _due.Devices;
        }
    }

    public override void Dispose()
    {
        _due.Dispose();
        base.Dispose();
    }

    private async Task PushAllAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            if (!_alertsRead)
            {
                // Alerts left open by an earlier run: resolved by this pass if those devices render now.
                var open = await db.Alerts.AsNoTracking().Where(a => a.IsOpen)
                    .Join(db.AlertRules.Where(r => r.Kind == AlertKind.ConfigCannotRender),
                        a => a.RuleId, r => r.Id, (a, _) => a.DeviceId)
                    .Distinct().ToListAsync(cancellationToken);
                foreach (var id in open)
                {
                    _unrendered.TryAdd(id, "open alert");
                }

                _alertsRead = true;
            }

            var ids = await db.Devices.AsNoTracking().Where(d => d.State == EnrollmentState.Approved).Select(d => d.Id).ToListAsync(cancellationToken);
            var pushed = 0;
            foreach (var chunk in ids.Chunk(PushChunk))
            {
                pushed += await PushAsync(chunk, cancellationToken);
            }

            if (pushed > 0)
            {
                logger.LogInformation("Configs changed: desired config pushed to {Pushed} of {Approved} approved devices", pushed, ids.Count);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The next change pushes again; the portal keeps running.
            logger.LogError(ex, "Pushing desired configs failed");
        }
    }

    /// <summary>Devices rendered and published together in a pass over all approved devices.</summary>
    private const int PushChunk = 500;

    /// <summary>Renders these devices together and publishes each changed desired config; returns how many were published.</summary>
    private async Task<int> PushAsync(Guid[] deviceIds, CancellationToken cancellationToken)
    {
        if (deviceIds.Length == 0)
        {
            return 0;
        }

        IReadOnlyDictionary<Guid, ServedConfig> served;
        try
        {
            var now = time.GetUtcNow();
            foreach (var id in deviceIds)
            {
                _checked[id] = now;
            }

            served = await cache.GetManyAsync(deviceIds, SecretMode.Reveal, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "Rendering the desired configs of {Count} devices failed", deviceIds.Length);
            return 0;
        }

        var pushed = 0;
        foreach (var (deviceId, config) in served)
        {
            pushed += await PublishAsync(deviceId, config, cancellationToken) ? 1 : 0;
        }

        return pushed;
    }

    private async Task<bool> PublishAsync(Guid deviceId, ServedConfig served, CancellationToken cancellationToken)
    {
        try
        {
            if (served.Rendered.State != EnrollmentState.Approved)
            {
                return false;
            }

            if (!served.Rendered.Succeeded)
            {
                // Said once when the device stops rendering, not on every pass until it renders again.
                var error = served.Rendered.Error ?? "no config";
                if (!_unrendered.ContainsKey(deviceId))
                {
                    // Remembered once the alert is raised, so a failed raise is tried again on the next pass.
                    logger.LogWarning("No desired config for device {DeviceId:N}: {Error}", deviceId, error);
                    var missing = served.Rendered.Missing;
                    await alerts.RaiseAsync(deviceId, AlertKind.ConfigCannotRender,
                        missing.Count > 0 ? $"Its config lacks {string.Join(", ", missing)}: set the device variable."
                            : error,
                        cancellationToken);
                    _unrendered[deviceId] = error;
                }

                return false;
            }

            if (_unrendered.TryRemove(deviceId, out _))
            {
                logger.LogInformation("Device {DeviceId:N} renders its desired config again", deviceId);
                await alerts.ResolveAsync(deviceId, AlertKind.ConfigCannotRender, cancellationToken);
            }

            if (_sent.TryGetValue(deviceId, out var last) && last == served.Sha512)
            {
                return false;
            }

            var inline = served.Json!.Length <= MaxInlineBytes;
            var desired = new DesiredConfig(served.Sha512[..32], served.Sha512, time.GetUtcNow(),
                inline ? Encoding.UTF8.GetString(served.Json) : null,
                inline ? null : signer.SignedUrl(deviceId, SecretMode.Reveal).ToString());   // read by the device alone
            await publisher.PublishRetainedAsync(Topics.Config(deviceId.ToString("N")), JsonSerializer.SerializeToUtf8Bytes(desired, FleetJson.Default.DesiredConfig), cancellationToken);
            _sent[deviceId] = served.Sha512;
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "Pushing the desired config of device {DeviceId:N} failed", deviceId);
            return false;
        }
    }
}
