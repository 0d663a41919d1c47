namespace Fleet.DeviceAgent.Config;

/// <summary>The systemd operations live config needs.</summary>
public interface IUnitManager
{
    /// <summary><c>systemctl daemon-reload</c>.</summary>
    Task DaemonReloadAsync(CancellationToken cancellationToken);

    /// <summary><c>systemctl enable</c> or <c>disable</c>.</summary>
    Task SetEnabledAsync(string unit, bool enabled, CancellationToken cancellationToken);

    /// <summary><c>systemctl is-enabled</c> says <c>enabled</c> (or <c>enabled-runtime</c>).</summary>
    Task<bool> IsEnabledAsync(string unit, CancellationToken cancellationToken);
}
