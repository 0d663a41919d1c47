using Fleet.Portal.Data;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Fleet.Portal.Features.Devices;
using Fleet.Portal.Features.Updates;

namespace Fleet.Portal.Features.Configs;

/// <summary>A rendered config ready to serve: its bytes, hash and spec, and the selectors that name its device.</summary>
public sealed class ServedConfig(RenderedConfig rendered, byte[]? json, Version? spec, long generation, long deviceStamp, string? fingerprint)
{
    public RenderedConfig Rendered { get; } = rendered;

    public byte[]? Json { get; } = json;

    public string Sha512 { get; } = json is null ? string.Empty : Convert.ToHexStringLower(SHA512.HashData(json));

    public Version? Spec { get; } = spec;

    internal long Generation { get; } = generation;

    /// <summary>The device stamp this entry is good for; moved on when a device change left the render inputs alone.</summary>
    internal long DeviceStamp { get; set; } = deviceStamp;

    /// <summary>The device's render inputs when it was rendered (<see cref="ConfigRenderer.FingerprintAsync"/>).</summary>
    internal string? Fingerprint { get; } = fingerprint;

    /// <summary>The same config converted to other spec versions (per <c>Accept</c>), computed once each.</summary>
    internal ConcurrentDictionary<Version, (byte[]? Json, string? Error)> Converted { get; } = new();
}

/// <summary>
/// Rendered configs per device and secret mode, invalidated by version stamps: a global generation that
/// every config, assignment, variable, key or group change bumps, and a per-device stamp that a change
/// to the device bumps. An entry is served only if both stamps still match those read before it was
/// rendered, so a change racing a render can never leave a stale entry behind. Most device changes
/// (heartbeats, health reports, presence) do not touch what a render reads: after one, a cheap fingerprint
/// of the device's render inputs decides whether the entry can be kept instead of rendering again.
/// </summary>
public sealed class IgnitionCache : IDisposable
{
    private readonly ConcurrentDictionary<(Guid, SecretMode), ServedConfig> _entries = new();
    private readonly ConcurrentDictionary<Guid, long> _deviceStamps = new();
    private readonly ConcurrentDictionary<string, Guid> _selectors = new(StringComparer.Ordinal);
    private readonly ConfigRenderer _renderer;
    private readonly IConfigToolchain _toolchain;
    private readonly ConfigNotifier _configs;
    private readonly UpdateNotifier _updates;
    private readonly DeviceNotifier _devices;
    private long _generation;

    public IgnitionCache(ConfigRenderer renderer, IConfigToolchain toolchain, ConfigNotifier configs, UpdateNotifier updates, DeviceNotifier devices)
    {
        _renderer = renderer;
        _toolchain = toolchain;
        _configs = configs;
        _updates = updates;
        _devices = devices;
        _configs.Changed += InvalidateAll;
        _updates.Changed += InvalidateAll;
        _devices.RecordsChanged += Invalidate;
    }

    public long Generation => Interlocked.Read(ref _generation);

    private void Forget(Guid deviceId)
    {
        _entries.TryRemove((deviceId, SecretMode.Reveal), out _);
        _entries.TryRemove((deviceId, SecretMode.Omit), out _);
    }

    public void InvalidateAll()
    {
        Interlocked.Increment(ref _generation);
        _entries.Clear();
    }

    public void Invalidate(IReadOnlyCollection<Guid> deviceIds)
    {
        ArgumentNullException.ThrowIfNull(deviceIds);
        foreach (var id in deviceIds)
        {
            // Entries stay: GetAsync re-checks them against the device's fingerprint before use.
            _deviceStamps.AddOrUpdate(id, 1, (_, s) => s + 1);
        }
    }

    /// <summary>A device id remembered for a selector (<c>mac:…</c>, <c>uuid:…</c>, <c>device:…</c>); checked against the entry before use.</summary>
    public bool TryGetSelector(string selector, out Guid deviceId) => _selectors.TryGetValue(selector, out deviceId);

    public void RememberSelector(string selector, Guid deviceId) => _selectors[selector] = deviceId;

    public async Task<ServedConfig?> GetAsync(Guid deviceId, SecretMode mode, CancellationToken cancellationToken)
    {
        var generation = Generation;
        var stamp = _deviceStamps.GetValueOrDefault(deviceId);
        var found = _entries.TryGetValue((deviceId, mode), out var cached) && cached.Generation == generation;
        if (found && cached!.DeviceStamp == stamp)
        {
            return cached;
        }

        if (found)
        {
            // Cached under an older device stamp: one small query tells whether the render inputs moved.
            var now = await _renderer.FingerprintAsync(deviceId, cancellationToken);
            if (now is null)
            {
                Forget(deviceId);
                return null;
            }

            if (cached!.Fingerprint == now && Generation == generation && _deviceStamps.GetValueOrDefault(deviceId) == stamp)
            {
                cached.DeviceStamp = stamp;
                return cached;
            }
        }

        // First render (e.g. a newly approved device) or the inputs moved; the render reads the inputs itself.
        var rendered = await _renderer.RenderAsync(deviceId, mode, cancellationToken);
        if (rendered is null)
        {
            Forget(deviceId);
            return null;
        }

        var served = Serve(rendered, generation, stamp);
        if (Generation == generation && _deviceStamps.GetValueOrDefault(deviceId) == stamp)
        {
            _entries[(deviceId, mode)] = served;
        }

        return served;
    }

    /// <summary>
    /// <see cref="GetAsync"/> for many devices: entries still good are served from the cache, all others are
    /// rendered together from one read of their inputs (<see cref="ConfigRenderer.RenderManyAsync"/>). Unknown
    /// devices are missing from the result.
    /// </summary>
    public async Task<IReadOnlyDictionary<Guid, ServedConfig>> GetManyAsync(IReadOnlyCollection<Guid> deviceIds, SecretMode mode, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deviceIds);
        var generation = Generation;
        var result = new Dictionary<Guid, ServedConfig>(deviceIds.Count);
        var stamps = new Dictionary<Guid, long>();
        foreach (var id in deviceIds)
        {
            var stamp = _deviceStamps.GetValueOrDefault(id);
            if (_entries.TryGetValue((id, mode), out var cached) && cached.Generation == generation && cached.DeviceStamp == stamp)
            {
                result[id] = cached;
            }
            else
            {
                stamps[id] = stamp;
            }
        }

        if (stamps.Count == 0)
        {
            return result;
        }

        var rendered = await _renderer.RenderManyAsync(stamps.Keys, mode, cancellationToken);
        foreach (var (id, stamp) in stamps)
        {
            if (!rendered.TryGetValue(id, out var config))
            {
                Forget(id);
                continue;
            }

            var served = Serve(config, generation, stamp);
            if (Generation == generation && _deviceStamps.GetValueOrDefault(id) == stamp)
            {
                _entries[(id, mode)] = served;
            }

            result[id] = served;
        }

        return result;
    }

    private ServedConfig Serve(RenderedConfig rendered, long generation, long stamp)
    {
        var json = rendered.Ignition is null ? null : Encoding.UTF8.GetBytes(rendered.Ignition.ToJsonString());
        return new ServedConfig(rendered, json, rendered.Ignition is null ? null : _toolchain.VersionOf(rendered.Ignition), generation, stamp, rendered.Fingerprint);
    }

    /// <summary>The config's bytes in the spec a client asked for; an error says why it cannot be had.</summary>
    public (byte[]? Json, string? Error) As(ServedConfig served, Version target)
    {
        ArgumentNullException.ThrowIfNull(served);
        ArgumentNullException.ThrowIfNull(target);
        if (served.Spec == target || served.Rendered.Ignition is null)
        {
            return (served.Json, null);
        }

        return served.Converted.GetOrAdd(target, t =>
        {
            var converted = _toolchain.ConvertTo((System.Text.Json.Nodes.JsonObject)served.Rendered.Ignition.DeepClone(), t);
            return converted.Succeeded
                ? (Encoding.UTF8.GetBytes(converted.Ignition!.ToJsonString()), null)
                : (null, string.Join(" ", converted.Errors.Select(e => e.ToString())));
        });
    }

    public void Dispose()
    {
        _configs.Changed -= InvalidateAll;
        _updates.Changed -= InvalidateAll;
        _devices.RecordsChanged -= Invalidate;
    }
}
