namespace Fleet.Shared.Messages;

/// <summary>Agent → portal on <see cref="Topics.AgentReport"/>: what became of an <see cref="AgentRelease"/>.</summary>
/// <param name="Version">The version the release offered.</param>
/// <param name="Result">Installed, refused, failed or rolled back.</param>
/// <param name="At">When the agent decided (device clock).</param>
/// <param name="Detail">
/// Why, for a person: the hash or signature that did not match, the download error, or how long the new build was
/// given to come online before the previous one was restored. At most <see cref="Protocol.MaxUpdateErrorLength"/>
/// characters.
/// </param>
public sealed record AgentUpdateReport(
    string Version, AgentUpdateResult Result, DateTimeOffset At, string? Detail = null);

/// <summary>What became of an offered agent build.</summary>
public enum AgentUpdateResult
{
    /// <summary>The new build is running (sent by the new build once it is online).</summary>
    Installed,

    /// <summary>
    /// The build's SHA-512 or signature did not match, or it does not start on this machine; the running build stays
    /// and the agent does not try that build again.
    /// </summary>
    Refused,

    /// <summary>The download or the swap failed; the running build stays and the agent retries later.</summary>
    Failed,

    /// <summary>The new build did not come online in time; the previous build was restored.</summary>
    RolledBack,
}
