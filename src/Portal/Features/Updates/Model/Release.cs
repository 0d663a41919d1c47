namespace Fleet.Portal.Features.Updates;

/// <summary>
/// One release of a stream (a version), with its update policy. The policy fields mirror one entry of
/// Fedora CoreOS's <c>updates/&lt;stream&gt;.json</c> (rollout, barrier, dead-end); <see cref="HaltedAt"/>
/// is the portal's own. The payload per architecture is in <see cref="Architectures"/>: the policy is
/// per version, as upstream, so halting a release halts it on every architecture.
/// </summary>
public sealed class Release
{
    public const int MaxReasonLength = 500;

    public int Id { get; set; }

    public required string StreamName { get; set; }

    public required string Version { get; set; }

    /// <summary>Position in the stream's release index (<c>releases.json</c>), oldest first, from 0.</summary>
    public int AgeIndex { get; set; }

    /// <summary>The build date encoded in a Fedora CoreOS version (<c>41.20250105.3.0</c>); null for other schemes.</summary>
    public DateTimeOffset? PublishedAt { get; set; }

    public DateTimeOffset ImportedAt { get; set; }

    /// <summary>The release is (or was) being rolled out; upstream offers edges only into rollouts and barriers.</summary>
    public bool HasRollout { get; set; }

    /// <summary>Unix seconds when the rollout starts; null means 0 (started long ago), as upstream.</summary>
    public long? RolloutStartEpoch { get; set; }

    /// <summary>Share of clients offered the release at the start, 0 to 1 (upstream calls it start_percentage).</summary>
    public double? RolloutStartPercentage { get; set; }

    /// <summary>Minutes from the start until every client is offered it; null means the rollout never progresses.</summary>
    public long? RolloutDurationMinutes { get; set; }

    public bool IsBarrier { get; set; }

    public string? BarrierReason { get; set; }

    public bool IsDeadEnd { get; set; }

    public string? DeadEndReason { get; set; }

    /// <summary>Set when an operator (or <see cref="RolloutGuard"/>) halted the release: no edges lead into it.</summary>
    public DateTimeOffset? HaltedAt { get; set; }

    public string? HaltReason { get; set; }

    public string? HaltedBy { get; set; }

    /// <summary>When the last halt was lifted; rollout failures before it no longer count.</summary>
    public DateTimeOffset? ResumedAt { get; set; }

    public List<ReleaseArchitecture> Architectures { get; set; } = [];

    public bool IsHalted => HaltedAt is not null;
}

/// <summary>The payload of a release for one architecture: its OSTree commit and, when published, its OCI image.</summary>
public sealed class ReleaseArchitecture
{
    public int Id { get; set; }

    public int ReleaseId { get; set; }

    public required string Architecture { get; set; }

    /// <summary>OSTree commit checksum (64 hex digits): the Cincinnati payload for the "checksum" scheme.</summary>
    public required string Checksum { get; set; }

    /// <summary>Pull spec by digest (<c>quay.io/fedora/fedora-coreos@sha256:…</c>), where the index has one.</summary>
    public string? OciImage { get; set; }
}
