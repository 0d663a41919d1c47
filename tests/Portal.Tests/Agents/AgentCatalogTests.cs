using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Fleet.Portal.Data;
using Fleet.Portal.Features;
using Fleet.Portal.Features.Agents;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Configs;
using Fleet.Portal.Features.Enrollment;
using Fleet.Portal.Features.Security;
using Fleet.Portal.Tests.Configs;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Tests.Agents;

/// <summary>
/// The agent builds a portal holds (<see cref="AgentCatalog"/>): uploads checked and audited, Admin only; the
/// anonymous, range-resumable download; deletions refused while a target names the version; the built-in Ignition
/// layer that installs a build, which the real <c>ignition-validate</c> accepts.
/// </summary>
public sealed class AgentCatalogTests(PortalFixture fixture) : IClassFixture<PortalFixture>
{
    private PortalInstance Portal => fixture.Portal;

    private AgentCatalog Catalog => Portal.Services.GetRequiredService<AgentCatalog>();

    [Fact]
    public async Task Upload_X86FileChosenAsAarch64_RefusedWithReasonNothingKept()
    {
        var version = NewVersion();

        var result = await UploadAsync(version, "aarch64", AgentFiles.X86_64);

        Assert.Equal(OutcomeKind.Invalid, result.Kind);
        Assert.Contains("x86_64 executable, not aarch64", result.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(await Catalog.ListAsync(), b => b.Version == version);
        Assert.False(Directory.Exists(Path.Combine(Catalog.DataRoot, version)));
        Assert.Empty(Directory.EnumerateFiles(Catalog.DataRoot, ".upload-*"));
    }

    [Theory]
    [InlineData("1.0/../../etc")]
    [InlineData("")]
    [InlineData("-rc1")]
    public async Task Upload_BadVersion_RefusedOnTheVersion(string version)
    {
        var result = await UploadAsync(version, "x86_64", AgentFiles.X86_64);

        Assert.Equal(OutcomeKind.Invalid, result.Kind);
        Assert.Equal("version", result.Field);
    }

    [Fact]
    public async Task Upload_NotAnElfFile_Refused()
    {
        var result = await Catalog.UploadAsync(NewVersion(), "x86_64", new MemoryStream("#!/bin/sh\n"u8.ToArray()),
            TestActors.Admin);

        Assert.Equal(OutcomeKind.Invalid, result.Kind);
        Assert.Contains("not a 64-bit little-endian Linux executable", result.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Roles.Operator)]
    [InlineData(Roles.HelpDesk)]
    public async Task UploadAndDelete_NotAdmin_ForbiddenUnchangedAndAudited(string role)
    {
        var version = NewVersion();
        var added = await UploadAsync(version, "x86_64", AgentFiles.X86_64);
        var actor = TestActors.User($"agents-{role}-{Guid.NewGuid():N}", role);

        var upload = await UploadAsync(NewVersion(), "x86_64", AgentFiles.X86_64, actor);
        var delete = await Catalog.DeleteAsync(added.Value!.Id, actor);
        using var api = ApiTokens.Http(Portal, await ApiTokens.GetTokenAsync(Portal, role));
        using var body = new ByteArrayContent(AgentFiles.Elf(AgentFiles.X86_64, 64));
        using var post = await api.PostAsync(
            new Uri($"/api/v1/agents/builds?version={NewVersion()}&architecture=x86_64", UriKind.Relative), body);
        using var remove = await api.DeleteAsync(new Uri($"/api/v1/agents/builds/{added.Value.Id}", UriKind.Relative));

        Assert.Equal(OutcomeKind.Forbidden, upload.Kind);
        Assert.Equal(OutcomeKind.Forbidden, delete.Kind);
        Assert.Equal(HttpStatusCode.Forbidden, post.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, remove.StatusCode);
        Assert.Single(await Catalog.ListAsync(), b => b.Version == version);
        await using var db = await Portal.CreateDbAsync();
        Assert.Equal(2,
            await db.AuditEntries.CountAsync(a => a.Actor == actor.Name && a.Outcome == AuditOutcome.Denied));
    }

    [Fact]
    public async Task UploadOverApi_ThenDownload_WholeAndResumedRangeWithHash()
    {
        var version = NewVersion();
        var file = AgentFiles.Elf(AgentFiles.Aarch64, 300_000);
        var sha512 = Convert.ToHexStringLower(SHA512.HashData(file));
        using var api = ApiTokens.Http(Portal, await ApiTokens.GetTokenAsync(Portal, Roles.Admin));
        using var body = new ByteArrayContent(file);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var post = await api.PostAsync(
            new Uri($"/api/v1/agents/builds?version={version}&architecture=aarch64", UriKind.Relative), body);
        Assert.True(post.IsSuccessStatusCode, await post.Content.ReadAsStringAsync());

        using var anonymous = new HttpClient { BaseAddress = Portal.BaseAddress };
        using var whole = await anonymous.GetAsync(new Uri($"/agent/{version}/aarch64", UriKind.Relative));
        using var resume = new HttpRequestMessage(HttpMethod.Get, $"/agent/{version}/aarch64");
        resume.Headers.Range = new RangeHeaderValue(100_000, null);
        using var rest = await anonymous.SendAsync(resume);

        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Equal("application/octet-stream", whole.Content.Headers.ContentType?.MediaType);
        Assert.Equal(sha512, whole.Headers.GetValues(AgentEndpoints.Sha512Header).Single());
        Assert.Equal(file, await whole.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.PartialContent, rest.StatusCode);
        Assert.Equal(file[100_000..], await rest.Content.ReadAsByteArrayAsync());
        var build = Assert.Single(await Catalog.ListAsync(), b => b.Version == version);
        Assert.Equal(sha512, build.Sha512);
        Assert.True(AgentSignatureOf(build));
        Assert.Contains(Portal.Logs.Entries,
            e => e.Message.Contains($"Agent download {version} aarch64", StringComparison.Ordinal)
                && e.Message.Contains("bytes=100000-", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("9.9.9-none", "x86_64", "holds no agent build 9.9.9-none for x86_64")]
    [InlineData("1.0.0", "riscv64", "'riscv64' is not an agent architecture")]
    public async Task Download_UnknownVersionOrArchitecture_NotFoundWithReason(
        string version, string arch, string reason)
    {
        using var anonymous = new HttpClient { BaseAddress = Portal.BaseAddress };

        using var response = await anonymous.GetAsync(new Uri($"/agent/{version}/{arch}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains(reason, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_WhileATargetNamesTheVersion_RefusedThenDeletedOnceFree()
    {
        var version = NewVersion();
        var build = (await UploadAsync(version, "x86_64", AgentFiles.X86_64)).Value!;
        await using (var db = await Portal.CreateDbAsync())
        {
            var groupId = await Updates.UpdateTestSupport.CreateGroupAsync(Portal);
            db.AgentTargets.Add(new AgentTarget
            {
                TargetKey = AgentTarget.KeyOf(groupId), GroupId = groupId, Version = version, ChangedBy = "test",
            });
            await db.SaveChangesAsync();
        }

        var refused = await Catalog.DeleteAsync(build.Id, TestActors.Admin);
        Assert.Equal(OutcomeKind.Conflict, refused.Kind);
        Assert.Contains($"version {version} is the desired or previous agent version", refused.Message,
            StringComparison.Ordinal);

        await using (var db = await Portal.CreateDbAsync())
        {
            await db.AgentTargets.Where(t => t.Version == version).ExecuteDeleteAsync();
        }

        Assert.True((await Catalog.DeleteAsync(build.Id, TestActors.Admin)).Succeeded);
        Assert.DoesNotContain(await Catalog.ListAsync(), b => b.Version == version);
        Assert.False(File.Exists(Path.Combine(Catalog.DataRoot, version, "x86_64", AgentCatalog.FileName)));
        await using var check = await Portal.CreateDbAsync();
        Assert.True(await check.AuditEntries.AnyAsync(
            a => a.Action == "agent.build.delete" && a.EntityId == $"{version}/x86_64"));
    }

    [Fact]
    public async Task Render_GroupWithIgnitionToken_BuiltInLayerFirstValidAndTokenOnlyWhereSecretsGo()
    {
        var groupId = await Updates.UpdateTestSupport.CreateGroupAsync(Portal);
        var group = await Updates.UpdateTestSupport.GroupNameAsync(Portal, groupId);
        var version = NewVersion();
        var build = (await UploadAsync(version, "x86_64", AgentFiles.X86_64)).Value!;
        await using (var db = await Portal.CreateDbAsync())
        {
            db.AgentTargets.Add(new AgentTarget
            {
                TargetKey = AgentTarget.KeyOf(groupId), GroupId = groupId, Version = version, ChangedBy = "test",
            });
            await db.SaveChangesAsync();
        }

        var token = (await Portal.Services.GetRequiredService<EnrollmentService>().CreateTokenAsync(
            new CreateTokenInput($"ign-{version}", group, ForIgnition: true), TestActors.Admin)).Value!;
        var (device, _) = await ConfigTestSupport.AddDeviceAsync(Portal, groupId: groupId);
        var (arm, _) = await ConfigTestSupport.AddDeviceAsync(Portal, groupId: groupId);
        await using (var db = await Portal.CreateDbAsync())
        {
            await db.Devices.Where(d => d.Id == arm)
                .ExecuteUpdateAsync(s => s.SetProperty(d => d.Architecture, "aarch64"));
        }

        var renderer = Portal.Services.GetRequiredService<ConfigRenderer>();
        var revealed = (await renderer.RenderAsync(device, SecretMode.Reveal))!;
        var masked = (await renderer.RenderAsync(device, SecretMode.Mask))!;
        var omitted = (await renderer.RenderAsync(device, SecretMode.Omit))!;
        var none = (await renderer.RenderAsync(arm, SecretMode.Reveal))!;

        Assert.Equal($"{AgentLayer.Name} {version} (x86_64)", revealed.Layers[0]);
        Assert.Equal(revealed.Layers[0], revealed.Origins[$"storage.files[{AgentLayer.BinaryPath}]"]);
        var binary = FileEntry(revealed, AgentLayer.BinaryPath);
        Assert.Equal(new Uri(Portal.BaseAddress, $"agent/{version}/x86_64").ToString(),
            (string)binary["contents"]!["source"]!);
        Assert.Equal("sha512-" + build.Sha512, (string)binary["contents"]!["verification"]!["hash"]!);
        Assert.Equal(493, (int)binary["mode"]!);
        Assert.Contains("Agent__EnrollmentToken=" + token.Value, Env(revealed), StringComparison.Ordinal);
        Assert.Contains("Agent__EnrollmentToken=" + Templating.Mask, Env(masked), StringComparison.Ordinal);
        Assert.DoesNotContain("Agent__EnrollmentToken", Env(omitted), StringComparison.Ordinal);
        Assert.DoesNotContain(token.Value, masked.Ignition!.ToJsonString(), StringComparison.Ordinal);
        var validation = await ConfigTestSupport.ValidateAsync(revealed.Ignition!.ToJsonString());
        Assert.True(validation.ExitCode == 0, validation.Output);
        Assert.True(Fleet.Shared.Ignition.IgnitionValidator.Validate(revealed.Ignition!.ToJsonString()).Succeeded);

        Assert.DoesNotContain(none.Layers, l => l.StartsWith(AgentLayer.Name, StringComparison.Ordinal));
        Assert.True(none.Succeeded);
        Assert.Contains($"{version}, has no build for aarch64", Assert.Single(none.Warnings), StringComparison.Ordinal);
    }

    private Task<Outcome<AgentBuildRow>> UploadAsync(string version, string architecture, ushort machine,
        Actor? actor = null) =>
        Catalog.UploadAsync(
            version, architecture, new MemoryStream(AgentFiles.Elf(machine)), actor ?? TestActors.Admin);

    private static JsonObject FileEntry(RenderedConfig rendered, string path) =>
        rendered.Ignition!["storage"]!["files"]!.AsArray().OfType<JsonObject>().Single(f => (string)f["path"]! == path);

    private static string Env(RenderedConfig rendered)
    {
        var source = (string)FileEntry(rendered, AgentLayer.EnvironmentPath)["contents"]!["source"]!;
        return Uri.UnescapeDataString(source["data:,".Length..]);
    }

    private bool AgentSignatureOf(AgentBuildRow build) => Fleet.Shared.AgentSignature.Verify(
        Convert.FromBase64String(Portal.Services.GetRequiredService<AgentSigningKey>().PublicKey),
        build.Version, build.Architecture, build.Sha512, build.Signature);

    private static string NewVersion() => $"0.{Random.Shared.Next(1, 1_000_000)}.0-t{Guid.NewGuid():N}"[..24];
}
