using System.Globalization;

namespace Fleet.DeviceAgent.Health;

/// <summary>
/// Files of the host under a root prefix (<see cref="AgentOptions.HostRoot"/>), so tests read fixture trees
/// and a container reads the host's /proc and /sys mounted elsewhere.
/// </summary>
public sealed class HostFiles(string root)
{
    public string Root { get; } = root;

    /// <summary>The path of <paramref name="absolute"/> (e.g. <c>/proc/stat</c>) under the root.</summary>
    public string PathOf(string absolute) => Path.Combine(Root, absolute.TrimStart('/'));

    /// <summary>The file's text, or null when it does not exist (the device lacks that source).</summary>
    public string? ReadOrNull(string absolute)
    {
        var path = PathOf(absolute);
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>The file's first line trimmed, or null when missing or unreadable (a sysfs attribute of a device that is down, say).</summary>
    public static string? ReadLineOrNull(string path)
    {
        try
        {
            return File.ReadLines(path).FirstOrDefault()?.Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static double ParseDouble(string text, string what) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
            ? value
            : throw new FormatException($"{what}: '{text}' is not a number");

    public static long ParseLong(string text, string what) =>
        long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"{what}: '{text}' is not a whole number");
}
