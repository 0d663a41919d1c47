namespace Fleet.DeviceAgent.Health;

/// <summary><c>/proc/uptime</c>: "seconds-since-boot idle-seconds".</summary>
public sealed class UptimeCollector(HostFiles files) : IHealthCollector
{
    public string Name => "uptime";

    public Task CollectAsync(HealthDraft draft, CancellationToken cancellationToken)
    {
        if (files.ReadOrNull("/proc/uptime") is { } text)
        {
            draft.UptimeSeconds = HostFiles.ParseDouble(text.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? string.Empty, "/proc/uptime");
        }

        return Task.CompletedTask;
    }
}

/// <summary><c>/proc/loadavg</c>: "l1 l5 l15 running/total lastpid".</summary>
public sealed class LoadCollector(HostFiles files) : IHealthCollector
{
    public string Name => "load";

    public Task CollectAsync(HealthDraft draft, CancellationToken cancellationToken)
    {
        if (files.ReadOrNull("/proc/loadavg") is { } text)
        {
            var fields = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 3)
            {
                throw new FormatException($"/proc/loadavg has {fields.Length} fields, expected at least 3");
            }

            draft.Load = new(
                HostFiles.ParseDouble(fields[0], "/proc/loadavg"),
                HostFiles.ParseDouble(fields[1], "/proc/loadavg"),
                HostFiles.ParseDouble(fields[2], "/proc/loadavg"));
        }

        return Task.CompletedTask;
    }
}

/// <summary><c>/proc/meminfo</c>: "Name:   value kB" lines.</summary>
public sealed class MemoryCollector(HostFiles files) : IHealthCollector
{
    public string Name => "memory";

    public Task CollectAsync(HealthDraft draft, CancellationToken cancellationToken)
    {
        if (files.ReadOrNull("/proc/meminfo") is not { } text)
        {
            return Task.CompletedTask;
        }

        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            var parts = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length > 0 && long.TryParse(parts[0], out var number))
            {
                values[line[..colon]] = parts.Length > 1 && parts[1] == "kB" ? number * 1024 : number;
            }
        }

        if (!values.TryGetValue("MemTotal", out var total))
        {
            throw new FormatException("/proc/meminfo has no MemTotal");
        }

        // MemAvailable exists since Linux 3.14; before that MemFree is the closest honest figure.
        var available = values.TryGetValue("MemAvailable", out var a) ? a : values.GetValueOrDefault("MemFree");
        draft.Memory = new(total, available, values.GetValueOrDefault("SwapTotal"), values.GetValueOrDefault("SwapFree"));
        return Task.CompletedTask;
    }
}

/// <summary>
/// CPU busy share from two readings of the <c>cpu</c> line of <c>/proc/stat</c>: since the previous report,
/// or, for the first report, over <paramref name="firstWindow"/> (a counter since boot says nothing about now).
/// </summary>
public sealed class CpuCollector(HostFiles files, TimeSpan firstWindow) : IHealthCollector
{
    private readonly Lock _gate = new();
    private (ulong Busy, ulong Total)? _previous;

    public CpuCollector(HostFiles files)
        : this(files, TimeSpan.FromMilliseconds(250))
    {
    }

    public string Name => "cpu";

    public async Task CollectAsync(HealthDraft draft, CancellationToken cancellationToken)
    {
        if (Read() is not { } current)
        {
            return;
        }

        (ulong Busy, ulong Total)? previous;
        lock (_gate)
        {
            previous = _previous;
        }

        if (previous is null && firstWindow > TimeSpan.Zero)
        {
            // Real time on purpose: the kernel's counters advance in real time, whatever clock a test injects.
            previous = current;
            await Task.Delay(firstWindow, cancellationToken);
            current = Read() ?? current;
        }

        lock (_gate)
        {
            _previous = current;
        }

        if (previous is { } before && current.Total > before.Total)
        {
            var busy = current.Busy >= before.Busy ? current.Busy - before.Busy : 0;
            draft.CpuPercent = Math.Round(Math.Clamp(100.0 * busy / (current.Total - before.Total), 0, 100), 1);
        }
    }

    private (ulong Busy, ulong Total)? Read()
    {
        if (files.ReadOrNull("/proc/stat") is not { } text)
        {
            return null;
        }

        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith("cpu ", StringComparison.Ordinal))
            ?? throw new FormatException("/proc/stat has no 'cpu' line");

        // user nice system idle iowait irq softirq steal [guest guest_nice]; guest time is already in user.
        var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8).Select(f => (ulong)HostFiles.ParseLong(f, "/proc/stat")).ToArray();
        if (fields.Length < 4)
        {
            throw new FormatException($"/proc/stat 'cpu' line has {fields.Length} counters, expected at least 4");
        }

        ulong total = 0;
        foreach (var f in fields)
        {
            total += f;
        }

        var idle = fields[3] + (fields.Length > 4 ? fields[4] : 0);
        return (total - idle, total);
    }
}
