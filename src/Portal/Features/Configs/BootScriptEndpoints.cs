using System.Text;
using System.Text.Json;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Updates;
using Fleet.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Configs;

/// <summary>
/// <c>GET /boot.ipxe?mac=…[&amp;arch=…]</c>: an iPXE script that boots the live PXE kernel, initramfs and rootfs of
/// the device's update stream and architecture (from the stream metadata last imported into that stream) and
/// installs to <c>coreos.inst.install_dev</c> with a signed <c>/ignition</c> URL that renders no secrets: the caller
/// is anonymous and a MAC is no proof of being the machine. Secrets reach the installed device over its agent's
/// authenticated channel. Every answer is 200, errors included: iPXE runs a script body only from a 2xx answer,
/// so an error is a script that prints the reason, waits so a person at the console can read it, and exits.
/// </summary>
internal static class BootScriptEndpoints
{
    public static IEndpointRouteBuilder MapBootScriptEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/boot.ipxe", ServeAsync)
            .AllowAnonymous()
            .ExcludeFromDescription();
        return app;
    }

    /// <summary>How long an error script keeps its message on the console before handing back to the firmware.
    /// </summary>
    public const int ErrorPauseSeconds = 30;

    private static async Task<IResult> ServeAsync(string? mac, string? arch, HttpContext http,
        IDbContextFactory<FleetDbContext> dbFactory, IgnitionUrlSigner signer, AnonymousRequestLimiter limiter,
        IOptions<ConfigOptions> options, PendingPlaceholders placeholders, DeviceNotifier devices,
        CancellationToken cancellationToken)
    {
        if (!limiter.TryTake(http.Connection.RemoteIpAddress))
        {
            // A retry loop, since the machine cannot act on a 429: wait, then ask again for the same script.
            var wait = limiter.RetryAfterSeconds;
            http.Response.Headers.RetryAfter = wait.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var self = $"/boot.ipxe?mac={Uri.EscapeDataString(mac ?? string.Empty)}"
                + (string.IsNullOrEmpty(arch) ? string.Empty : $"&arch={Uri.EscapeDataString(arch)}");
            var from = http.Connection.RemoteIpAddress;
            return Script($"echo Fleet: too many requests from {from}; retrying in {wait} s\n"
                + $"sleep {wait}\nchain {self}");
        }

        if (!MacAddress.TryNormalize(mac, out var normalized))
        {
            return Error($"mac '{Printable(mac)}' is not a MAC address; chain /boot.ipxe?mac=${{net0/mac}}");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var device = await db.Devices.AsNoTracking().Where(d => d.Macs.Any(m => m.Mac == normalized)).OrderByDescending(d => d.State == EnrollmentState.Approved).FirstOrDefaultAsync(cancellationToken);
        if (device is null
            && await db.PreRegistrations.AnyAsync(p => p.Mac == normalized && p.DeviceId == null, cancellationToken)
            && (await placeholders.RecordAsync("mac:" + normalized, http.Connection.RemoteIpAddress, cancellationToken))
                .DeviceId is { } recorded)
        {
            // A pre-registered machine network-boots before it ever asked /ignition: its device is made now.
            device = await db.Devices.AsNoTracking().SingleAsync(d => d.Id == recorded, cancellationToken);
        }

        if (device is null)
        {
            return Error($"no device has MAC {normalized}; GET /ignition?mac={normalized} records it as pending");
        }

        var group = await db.DeviceGroups.AsNoTracking().SingleAsync(g => g.Id == (device.GroupId ?? DeviceGroup.DefaultId), cancellationToken);
        var settings = await db.UpdateSettings.AsNoTracking().SingleAsync(cancellationToken);
        var streamName = UpdatePlanner.AssignedStream(device, group, settings);
        var metadata = await db.UpdateStreams.AsNoTracking().Where(s => s.Name == streamName).Select(s => s.MetadataJson).SingleOrDefaultAsync(cancellationToken);
        var architecture = arch switch
        {
            null or "" => string.IsNullOrEmpty(device.Architecture) ? "x86_64" : device.Architecture,
            "arm64" => "aarch64",   // iPXE's ${buildarch}
            "i386" => "x86_64",
            _ => arch,
        };
        if (string.IsNullOrEmpty(device.Architecture) && !string.IsNullOrEmpty(arch)
            && AgentSignature.Architectures.Contains(architecture))
        {
            // A machine known only by its MAC: its config's agent layer installs the build for what it boots as.
            await db.Devices.Where(d => d.Id == device.Id && d.Architecture == string.Empty)
                .ExecuteUpdateAsync(u => u.SetProperty(d => d.Architecture, architecture), cancellationToken);
            devices.Notify([device.Id]);
        }

        if (metadata is null || Pxe(metadata, architecture) is not { } pxe)
        {
            return Error($"stream {streamName} has no PXE artifacts for {Printable(architecture)}; "
                + "import its stream metadata in the portal");
        }

        var installDevice = await db.DeviceVariables.AsNoTracking().Where(v => v.DeviceId == device.Id && v.Name == "install_dev" && !v.IsSecret)
            .Select(v => v.Value).SingleOrDefaultAsync(cancellationToken) ?? options.Value.DefaultInstallDevice;
        var ignition = signer.SignedUrl(device.Id, SecretMode.Omit);
        var script = new StringBuilder()
            .Append("#!ipxe\n")
            .Append(System.Globalization.CultureInfo.InvariantCulture, $"echo Fleet: installing {device.Hostname} ({streamName}, {architecture}) to {installDevice}\n")
            .Append(System.Globalization.CultureInfo.InvariantCulture, $"kernel {pxe.Kernel} initrd=main coreos.live.rootfs_url={pxe.Rootfs} ignition.firstboot ignition.platform.id=metal")
            .Append(System.Globalization.CultureInfo.InvariantCulture, $" coreos.inst.install_dev={installDevice} coreos.inst.ignition_url={ignition} ignition.config.url={ignition}\n")
            .Append(System.Globalization.CultureInfo.InvariantCulture, $"initrd --name main {pxe.Initramfs}\n")
            .Append("boot\n")
            .ToString();
        return Results.Text(script, "text/plain", Encoding.UTF8);
    }

    /// <summary>The live PXE artifacts of one architecture in a stream metadata document (<c>architectures.ARCH.artifacts.metal.formats.pxe</c>).</summary>
    internal static (string Kernel, string Initramfs, string Rootfs)? Pxe(string metadata, string architecture)
    {
        try
        {
            using var document = JsonDocument.Parse(metadata);
            if (document.RootElement.TryGetProperty("architectures", out var architectures)
                && architectures.TryGetProperty(architecture, out var a)
                && a.TryGetProperty("artifacts", out var artifacts) && artifacts.TryGetProperty("metal", out var metal)
                && metal.TryGetProperty("formats", out var formats) && formats.TryGetProperty("pxe", out var pxe)
                && Location(pxe, "kernel") is { } kernel && Location(pxe, "initramfs") is { } initramfs && Location(pxe, "rootfs") is { } rootfs)
            {
                return (kernel, initramfs, rootfs);
            }
        }
        catch (JsonException)
        {
            // Imported documents were checked at import; an unreadable one simply has no artifacts.
        }

        return null;
    }

    private static string? Location(JsonElement pxe, string name) =>
        pxe.TryGetProperty(name, out var artifact) && artifact.TryGetProperty("location", out var location) && location.GetString() is { } url
        && Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && !url.Any(char.IsWhiteSpace) ? url : null;

    /// <summary>An error as iPXE shows it: the reason on the console, a pause to read it, then back to the firmware.
    /// </summary>
    internal static string ErrorScript(string reason) =>
        $"#!ipxe\necho Fleet: {reason}\nsleep {ErrorPauseSeconds}\nexit 1\n";

    private static IResult Error(string reason) => Results.Text(ErrorScript(reason), "text/plain", Encoding.UTF8);

    private static IResult Script(string body) => Results.Text("#!ipxe\n" + body + "\n", "text/plain", Encoding.UTF8);

    /// <summary>A caller's value made safe to echo: one line of printable ASCII, no iPXE settings expansion.</summary>
    private static string Printable(string? value) =>
        new([.. (value ?? string.Empty).Take(64).Select(c => c is >= ' ' and <= '~' and not '$' ? c : '?')]);
}
