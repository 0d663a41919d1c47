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
/// installs to <c>coreos.inst.install_dev</c> with the device's signed <c>/ignition</c> URL.
/// </summary>
internal static class BootScriptEndpoints
{
    public static IEndpointRouteBuilder MapBootScriptEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/boot.ipxe", ServeAsync).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    private static async Task<IResult> ServeAsync(string? mac, string? arch, IDbContextFactory<FleetDbContext> dbFactory, IgnitionUrlSigner signer, IOptions<ConfigOptions> options, CancellationToken cancellationToken)
    {
        if (!MacAddress.TryNormalize(mac, out var normalized))
        {
            return Script(StatusCodes.Status400BadRequest, $"echo Fleet: mac '{mac}' is not a MAC address; chain /boot.ipxe?mac=${{net0/mac}}\nshell");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var device = await db.Devices.AsNoTracking().Where(d => d.Macs.Any(m => m.Mac == normalized)).OrderByDescending(d => d.State == EnrollmentState.Approved).FirstOrDefaultAsync(cancellationToken);
        if (device is null)
        {
            return Script(StatusCodes.Status404NotFound, $"echo Fleet: no device has MAC {normalized}; GET /ignition?mac={normalized} records it as pending\nshell");
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
        if (metadata is null || Pxe(metadata, architecture) is not { } pxe)
        {
            return Script(StatusCodes.Status404NotFound, $"echo Fleet: stream {streamName} has no PXE artifacts for {architecture}; import its stream metadata in the portal\nshell");
        }

        var installDevice = await db.DeviceVariables.AsNoTracking().Where(v => v.DeviceId == device.Id && v.Name == "install_dev" && !v.IsSecret)
            .Select(v => v.Value).SingleOrDefaultAsync(cancellationToken) ?? options.Value.DefaultInstallDevice;
        var ignition = signer.SignedUrl(device.Id);
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

    private static IResult Script(int status, string body) => Results.Text("#!ipxe\n" + body + "\n", "text/plain", Encoding.UTF8, status);
}
