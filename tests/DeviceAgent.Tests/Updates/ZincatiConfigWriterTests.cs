using Fleet.DeviceAgent.Updates;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Logging.Abstractions;
using Fleet.Tests;

namespace Fleet.DeviceAgent.Tests.Updates;

public sealed class ZincatiConfigWriterTests
{
    private static readonly UpdatePolicy Policy = new("stable", true, "https://fleet.example.org/", "https://fleet.example.org/", "workers");

    [Fact]
    public void Render_EveryKey_IsOneOfZincatisShippedFragments()
    {
        var fixtures = Path.GetDirectoryName(SharedInterop.FixturePath("zincati-10-agent.toml"))!;
        var shipped = Directory.GetFiles(fixtures, "zincati-*.toml")
            .SelectMany(f => TomlKeys(File.ReadAllText(f), includeCommented: true))
            .ToHashSet();

        var written = TomlKeys(ZincatiConfigWriter.Render(Policy), includeCommented: false).ToList();

        Assert.Equal(["cincinnati.base_url", "identity.group", "updates.enabled", "updates.strategy", "updates.fleet_lock.base_url"], written);
        Assert.All(written, key => Assert.Contains(key, shipped));
        var strategy = SharedInterop.Fixture("zincati-30-updates-strategy.toml");
        Assert.Contains("#strategy = \"fleet_lock\"", strategy, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_PausedAndOddGroup_DisabledAndEscaped()
    {
        var text = ZincatiConfigWriter.Render(Policy with { UpdatesEnabled = false, Group = "a \"quoted\" \\ group" });

        Assert.Contains("enabled = false\n", text, StringComparison.Ordinal);
        Assert.Contains("group = \"a \\\"quoted\\\" \\\\ group\"\n", text, StringComparison.Ordinal);
        Assert.Contains("strategy = \"fleet_lock\"\n", text, StringComparison.Ordinal);
        Assert.Contains("fleet_lock.base_url = \"https://fleet.example.org/\"\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApplyAsync_SamePolicyTwice_WrittenAndRestartedOnce()
    {
        using var os = new FakeOs();
        os.InstallZincati();
        var writer = Writer(os);

        Assert.True(await writer.ApplyAsync(Policy, TestContext.Current.CancellationToken));
        var written = File.GetLastWriteTimeUtc(writer.FilePath);
        Assert.False(await writer.ApplyAsync(Policy, TestContext.Current.CancellationToken));

        Assert.Equal(Path.Combine(os.Root, "etc/zincati/config.d/90-fleet.toml"), writer.FilePath);
        Assert.Equal(ZincatiConfigWriter.Render(Policy), await File.ReadAllTextAsync(writer.FilePath, TestContext.Current.CancellationToken));
        Assert.Equal(written, File.GetLastWriteTimeUtc(writer.FilePath));
        Assert.Equal(["systemctl try-restart zincati.service"], os.Calls);
        Assert.False(File.Exists(writer.FilePath + ".tmp"));
    }

    [Fact]
    public async Task ApplyAsync_PolicyChanges_RewrittenAndRestartedAgain()
    {
        using var os = new FakeOs();
        os.InstallZincati();
        var writer = Writer(os);

        await writer.ApplyAsync(Policy, TestContext.Current.CancellationToken);
        Assert.True(await writer.ApplyAsync(Policy with { UpdatesEnabled = false }, TestContext.Current.CancellationToken));

        Assert.Contains("enabled = false", await File.ReadAllTextAsync(writer.FilePath, TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Equal(2, os.Calls.Count(c => c == "systemctl try-restart zincati.service"));
    }

    [Fact]
    public async Task ApplyAsync_ZincatiNotInstalled_WrittenButNothingRestarted()
    {
        using var os = new FakeOs();

        Assert.True(await Writer(os).ApplyAsync(Policy, TestContext.Current.CancellationToken));

        Assert.Empty(os.Calls);
    }

    private static ZincatiConfigWriter Writer(FakeOs os) =>
        new(new LinuxUpdateHost(Microsoft.Extensions.Options.Options.Create(new AgentOptions { HostRoot = os.Root })), new SystemctlCli(os.Runner), NullLogger<ZincatiConfigWriter>.Instance);

    /// <summary>Dotted key names (<c>table.key</c>) of a TOML fragment; commented-out keys too when asked, as the shipped fragments document options that way.</summary>
    private static IEnumerable<string> TomlKeys(string toml, bool includeCommented)
    {
        var table = string.Empty;
        foreach (var raw in toml.Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith('[') && !line.StartsWith("[[", StringComparison.Ordinal))
            {
                table = line.Trim('[', ']').Trim();
                continue;
            }

            if (line.StartsWith('#'))
            {
                if (!includeCommented)
                {
                    continue;
                }

                line = line.TrimStart('#').Trim();
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            var key = equals > 0 ? line[..equals].Trim() : string.Empty;
            if (key.Length > 0 && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.'))
            {
                yield return $"{table}.{key}";
            }
        }
    }
}
