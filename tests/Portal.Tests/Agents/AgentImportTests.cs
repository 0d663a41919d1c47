using Fleet.Portal.Features;
using Fleet.Portal.Features.Agents;
using Fleet.Portal.Features.Enrollment;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Fleet.Portal.Tests.Agents;

/// <summary>
/// Builds found on disk at start (<see cref="AgentCatalog.ImportAsync"/>): the data folder's and the bundled
/// folder's are imported and signed; a file changed since its row was made is imported again with a warning; a
/// portal with none says so once, with the command that makes them.
/// </summary>
public sealed class AgentImportTests
{
    [Fact]
    public async Task Start_NoBuilds_OneWarningNamingTheBuildCommand()
    {
        await using var portal = await PortalInstance.StartAsync();

        var warnings = portal.Logs.Entries.Where(e => e.Level == LogLevel.Warning
            && e.Message.Contains(AgentCatalog.BuildCommand, StringComparison.Ordinal)).ToList();
        Assert.Single(warnings);
        Assert.Empty(await portal.Services.GetRequiredService<AgentCatalog>().ListAsync());
    }

    [Fact]
    public async Task Start_BuildsInDataAndBundledFolders_ImportedThenChangedFileImportedAgainWithWarning()
    {
        var data = Directory.CreateTempSubdirectory("fleet-portal-").FullName;
        var bundled = Directory.CreateTempSubdirectory("fleet-bundled-").FullName;
        var uploaded = Write(Path.Combine(data, "agents"), "2.0.0", "x86_64", AgentFiles.X86_64);
        Write(bundled, "2.0.0", "aarch64", AgentFiles.Aarch64);
        Write(bundled, "2.0.0", "x86_64", AgentFiles.X86_64);   // the data folder's copy of the same build wins
        var settings = new Dictionary<string, string?> { ["Fleet:Agents:BundledDirectory"] = bundled };
        string before;
        await using (var portal = await PortalInstance.StartAsync(settings, data))
        {
            var builds = await portal.Services.GetRequiredService<AgentCatalog>().ListAsync();
            Assert.Equal(
                [("2.0.0", "aarch64", AgentCatalog.FromBundle), ("2.0.0", "x86_64", AgentCatalog.FromDataDirectory)],
                builds.Select(b => (b.Version, b.Architecture, b.AddedBy)).Order().ToList());
            before = builds.Single(b => b.Architecture == "x86_64").Sha512;
        }

        await File.WriteAllBytesAsync(uploaded, AgentFiles.Elf(AgentFiles.X86_64));
        await using (var portal = await PortalInstance.StartAsync(settings, data))
        {
            var build = (await portal.Services.GetRequiredService<AgentCatalog>().ListAsync())
                .Single(b => b.Architecture == "x86_64");
            Assert.NotEqual(before, build.Sha512);
            Assert.True(Fleet.Shared.AgentSignature.Verify(
                Convert.FromBase64String(portal.Services.GetRequiredService<AgentSigningKey>().PublicKey),
                build.Version, build.Architecture, build.Sha512, build.Signature));
            Assert.Contains(portal.Logs.Entries, e => e.Level == LogLevel.Warning
                && e.Message.Contains("Agent build 2.0.0 x86_64", StringComparison.Ordinal)
                && e.Message.Contains("changed since it was added", StringComparison.Ordinal));
            Assert.DoesNotContain(portal.Logs.Entries,
                e => e.Message.Contains(AgentCatalog.BuildCommand, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task CreateToken_ForIgnitionAsOperator_ForbiddenNothingCreated()
    {
        await using var portal = await PortalInstance.StartAsync();
        var enrollment = portal.Services.GetRequiredService<EnrollmentService>();

        var result = await enrollment.CreateTokenAsync(new CreateTokenInput("op-ignition", ForIgnition: true),
            TestActors.Operator);

        Assert.Equal(OutcomeKind.Forbidden, result.Kind);
        Assert.DoesNotContain(await enrollment.ListTokensAsync(), t => t.Name == "op-ignition");
        Assert.True(
            (await enrollment.CreateTokenAsync(new CreateTokenInput("op-plain"), TestActors.Operator)).Succeeded);
    }

    private static string Write(string root, string version, string architecture, ushort machine)
    {
        var path = Path.Combine(root, version, architecture, AgentCatalog.FileName);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, AgentFiles.Elf(machine));
        return path;
    }
}
