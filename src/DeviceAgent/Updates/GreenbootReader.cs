using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Updates;

/// <summary>Greenboot's verdict on this boot, and whether greenboot said this boot is a fallback.</summary>
public readonly record struct GreenbootReading(GreenbootStatus Status, bool FallbackDetected);

public interface IGreenbootReader
{
    Task<GreenbootReading> ReadAsync(CancellationToken cancellationToken);
}

/// <summary>
/// Reads what greenboot leaves behind. The shell greenboot (Fedora IoT) has <c>greenboot-status</c>
/// write the boot's verdict to <c>/run/motd.d/boot-status</c> ("Boot Status is GREEN/RED", and
/// "FALLBACK BOOT DETECTED" after a rollback); the Rust greenboot writes <c>/etc/motd.d/boot-status</c>
/// ("healthcheck passed - status is GREEN"). Without either file, <c>systemctl is-failed
/// greenboot-healthcheck.service</c> decides. No greenboot: Unknown.
/// </summary>
public sealed class GreenbootReader(IUpdateHost host, IServiceManager systemd, ILogger<GreenbootReader> logger) : IGreenbootReader
{
    private static readonly string[] StatusFiles = ["run/motd.d/boot-status", "etc/motd.d/boot-status"];

    public async Task<GreenbootReading> ReadAsync(CancellationToken cancellationToken)
    {
        var status = GreenbootStatus.Unknown;
        var fallback = false;
        foreach (var file in StatusFiles)
        {
            var text = ReadAll(Path.Combine(host.Root, file));
            if (text is null)
            {
                continue;
            }

            fallback |= text.Contains("FALLBACK BOOT DETECTED", StringComparison.Ordinal);
            if (status == GreenbootStatus.Unknown)
            {
                status = text.Contains("status is RED", StringComparison.OrdinalIgnoreCase) || text.Contains("Boot Status is RED", StringComparison.Ordinal)
                    ? GreenbootStatus.Red
                    : text.Contains("status is GREEN", StringComparison.OrdinalIgnoreCase) || text.Contains("Boot Status is GREEN", StringComparison.Ordinal)
                        ? GreenbootStatus.Green
                        : GreenbootStatus.Unknown;
            }
        }

        if (status == GreenbootStatus.Unknown && host.IsGreenbootInstalled())
        {
            try
            {
                status = await systemd.UnitStateAsync("greenboot-healthcheck.service", cancellationToken) switch
                {
                    "failed" => GreenbootStatus.Red,
                    "active" => GreenbootStatus.Green,
                    _ => GreenbootStatus.Unknown,
                };
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogDebug("Could not ask systemd about greenboot: {Error}", ex.Message);
            }
        }

        return new GreenbootReading(status, fallback);
    }

    private static string? ReadAll(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
