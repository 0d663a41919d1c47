using Fleet.DeviceAgent.Updates;
using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Config;

// systemd units and drop-ins: files in /etc/systemd/system, then one daemon-reload, then enable/disable.
public sealed partial class ConfigApplier
{
    private const string UnitDirectory = "/etc/systemd/system/";

    private async Task<IReadOnlyList<ConfigEntryResult>> UnitsAsync(IReadOnlyList<UnitEntry> entries, bool apply, CancellationToken cancellationToken)
    {
        var results = new List<ConfigEntryResult>();
        var written = new List<int>(); // indexes into results whose files changed: they need the daemon-reload
        var toggles = new List<(int Index, string Unit, bool Enabled)>();
        foreach (var unit in entries)
        {
            if (!IsValidName(unit.Name, '.'))
            {
                results.Add(new(ConfigEntryKind.Unit, unit.Name, ConfigEntryOutcome.Failed, "not a valid unit name"));
                continue;
            }

            var toggle = false;
            var fileChanged = false;
            var result = await GuardAsync(ConfigEntryKind.Unit, unit.Name, async () =>
            {
                var (differences, fix) = PlanUnitFile(unit);
                fileChanged = differences.Count > 0;
                if (unit.Enabled is { } enabled && !unit.Mask && await units.IsEnabledAsync(unit.Name, cancellationToken) != enabled)
                {
                    differences.Add(enabled ? "not enabled" : "enabled");
                    toggle = true;
                }

                return Result(ConfigEntryKind.Unit, unit.Name, differences, apply, null, () => fix?.Invoke());
            });
            if (result.Outcome == ConfigEntryOutcome.Applied && toggle)
            {
                toggles.Add((results.Count, unit.Name, unit.Enabled!.Value));
            }

            if (result.Outcome == ConfigEntryOutcome.Applied && fileChanged)
            {
                written.Add(results.Count);
            }

            results.Add(result);
            foreach (var dropin in unit.Dropins)
            {
                var target = $"{unit.Name}/{dropin.Name}";
                if (!IsValidName(dropin.Name, '.') || !dropin.Name.EndsWith(".conf", StringComparison.Ordinal))
                {
                    results.Add(new(ConfigEntryKind.Dropin, target, ConfigEntryOutcome.Failed, "a drop-in name must end in .conf"));
                    continue;
                }

                var dropinResult = await GuardAsync(ConfigEntryKind.Dropin, target, () => Task.FromResult(
                    dropin.Contents is null
                        ? new ConfigEntryResult(ConfigEntryKind.Dropin, target, ConfigEntryOutcome.Unchanged)
                        : PlanContents(ConfigEntryKind.Dropin, target, $"{UnitDirectory}{unit.Name}.d/{dropin.Name}", dropin.Contents, apply)));
                if (dropinResult.Outcome == ConfigEntryOutcome.Applied)
                {
                    written.Add(results.Count);
                }

                results.Add(dropinResult);
            }
        }

        if (apply && written.Count + toggles.Count > 0)
        {
            await ReloadAndToggleAsync(results, written, toggles, cancellationToken);
        }

        return results;
    }

    private async Task ReloadAndToggleAsync(List<ConfigEntryResult> results, List<int> written, List<(int Index, string Unit, bool Enabled)> toggles, CancellationToken cancellationToken)
    {
        try
        {
            await units.DaemonReloadAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ToolNotFoundException or TimeoutException)
        {
            foreach (var index in written.Concat(toggles.Select(t => t.Index)).Distinct())
            {
                results[index] = results[index] with { Outcome = ConfigEntryOutcome.Failed, Detail = $"written, but {ex.Message}" };
            }

            return;
        }

        foreach (var (index, unit, enabled) in toggles)
        {
            try
            {
                await units.SetEnabledAsync(unit, enabled, cancellationToken);
            }
            catch (Exception ex) when (ex is InvalidOperationException or ToolNotFoundException or TimeoutException)
            {
                results[index] = results[index] with { Outcome = ConfigEntryOutcome.Failed, Detail = ex.Message };
            }
        }
    }

    /// <summary>What the unit file should be: a link to /dev/null when masked, else its contents (units are always overwritten, as Ignition does).</summary>
    private (List<string> Differences, Action? Fix) PlanUnitFile(UnitEntry unit)
    {
        var full = HostPath(UnitDirectory + unit.Name);
        var node = Node.Of(full);
        var differences = new List<string>();
        if (unit.Mask)
        {
            if (node.Kind == NodeKind.Symlink && node.LinkTarget == "/dev/null")
            {
                return (differences, null);
            }

            differences.Add("not masked");
            return (differences, () =>
            {
                CreateDirectories(Path.GetDirectoryName(full)!);
                if (node.Kind is NodeKind.File or NodeKind.Symlink)
                {
                    File.Delete(full);
                }

                File.CreateSymbolicLink(full, "/dev/null");
            });
        }

        if (unit.Contents is null)
        {
            return (differences, null);
        }

        var desired = System.Text.Encoding.UTF8.GetBytes(unit.Contents);
        if (node.Kind == NodeKind.Symlink && node.LinkTarget == "/dev/null")
        {
            differences.Add("masked");
        }
        else if (node.Kind != NodeKind.File)
        {
            differences.Add("missing");
        }
        else if (!File.ReadAllBytes(full).AsSpan().SequenceEqual(desired))
        {
            differences.Add("contents differ");
        }

        return (differences, () =>
        {
            if (node.Kind == NodeKind.Symlink)
            {
                File.Delete(full);
            }

            WriteAtomically(full, desired, DefaultFileMode, null, null);
        });
    }

    private ConfigEntryResult PlanContents(ConfigEntryKind kind, string target, string path, string contents, bool apply)
    {
        var full = HostPath(path);
        var desired = System.Text.Encoding.UTF8.GetBytes(contents);
        var node = Node.Of(full);
        var differences = new List<string>();
        if (node.Kind != NodeKind.File)
        {
            differences.Add("missing");
        }
        else if (!File.ReadAllBytes(full).AsSpan().SequenceEqual(desired))
        {
            differences.Add("contents differ");
        }

        return Result(kind, target, differences, apply, node.Kind == NodeKind.Directory ? "a directory is at the path" : null, () =>
        {
            if (node.Kind == NodeKind.Symlink)
            {
                File.Delete(full);
            }

            WriteAtomically(full, desired, DefaultFileMode, null, null);
        });
    }

    private static bool IsValidName(string name, char required) =>
        name.Length is > 0 and <= 255 && name.Contains(required, StringComparison.Ordinal) && !name.Contains('/', StringComparison.Ordinal) && name is not ("." or "..");
}
