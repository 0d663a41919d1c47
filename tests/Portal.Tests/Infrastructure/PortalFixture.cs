namespace Fleet.Portal.Tests.Infrastructure;

/// <summary>One portal per test class; tests in the class use distinct devices so they do not interfere.</summary>
public sealed class PortalFixture : IAsyncLifetime
{
    public PortalInstance Portal { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Portal = await PortalInstance.StartAsync(new Dictionary<string, string?>
    {
        ["Fleet:Devices:HeartbeatIntervalSeconds"] = "1",
        ["Fleet:Devices:OfflineTimeoutSeconds"] = "4",
    });

    public async ValueTask DisposeAsync() => await Portal.DisposeAsync();
}
