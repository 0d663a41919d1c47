using System.Text.Json;

namespace Fleet.DeviceAgent.Updates;

/// <summary>rpm-ostree refused or failed; the message is its own error output.</summary>
public sealed class RpmOstreeException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The rpm-ostree operations the agent uses. Each call is one run of the real CLI.</summary>
public interface IRpmOstree
{
    /// <summary><c>rpm-ostree status --json</c>, parsed.</summary>
    /// <exception cref="ToolNotFoundException">Not an rpm-ostree host.</exception>
    /// <exception cref="RpmOstreeException">rpm-ostree failed or printed something unreadable.</exception>
    Task<RpmOstreeStatus> StatusAsync(CancellationToken cancellationToken);

    /// <summary><c>rpm-ostree upgrade</c>: stage the newest commit of the booted origin.</summary>
    Task UpgradeAsync(CancellationToken cancellationToken);

    /// <summary><c>rpm-ostree deploy &lt;target&gt;</c>: a version, or <c>revision=&lt;checksum&gt;</c>. Stages it for the next boot.</summary>
    Task DeployAsync(string target, CancellationToken cancellationToken);

    /// <summary><c>rpm-ostree rollback</c>: make the previous deployment the default for the next boot.</summary>
    Task RollbackAsync(CancellationToken cancellationToken);
}

/// <summary>The <c>rpm-ostree</c> binary from PATH. Talks to rpm-ostreed over D-Bus, so the agent needs root (or a polkit rule).</summary>
public sealed class RpmOstreeCli(IProcessRunner runner) : IRpmOstree
{
    private static readonly TimeSpan StatusTimeout = TimeSpan.FromMinutes(2);

    // Downloading a release is hundreds of megabytes on a slow link.
    private static readonly TimeSpan TransactionTimeout = TimeSpan.FromHours(1);

    // rpm-ostree records which client started a transaction; Zincati sets its name the same way.
    private static readonly Dictionary<string, string> ClientId = new() { ["RPMOSTREE_CLIENT_ID"] = "fleet-agent" };

    public async Task<RpmOstreeStatus> StatusAsync(CancellationToken cancellationToken)
    {
        var result = await RunAsync(["status", "--json"], StatusTimeout, cancellationToken);
        try
        {
            return RpmOstreeStatus.Parse(result.StandardOutput);
        }
        catch (Exception ex) when (ex is JsonException or FormatException)
        {
            throw new RpmOstreeException($"rpm-ostree status --json printed unreadable output: {ex.Message}", ex);
        }
    }

    public Task UpgradeAsync(CancellationToken cancellationToken) => RunAsync(["upgrade"], TransactionTimeout, cancellationToken);

    public Task DeployAsync(string target, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(target);
        return RunAsync(["deploy", target], TransactionTimeout, cancellationToken);
    }

    public Task RollbackAsync(CancellationToken cancellationToken) => RunAsync(["rollback"], TransactionTimeout, cancellationToken);

    private async Task<ProcessResult> RunAsync(string[] arguments, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var result = await runner.RunAsync("rpm-ostree", arguments, timeout, cancellationToken, ClientId);
        return result.Succeeded ? result : throw new RpmOstreeException(result.Explanation);
    }
}
