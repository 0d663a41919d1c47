namespace Fleet.Portal.Messaging;

/// <summary>The broker's live connections, as far as the portal needs to end them (revoked or decommissioned devices).</summary>
public interface IDeviceSessions
{
    /// <summary>Ends the connection of <paramref name="clientId"/>, if it has one; returns whether it had.</summary>
    Task<bool> DisconnectAsync(string clientId, CancellationToken cancellationToken);

    /// <summary>Drops every retained message addressed to <paramref name="clientId"/>: it will never connect again (decommissioned).</summary>
    void ForgetRetained(string clientId);
}
