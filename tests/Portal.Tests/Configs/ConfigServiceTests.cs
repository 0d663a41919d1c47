using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Configs;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Tests.Configs;

/// <summary>The config library on a real SQLite file: saves compile first, errors are located, nothing is saved half-way.</summary>
public sealed class ConfigServiceTests(PortalFixture fixture) : IClassFixture<PortalFixture>
{
    private PortalInstance Portal => fixture.Portal;

    private ConfigService Service => Portal.Configs();

    [Fact]
    public async Task Create_InvalidJson_LocatedErrorAndNothingSaved()
    {
        var name = "bad-" + Guid.NewGuid().ToString("N")[..8];

        var result = await Service.CreateAsync(new ConfigInput(name, ConfigSourceLanguage.Ignition, null, "{\n  \"ignition\": {\"version\": \"3.3.0\"},\n  \"storage\": [\n", "m"), TestActors.Operator);

        Assert.Equal(OutcomeKind.Invalid, result.Kind);
        var error = Assert.Single(result.Errors);
        Assert.NotNull(error.Line);
        Assert.True(error.Line >= 3, error.ToString());
        Assert.DoesNotContain(await Service.ListAsync(), c => c.Name == name);
    }

    [Fact]
    public async Task Save_DuplicatePathAndBadVersion_ErrorsNameLineAndField()
    {
        var id = await ConfigTestSupport.CreateAsync(Portal, ConfigTestSupport.Ignition("/etc/a", "x"));
        const string source = """
            {
              "ignition": { "version": "3.3.0" },
              "storage": {
                "files": [ { "path": "/etc/motd" } ],
                "links": [ { "path": "/etc/motd", "target": "/etc/issue" } ]
              }
            }
            """;

        var result = await Service.SaveVersionAsync(id, source, "dup", TestActors.Operator);
        var badVersion = await Service.SaveVersionAsync(id, """{"ignition":{"version":"2.2.0"}}""", "old", TestActors.Operator);

        Assert.Equal(OutcomeKind.Invalid, result.Kind);
        var error = Assert.Single(result.Errors);
        Assert.StartsWith("storage.links", error.Field, StringComparison.Ordinal);
        Assert.Equal(5, error.Line);
        Assert.Contains("/etc/motd", error.Message, StringComparison.Ordinal);
        Assert.Contains("duplicate", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(OutcomeKind.Invalid, badVersion.Kind);
        Assert.Contains(badVersion.Errors, p => p.Field?.StartsWith("ignition", StringComparison.Ordinal) == true);
        Assert.Equal(1, (await Service.GetAsync(id))!.Config.LatestVersion);
    }

    [Fact]
    public async Task Save_UnknownTemplateVariableAndInlineSecrets_LocatedErrors()
    {
        var id = await ConfigTestSupport.CreateAsync(Portal, ConfigTestSupport.Ignition("/etc/a", "x"));
        const string source = """
            {
              "ignition": { "version": "3.3.0" },
              "passwd": { "users": [ { "name": "core", "passwordHash": "$y$j9T$abc" } ] },
              "storage": { "files": [ { "path": "/etc/host", "contents": { "source": "data:,{{device.nickname}}" } },
                                      { "path": "/etc/key", "contents": { "source": "data:,-----BEGIN OPENSSH PRIVATE KEY-----" } } ] }
            }
            """;

        var result = await Service.SaveVersionAsync(id, source, "secrets", TestActors.Operator);

        Assert.Equal(OutcomeKind.Invalid, result.Kind);
        Assert.Contains(
            result.Errors, p => p.Line == 4 && p.Message.Contains("{{device.nickname}}", StringComparison.Ordinal));
        Assert.Contains(
            result.Errors,
            p => p.Line == 3 && p.Message.Contains("store it as a secret variable", StringComparison.Ordinal));
        Assert.Contains(result.Errors, p => p.Line == 5 && p.Message.Contains("private key", StringComparison.Ordinal));
        Assert.Equal(1, (await Service.GetAsync(id))!.Config.LatestVersion);
    }

    [Fact]
    public async Task Save_TenMegabytes_RefusedAndNothingSaved()
    {
        var id = await ConfigTestSupport.CreateAsync(Portal, ConfigTestSupport.Ignition("/etc/a", "x"));

        var result = await Service.SaveVersionAsync(id, new string(' ', 10 * 1024 * 1024), "huge", TestActors.Operator);

        Assert.Equal(OutcomeKind.Invalid, result.Kind);
        Assert.Contains("1 MiB", result.Message, StringComparison.Ordinal);
        Assert.Equal(1, (await Service.GetAsync(id))!.Config.LatestVersion);
    }

    [Fact]
    public async Task SaveAndRollback_VersionsImmutableDiffedAndAudited()
    {
        var v1 = ConfigTestSupport.Ignition("/etc/motd", "one");
        var id = await ConfigTestSupport.CreateAsync(Portal, v1);

        var saved = await Service.SaveVersionAsync(id, ConfigTestSupport.Ignition("/etc/motd", "two"), "second", TestActors.Operator, basedOn: 1);
        var stale = await Service.SaveVersionAsync(id, ConfigTestSupport.Ignition("/etc/motd", "three"), "stale", TestActors.Operator, basedOn: 1);
        var rolled = await Service.RollbackAsync(id, 1, TestActors.Operator);
        var details = await Service.GetAsync(id);
        var diff = LineDiff.Compute((await Service.GetVersionAsync(id, 1))!.Source, (await Service.GetVersionAsync(id, 2))!.Source);

        Assert.True(saved.Succeeded, saved.Message);
        Assert.Equal(OutcomeKind.Conflict, stale.Kind);
        Assert.Equal(3, rolled.Value!.Version);
        Assert.Equal([3, 2, 1], details!.Versions.Select(v => v.Number));
        Assert.Equal(v1, details.Latest.Source);
        Assert.Equal("roll back to version 1", details.Latest.Message);
        Assert.Single(diff, l => l.Kind == DiffKind.Removed);
        Assert.Single(diff, l => l.Kind == DiffKind.Added);
        await using var db = await Portal.CreateDbAsync();
        var actions = await db.AuditEntries.Where(a => a.EntityType == "config" && a.EntityId == id.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Select(a => a.Action).ToListAsync();
        Assert.Equal(["config.create", "config.save", "config.rollback"], actions);
    }

    [Fact]
    public async Task HelpDesk_AnyChange_RefusedAndAudited()
    {
        var id = await ConfigTestSupport.CreateAsync(Portal, ConfigTestSupport.Ignition("/etc/a", "x"));
        var (device, _) = await ConfigTestSupport.AddDeviceAsync(Portal);

        var save = await Service.SaveVersionAsync(id, ConfigTestSupport.Ignition("/etc/a", "y"), "m", TestActors.HelpDesk);
        var assign = await Service.AssignAsync(id, ConfigScope.Fleet, null, null, TestActors.HelpDesk);
        var variable = await Service.SetVariableAsync(device, "token", "t", secret: true, TestActors.HelpDesk);

        Assert.All([save.Kind, assign.Kind, variable.Kind], k => Assert.Equal(OutcomeKind.Forbidden, k));
        await using var db = await Portal.CreateDbAsync();
        Assert.Equal(3, await db.AuditEntries.CountAsync(a => a.Actor == TestActors.HelpDesk.Name && a.Outcome == AuditOutcome.Denied && (a.Action.StartsWith("config.") || a.Action == "device.variable")));
    }

    [Fact]
    public async Task SecretVariable_StoredEncrypted_MaskedForOperatorAbsentForHelpDesk()
    {
        var (device, _) = await ConfigTestSupport.AddDeviceAsync(Portal);

        Assert.True((await Service.SetVariableAsync(device, "token", "s3cr3t-value", secret: true, TestActors.Operator)).Succeeded);
        Assert.True((await Service.SetVariableAsync(device, "site", "berlin", secret: false, TestActors.Operator)).Succeeded);
        var forOperator = await Service.ListVariablesAsync(device, TestActors.Operator);
        var forHelpDesk = await Service.ListVariablesAsync(device, TestActors.HelpDesk);

        await using var db = await Portal.CreateDbAsync();
        var stored = await db.DeviceVariables.SingleAsync(v => v.DeviceId == device && v.Name == "token");
        Assert.DoesNotContain("s3cr3t", stored.Value, StringComparison.Ordinal);
        Assert.Equal(Templating.Mask, forOperator.Single(v => v.Name == "token").Value);
        Assert.Null(forHelpDesk.Single(v => v.Name == "token").Value);
        Assert.Equal("berlin", forHelpDesk.Single(v => v.Name == "site").Value);
        Assert.DoesNotContain(await db.AuditEntries.Where(a => a.EntityId == device.ToString("N")).Select(a => a.After).ToListAsync(), a => a!.Contains("s3cr3t", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SshKey_NotAPublicKey_Refused()
    {
        var result = await Service.AddSshKeyAsync("alice", null, "-----BEGIN OPENSSH PRIVATE KEY-----", TestActors.Operator);

        Assert.Equal(OutcomeKind.Invalid, result.Kind);
        Assert.Equal("publicKey", result.Errors[0].Field);
    }
}
