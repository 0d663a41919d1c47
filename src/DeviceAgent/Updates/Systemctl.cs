namespace Fleet.DeviceAgent.Updates;

/// <summary>Reboots the machine.</summary>
public interface ISystemReboot
{
    Task RebootAsync(CancellationToken cancellationToken);
}

/// <summary>The systemd operations the update side needs.</summary>
public interface IServiceManager
{
    /// <summary>Restarts a unit if it is running (<c>systemctl try-restart</c>); a stopped unit reads its configuration when it starts.</summary>
    Task TryRestartAsync(string unit, CancellationToken cancellationToken);

    /// <summary><c>systemctl is-failed</c>: <c>failed</c>, <c>active</c>, <c>inactive</c>, …</summary>
    Task<string> UnitStateAsync(string unit, CancellationToken cancellationToken);
}

/// <summary>The <c>systemctl</c> binary from PATH.</summary>
public sealed class SystemctlCli(IProcessRunner runner) : ISystemReboot, IServiceManager, Config.IUnitManager
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    public async Task RebootAsync(CancellationToken cancellationToken)
    {
        var result = await runner.RunAsync("systemctl", ["reboot"], Timeout, cancellationToken);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"systemctl reboot failed: {result.Explanation}");
        }
    }

    public async Task TryRestartAsync(string unit, CancellationToken cancellationToken)
    {
        var result = await runner.RunAsync("systemctl", ["try-restart", unit], Timeout, cancellationToken);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"systemctl try-restart {unit} failed: {result.Explanation}");
        }
    }

    public async Task<string> UnitStateAsync(string unit, CancellationToken cancellationToken)
    {
        // is-failed exits non-zero for every state but "failed"; the state is on stdout either way.
        var result = await runner.RunAsync("systemctl", ["is-failed", unit], Timeout, cancellationToken);
        return result.StandardOutput.Trim();
    }

    public async Task DaemonReloadAsync(CancellationToken cancellationToken)
    {
        var result = await runner.RunAsync("systemctl", ["daemon-reload"], Timeout, cancellationToken);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"systemctl daemon-reload failed: {result.Explanation}");
        }
    }

    public async Task SetEnabledAsync(string unit, bool enabled, CancellationToken cancellationToken)
    {
        var verb = enabled ? "enable" : "disable";
        var result = await runner.RunAsync("systemctl", [verb, unit], Timeout, cancellationToken);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"systemctl {verb} {unit} failed: {result.Explanation}");
        }
    }

    public async Task<bool> IsEnabledAsync(string unit, CancellationToken cancellationToken)
    {
        // is-enabled exits non-zero for disabled units; the state is on stdout either way.
        var result = await runner.RunAsync("systemctl", ["is-enabled", unit], Timeout, cancellationToken);
        return result.StandardOutput.Trim().StartsWith("enabled", StringComparison.Ordinal);
    }
}
