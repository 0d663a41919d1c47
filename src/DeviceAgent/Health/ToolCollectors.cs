using System.Text.Json;
using Fleet.DeviceAgent.Updates;
using Fleet.Shared;
using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Health;

/// <summary>The booted deployment from <c>rpm-ostree status --json</c> (the update side's adapter). No rpm-ostree: null.</summary>
public sealed class DeploymentCollector(IRpmOstree rpmOstree) : IHealthCollector
{
    public string Name => "deployment";

    public async Task CollectAsync(HealthDraft draft, CancellationToken cancellationToken)
    {
        RpmOstreeStatus status;
        try
        {
            status = await rpmOstree.StatusAsync(cancellationToken);
        }
        catch (ToolNotFoundException)
        {
            return;
        }

        if (status.Booted is { } booted)
        {
            var info = booted.ToInfo();
            draft.Deployment = new BootedDeployment(info.Version, info.Checksum, info.Origin);
        }
    }
}

/// <summary>
/// Failed systemd units: <c>systemctl list-units --failed --output=json</c>, or the plain listing where
/// systemd is too old for JSON (before v246). No systemctl: null.
/// </summary>
public sealed class FailedUnitsCollector(IProcessRunner runner, TimeSpan timeout) : IHealthCollector
{
    public const int MaxUnits = 100;

    public string Name => "failedUnits";

    public async Task CollectAsync(HealthDraft draft, CancellationToken cancellationToken)
    {
        ProcessResult json;
        try
        {
            json = await runner.RunAsync("systemctl", ["list-units", "--failed", "--output=json", "--no-pager"], timeout, cancellationToken);
        }
        catch (ToolNotFoundException)
        {
            return;
        }

        if (json.Succeeded && TryParseJson(json.StandardOutput, out var units))
        {
            draft.FailedUnits = units;
            return;
        }

        var plain = await runner.RunAsync("systemctl", ["list-units", "--failed", "--plain", "--no-legend", "--no-pager"], timeout, cancellationToken);
        if (!plain.Succeeded)
        {
            throw new InvalidOperationException($"systemctl list-units --failed: {plain.Explanation}");
        }

        draft.FailedUnits = ParsePlain(plain.StandardOutput);
    }

    /// <summary><c>[{"unit":"x.service","load":"loaded","active":"failed",…}]</c>.</summary>
    internal static bool TryParseJson(string output, out IReadOnlyList<string> units)
    {
        units = [];
        try
        {
            using var document = JsonDocument.Parse(output);
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                return false;
            }

            units = document.RootElement.EnumerateArray()
                .Select(u => u.ValueKind == JsonValueKind.Object && u.TryGetProperty("unit", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null)
                .OfType<string>()
                .Select(Cut)
                .Take(MaxUnits)
                .ToList();
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>One unit per line, its name first; older versions put a bullet (●) before failed units.</summary>
    internal static IReadOnlyList<string> ParsePlain(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Trim().TrimStart('●', '*').Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault())
            .OfType<string>()
            .Select(Cut)
            .Take(MaxUnits)
            .ToList();

    private static string Cut(string value) => value.Length <= Protocol.MaxFieldLength ? value : value[..Protocol.MaxFieldLength];
}

/// <summary>Container counts from <c>podman ps -a --format json</c>. No podman: null.</summary>
public sealed class ContainerCollector(IProcessRunner runner, TimeSpan timeout) : IHealthCollector
{
    public string Name => "containers";

    public async Task CollectAsync(HealthDraft draft, CancellationToken cancellationToken)
    {
        if (await OptionalTool.RunAsync(runner, "podman", ["ps", "-a", "--format", "json"], timeout, cancellationToken) is { } output)
        {
            draft.Containers = Parse(output);
        }
    }

    internal static ContainerSummary Parse(string output)
    {
        if (string.IsNullOrWhiteSpace(output))
        {
            return new ContainerSummary(0, 0, 0);
        }

        using var document = JsonDocument.Parse(output);
        if (document.RootElement.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("podman ps printed JSON that is not an array");
        }

        int running = 0, exited = 0, total = 0;
        foreach (var container in document.RootElement.EnumerateArray())
        {
            total++;
            var state = container.ValueKind == JsonValueKind.Object && container.TryGetProperty("State", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
            if (string.Equals(state, "running", StringComparison.OrdinalIgnoreCase))
            {
                running++;
            }
            else if (string.Equals(state, "exited", StringComparison.OrdinalIgnoreCase))
            {
                exited++;
            }
        }

        return new ContainerSummary(running, exited, total);
    }
}

/// <summary>Clock synchronisation from <c>timedatectl show -p NTPSynchronized -p NTP</c>. No timedatectl: null.</summary>
public sealed class TimeSyncCollector(IProcessRunner runner, TimeSpan timeout) : IHealthCollector
{
    public string Name => "timeSync";

    public async Task CollectAsync(HealthDraft draft, CancellationToken cancellationToken)
    {
        if (await OptionalTool.RunAsync(runner, "timedatectl", ["show", "-p", "NTPSynchronized", "-p", "NTP"], timeout, cancellationToken) is { } output)
        {
            draft.TimeSync = Parse(output);
        }
    }

    internal static TimeSyncState Parse(string output)
    {
        var values = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('=', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.Ordinal);
        if (!values.TryGetValue("NTPSynchronized", out var synchronized))
        {
            throw new FormatException("timedatectl printed no NTPSynchronized");
        }

        return new TimeSyncState(synchronized == "yes", values.TryGetValue("NTP", out var ntp) ? ntp == "yes" : null);
    }
}

/// <summary>A tool a device may not have: absent → null (the value stays absent), failing → an exception (a collector error).</summary>
internal static class OptionalTool
{
    public static async Task<string?> RunAsync(IProcessRunner runner, string tool, string[] arguments, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ProcessResult result;
        try
        {
            result = await runner.RunAsync(tool, arguments, timeout, cancellationToken);
        }
        catch (ToolNotFoundException)
        {
            return null;
        }

        return result.Succeeded
            ? result.StandardOutput
            : throw new InvalidOperationException($"{tool} {arguments[0]}: {result.Explanation}");
    }
}
