namespace Fleet.Shared.Messages;

/// <summary>
/// Portal → agent on <see cref="Topics.UpdatePolicy"/>: how the device follows OS releases. Sent when the
/// device comes online and whenever the portal changes it. The agent keeps the last one it received
/// (across reboots) and acts on it while offline.
/// </summary>
/// <param name="Stream">The update stream the device follows (<c>stable</c>, <c>testing</c>, or a stream defined in the portal).</param>
/// <param name="UpdatesEnabled"><see langword="false"/> pauses updates: no update checks at all.</param>
/// <param name="CincinnatiBaseUrl">Base URL of the update graph; the agent (and Zincati) ask <c>GET {base}/v1/graph</c>.</param>
/// <param name="FleetLockBaseUrl">Base URL of the reboot lock; <c>POST {base}/v1/pre-reboot</c> and <c>/v1/steady-state</c>. Ends with <c>/</c>.</param>
/// <param name="Group">The reboot group (FleetLock <c>group</c>, Zincati <c>identity.group</c>, Cincinnati <c>group</c>).</param>
/// <param name="PinnedVersion">When set, the device installs only this version (and stays on it once there).</param>
/// <param name="RollbackCommandId">
/// A one-shot request to roll back to the previous deployment. The agent acts on each id once
/// (it remembers the last id across reboots) and acknowledges it in <see cref="DeploymentReport.RollbackCommandId"/>.
/// </param>
public sealed record UpdatePolicy(
    string Stream,
    bool UpdatesEnabled,
    string CincinnatiBaseUrl,
    string FleetLockBaseUrl,
    string Group,
    string? PinnedVersion = null,
    string? RollbackCommandId = null);
