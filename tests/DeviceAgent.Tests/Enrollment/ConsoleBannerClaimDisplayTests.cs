using Fleet.DeviceAgent.Runtime;
using Fleet.DeviceAgent.Tests.Runtime;

namespace Fleet.DeviceAgent.Tests.Enrollment;

public sealed class ConsoleBannerClaimDisplayTests
{
    [Fact]
    public void Show_Code_BannerWrittenAndCodeLoggedWithQr()
    {
        using var root = new TempDirectory();
        var logger = new RecordingLogger();
        var display = new ConsoleBannerClaimDisplay(new AgentOptions { ClaimBannerRoot = root.Path }, logger);

        display.Show("ABCD-EFGH-JK", "https://portal.example/claim?code=ABCD-EFGH-JK", new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));

        var banner = File.ReadAllText(root.Combine("etc/issue.d/fleet-claim.issue"));
        Assert.Contains("ABCD-EFGH-JK", banner, StringComparison.Ordinal);
        Assert.Contains("https://portal.example/claim?code=ABCD-EFGH-JK", banner, StringComparison.Ordinal);
        var logged = Assert.Single(logger.Entries, e => e.Message.Contains("ABCD-EFGH-JK", StringComparison.Ordinal)).Message;
        Assert.Contains('█', logged);

        display.Clear();
        Assert.False(File.Exists(root.Combine("etc/issue.d/fleet-claim.issue")));
    }

    [Fact]
    public void Qr_Url_SquareOfHalfBlocks()
    {
        var lines = ConsoleBannerClaimDisplay.Qr("https://portal.example/claim?code=ABCD-EFGH-JK").Split('\n', StringSplitOptions.RemoveEmptyEntries);

        // Version 3 (29 modules) + 2×4 quiet zone = 37 columns, two module rows per text row.
        Assert.All(lines, l => Assert.Equal(lines[0].Length, l.Length));
        Assert.InRange(lines.Length, (lines[0].Length / 2) - 1, (lines[0].Length / 2) + 1);
    }
}
