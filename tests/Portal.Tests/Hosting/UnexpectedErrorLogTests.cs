using Fleet.Portal.Tests.Infrastructure;

namespace Fleet.Portal.Tests.Hosting;

/// <summary>
/// A portal started by a test fails that test on an Error or Critical log entry the test did not declare
/// (<see cref="PortalInstance.ExpectErrors(string)"/>): an error that happens to leave the asserted state right
/// still fails, and a test that provokes one says so.
/// </summary>
public sealed class UnexpectedErrorLogTests
{
    [Fact]
    public async Task Dispose_AfterAnUndeclaredError_Throws()
    {
        var portal = await PortalInstance.StartAsync();
        Logger(portal).LogError("something broke in a test of the error check");

        var thrown = await Assert.ThrowsAsync<UnexpectedErrorLogException>(async () => await portal.DisposeAsync());

        Assert.Contains("something broke in a test of the error check", Assert.Single(thrown.Errors).Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dispose_AfterACriticalEntry_Throws()
    {
        var portal = await PortalInstance.StartAsync();
        Logger(portal).LogCritical("a critical entry");

        await Assert.ThrowsAsync<UnexpectedErrorLogException>(async () => await portal.DisposeAsync());
    }

    [Fact]
    public async Task Dispose_AfterDeclaredErrorAndWarnings_DoesNotThrow()
    {
        await using var portal = await PortalInstance.StartAsync();
        portal.ExpectErrors("the error this test provokes");

        Logger(portal).LogError(new InvalidOperationException("inner"), "the error this test provokes");
        Logger(portal).LogWarning("a warning is not an error");

        Assert.Empty(portal.Logs.UnexpectedErrors);
    }

    [Fact]
    public async Task ExpectErrors_FragmentOfTheException_Matches()
    {
        await using var portal = await PortalInstance.StartAsync();
        portal.ExpectErrors("disk full");

        Logger(portal).LogError(new IOException("disk full"), "could not write");

        Assert.Empty(portal.Logs.UnexpectedErrors);
    }

    private static ILogger Logger(PortalInstance portal) =>
        portal.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Fleet.Portal.Tests.ErrorCheck");
}
