using Fleet.Portal.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Fleet.EndToEnd.Tests;

/// <summary>
/// An Admin on the Agent page: a portal without builds says so with the command that makes them; a file whose ELF
/// header names another architecture is refused with the reason; a good upload is listed with its SHA-512.
/// </summary>
public sealed class AgentsInBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task Admin_UploadsWrongThenRightArchitecture_RefusedWithReasonThenListed()
    {
        await using var portal = await PortalInstance.StartAsync();
        await using var context = await browser.Browser.NewContextAsync(
            new BrowserNewContextOptions { BaseURL = portal.BaseAddress.ToString() });
        var page = await context.NewPageAsync();
        try
        {
            await PageActions.SignInAsync(page, "admin", PortalInstance.AdminPassword);
            await Assertions.Expect(page.GetByTestId("nav-agents")).ToBeVisibleAsync(PageActions.Visible);
            await PageActions.GotoInteractiveAsync(page, "/admin/agents");
            await Assertions.Expect(page.GetByTestId("no-builds"))
                .ToContainTextAsync("scripts/build-agent.sh --out src/Portal/data/agents", new() { Timeout = 30_000 });

            // Architecture x86_64 is chosen; the file is an aarch64 build.
            await PageActions.FillAsync(page, "upload-version", "3.1.0");
            await page.Locator("input[type=file]").First.SetInputFilesAsync(File("fleet-agent", 0xB7));
            await page.GetByTestId("upload-build").ClickAsync();
            await Assertions.Expect(page.GetByTestId("upload-error"))
                .ToContainTextAsync("aarch64 executable, not x86_64", new() { Timeout = 30_000 });

            await page.Locator("input[type=file]").First.SetInputFilesAsync(File("fleet-agent", 0x3E));
            await page.GetByTestId("upload-build").ClickAsync();
            var row = page.Locator("tr", new() { Has = page.GetByTestId("build-version").GetByText("3.1.0") });
            await Assertions.Expect(row).ToContainTextAsync("x86_64", new() { Timeout = 30_000 });
            await Assertions.Expect(page.GetByTestId("no-builds")).ToHaveCountAsync(0);
            await page.ScreenshotAsync(
                new() { Path = Path.Combine(AppContext.BaseDirectory, "agents.png"), FullPage = true });
        }
        catch
        {
            await page.ScreenshotAsync(
                new() { Path = Path.Combine(AppContext.BaseDirectory, "agents-failure.png"), FullPage = true });
            throw;
        }
    }

    /// <summary>A stand-in build: the header of a 64-bit little-endian ELF executable for <paramref name="machine"/>.
    /// </summary>
    private static FilePayload File(string name, ushort machine)
    {
        var bytes = new byte[4096];
        "\u007fELF"u8.CopyTo(bytes);
        (bytes[4], bytes[5], bytes[6]) = (2, 1, 1);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(18), machine);
        return new FilePayload { Name = name, MimeType = "application/octet-stream", Buffer = bytes };
    }
}
