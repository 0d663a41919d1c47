namespace Fleet.Shared.Messages;

/// <summary>
/// Portal → agent on <see cref="Topics.Config"/> (retained): the Ignition config the portal wants on the
/// device now. The agent applies the subset that is safe on a booted immutable host and answers with a
/// <see cref="ConfigReport"/>.
/// </summary>
/// <param name="Version">Opaque id of this rendering (changes whenever the rendered config changes).</param>
/// <param name="Sha512">Hex SHA-512 of the rendered Ignition JSON bytes.</param>
/// <param name="IssuedAt">When the portal rendered it.</param>
/// <param name="Ignition">The rendered Ignition JSON when small enough to travel inline, otherwise null.</param>
/// <param name="Url">Signed, expiring URL the agent fetches the Ignition JSON from when it is not inline.</param>
public sealed record DesiredConfig(
    string Version,
    string Sha512,
    DateTimeOffset IssuedAt,
    string? Ignition = null,
    string? Url = null);

/// <summary>Agent → portal on <see cref="Topics.ConfigReport"/>: what applying a <see cref="DesiredConfig"/> did, and drift.</summary>
/// <param name="Version">The <see cref="DesiredConfig.Version"/> this report is about.</param>
/// <param name="CheckedAt">When the agent applied or checked it (agent clock).</param>
/// <param name="Entries">One result per entry of the config the agent looked at.</param>
/// <param name="Error">Why nothing could be applied (unreadable config, hash mismatch, fetch failure); null otherwise.</param>
public sealed record ConfigReport(
    string Version,
    DateTimeOffset CheckedAt,
    IReadOnlyList<ConfigEntryResult> Entries,
    string? Error = null);

/// <summary>The result for one config entry.</summary>
/// <param name="Kind">What it is.</param>
/// <param name="Target">Path, unit name (<c>unit/dropin</c> for a drop-in) or user name.</param>
/// <param name="Outcome">What happened.</param>
/// <param name="Detail">The reason for a failure, what differs for drift, or why it needs a reinstall.</param>
public sealed record ConfigEntryResult(ConfigEntryKind Kind, string Target, ConfigEntryOutcome Outcome, string? Detail = null);

/// <summary>Kinds of Ignition config entry.</summary>
public enum ConfigEntryKind
{
    /// <summary><c>storage.files[]</c>.</summary>
    File,

    /// <summary><c>storage.directories[]</c>.</summary>
    Directory,

    /// <summary><c>storage.links[]</c>.</summary>
    Link,

    /// <summary><c>systemd.units[]</c>.</summary>
    Unit,

    /// <summary><c>systemd.units[].dropins[]</c>.</summary>
    Dropin,

    /// <summary><c>passwd.users[].sshAuthorizedKeys</c>.</summary>
    SshKeys,

    /// <summary>Disks, partitions, filesystems, RAID, LUKS, kernel arguments: never applied live.</summary>
    Storage,
}

/// <summary>What happened to one config entry.</summary>
public enum ConfigEntryOutcome
{
    /// <summary>Changed on disk to match the config.</summary>
    Applied,

    /// <summary>Already matched the config.</summary>
    Unchanged,

    /// <summary>Could not be applied; see the detail.</summary>
    Failed,

    /// <summary>On disk differs from the config (found by a drift check, not changed).</summary>
    Drifted,

    /// <summary>Needs a reinstall or first-boot Ignition; not attempted.</summary>
    NeedsReinstall,
}
