using System.Globalization;
using System.Text;
using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Updates;

/// <summary>
/// Points Zincati at the portal: a drop-in in <c>/etc/zincati/config.d</c> (read after the shipped
/// fragments in <c>/usr/lib/zincati/config.d</c>, and after lower-numbered ones in <c>/etc</c>), written
/// atomically and only when its content changes, then Zincati restarted if it is installed and running.
/// Zincati has no setting for a stream or a pinned version: it follows the stream of the booted
/// deployment, and the portal's update graph decides what it may move to.
/// </summary>
public sealed class ZincatiConfigWriter(IUpdateHost host, IServiceManager systemd, ILogger<ZincatiConfigWriter> logger)
{
    public const string RelativePath = "etc/zincati/config.d/90-fleet.toml";

    public string FilePath => Path.Combine(host.Root, RelativePath);

    /// <summary>The drop-in for <paramref name="policy"/>; the key names are those of Zincati's shipped fragments.</summary>
    public static string Render(UpdatePolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var text = new StringBuilder();
        text.Append("# Written by the Fleet agent from the portal's update policy; edits are overwritten.\n");
        text.Append("# Delete it (and stop the agent) to give Zincati back to the other fragments.\n\n");
        text.Append("[cincinnati]\n");
        text.Append(CultureInfo.InvariantCulture, $"base_url = {Quote(policy.CincinnatiBaseUrl)}\n\n");
        text.Append("[identity]\n");
        text.Append(CultureInfo.InvariantCulture, $"group = {Quote(policy.Group)}\n\n");
        text.Append("[updates]\n");
        text.Append(CultureInfo.InvariantCulture, $"enabled = {(policy.UpdatesEnabled ? "true" : "false")}\n");
        text.Append("strategy = \"fleet_lock\"\n");
        text.Append(CultureInfo.InvariantCulture, $"fleet_lock.base_url = {Quote(policy.FleetLockBaseUrl)}\n");
        return text.ToString();
    }

    /// <summary>Writes the drop-in for <paramref name="policy"/> unless it already says exactly that.</summary>
    /// <returns>Whether the file changed.</returns>
    public async Task<bool> ApplyAsync(UpdatePolicy policy, CancellationToken cancellationToken)
    {
        var content = Render(policy);
        var path = FilePath;
        if (File.Exists(path) && await File.ReadAllTextAsync(path, cancellationToken) == content)
        {
            return false;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + ".tmp";
        var fileOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        }

        await using (var stream = new FileStream(temporary, fileOptions))
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(content), cancellationToken);
            stream.Flush(flushToDisk: true);
        }

        // Rename is atomic: Zincati starting at this moment reads the old file or the new one, never half.
        File.Move(temporary, path, overwrite: true);
        logger.LogInformation("Zincati configuration {Path} written: updates {State}, group {Group}, server {Url}",
            path, policy.UpdatesEnabled ? "enabled" : "paused", policy.Group, policy.CincinnatiBaseUrl);

        if (host.IsZincatiInstalled())
        {
            try
            {
                await systemd.TryRestartAsync("zincati.service", cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning("Zincati was not restarted; it reads the new configuration when it next starts: {Error}", ex.Message);
            }
        }

        return true;
    }

    /// <summary>A TOML basic string.</summary>
    private static string Quote(string value)
    {
        var quoted = new StringBuilder("\"");
        foreach (var c in value)
        {
            quoted.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                _ when char.IsControl(c) => $"\\u{(int)c:X4}",
                _ => c.ToString(),
            });
        }

        return quoted.Append('"').ToString();
    }
}
