using Fleet.Portal.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Playwright;

namespace Fleet.EndToEnd.Tests;

/// <summary>An Admin sees why the portal is not ready, on whatever page is open, and sees it go away.</summary>
public sealed class ReadinessInBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task Banner_DatabaseWriteLockHeld_ShownToAdminThenGoneWhenReleased()
    {
        await using var portal = await PortalInstance.StartAsync();
        await using var context = await browser.Browser.NewContextAsync(
            new BrowserNewContextOptions { BaseURL = portal.BaseAddress.ToString() });
        var page = await context.NewPageAsync();
        try
        {
            await PageActions.SignInAsync(page, "admin", PortalInstance.AdminPassword);
            await PageActions.GotoInteractiveAsync(page, "/devices");
            await Assertions.Expect(page.GetByTestId("readiness-banner")).ToHaveCountAsync(0);

            await using (var holder = new SqliteConnection(
                $"Data Source={Path.Combine(portal.DataDirectory, "fleet.db")};Pooling=False"))
            {
                await holder.OpenAsync(TestContext.Current.CancellationToken);
                await using var begin = holder.CreateCommand();
                begin.CommandText = "BEGIN IMMEDIATE;";
                await begin.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);

                await Assertions.Expect(page.GetByTestId("readiness-banner"))
                    .ToContainTextAsync("database cannot be written", new() { Timeout = 30_000 });
            }

            await Assertions.Expect(page.GetByTestId("readiness-banner")).ToHaveCountAsync(0,
                new() { Timeout = 30_000 });
        }
        finally
        {
            await context.CloseAsync();
        }
    }
}
