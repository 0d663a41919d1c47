using System.Security.Claims;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Security;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Tests.Audit;

/// <summary>The audit page's queries: every filter in SQL, newest first, keyset and offset paging agree.</summary>
public sealed class AuditQueryServiceTests(PortalFixture fixture) : IClassFixture<PortalFixture>
{
    private PortalInstance Portal => fixture.Portal;

    [Fact]
    public async Task Page_BySourceAndOutcome_OnlyMatchingNewestFirst()
    {
        var actor = Unique("src");
        await SeedAsync(actor, AuditSource.Ui, AuditOutcome.Succeeded, "device.approve");
        await SeedAsync(actor, AuditSource.Api, AuditOutcome.Denied, "device.reject");
        await SeedAsync(actor, AuditSource.Api, AuditOutcome.Succeeded, "user.create");
        await SeedAsync(actor, AuditSource.Device, AuditOutcome.Failed, "device.enrol");

        var api = await PageAsync(new AuditFilter(Actor: actor, Source: AuditSource.Api));
        var denied = await PageAsync(new AuditFilter(Actor: actor, Outcome: AuditOutcome.Denied));
        var apiSucceeded = await PageAsync(new AuditFilter(Actor: actor, Source: AuditSource.Api, Outcome: AuditOutcome.Succeeded));

        Assert.Equal(["user.create", "device.reject"], api.Rows.Select(r => r.Action));
        Assert.Equal(2, api.Total);
        Assert.Equal(["device.reject"], denied.Rows.Select(r => r.Action));
        Assert.Equal(["user.create"], apiSucceeded.Rows.Select(r => r.Action));
    }

    [Fact]
    public async Task Page_FreeText_MatchesActorActionEntityIdAndDetailLiterally()
    {
        var token = Unique("needle");
        var actor = Unique("txt");
        await SeedAsync(actor, AuditSource.Ui, AuditOutcome.Succeeded, "device.approve", entityId: $"dev-{token}");
        await SeedAsync(actor, AuditSource.Ui, AuditOutcome.Failed, "user.create", detail: $"because {token.ToUpperInvariant()} said so");
        await SeedAsync(actor, AuditSource.Ui, AuditOutcome.Succeeded, "user.enable", detail: "unrelated 100% done");
        await SeedAsync(token, AuditSource.System, AuditOutcome.Succeeded, "system.start");

        var byToken = await PageAsync(new AuditFilter(Text: token));
        var percent = await PageAsync(new AuditFilter(Text: "100%", Actor: actor));
        var wildcard = await PageAsync(new AuditFilter(Text: "%", Actor: actor));
        var byActionText = await PageAsync(new AuditFilter(Text: "user.en", Actor: actor));

        Assert.Equal(["system.start", "user.create", "device.approve"], byToken.Rows.Select(r => r.Action));
        Assert.Equal(["user.enable"], percent.Rows.Select(r => r.Action));
        Assert.Equal(["user.enable"], wildcard.Rows.Select(r => r.Action));
        Assert.Equal(["user.enable"], byActionText.Rows.Select(r => r.Action));
    }

    [Fact]
    public async Task Page_ActionPrefixEntityTypeAndTimeRange_Filter()
    {
        var actor = Unique("pre");
        await SeedAsync(actor, AuditSource.Ui, AuditOutcome.Succeeded, "user.create", entityType: "user");
        await SeedAsync(actor, AuditSource.Ui, AuditOutcome.Succeeded, "user.disable", entityType: "user");
        await SeedAsync(actor, AuditSource.Ui, AuditOutcome.Succeeded, "device.approve", entityType: "device");
        var now = DateTimeOffset.UtcNow;

        Assert.Equal(2, (await PageAsync(new AuditFilter(Actor: actor, ActionPrefix: "user."))).Total);
        Assert.Equal(1, (await PageAsync(new AuditFilter(Actor: actor, ActionPrefix: "user.dis"))).Total);
        Assert.Equal(0, (await PageAsync(new AuditFilter(Actor: actor, ActionPrefix: "_ser"))).Total);
        Assert.Equal(["device.approve"], (await PageAsync(new AuditFilter(Actor: actor, EntityType: "device"))).Rows.Select(r => r.Action));
        Assert.Equal(3, (await PageAsync(new AuditFilter(Actor: actor, From: now.AddMinutes(-5), To: now.AddMinutes(5)))).Total);
        Assert.Equal(0, (await PageAsync(new AuditFilter(Actor: actor, From: now.AddMinutes(5)))).Total);
        Assert.Equal(0, (await PageAsync(new AuditFilter(Actor: actor, To: now.AddMinutes(-5)))).Total);
    }

    [Fact]
    public async Task Page_KeysetAndOffset_SameRowsNoGapsNoRepeats()
    {
        var actor = Unique("page");
        for (var i = 0; i < 7; i++)
        {
            await SeedAsync(actor, AuditSource.Ui, AuditOutcome.Succeeded, $"test.step{i}");
        }

        var filter = new AuditFilter(Actor: actor);
        var first = await Portal.AuditQuery.PageAsync(new AuditQuery(filter, Take: 3), TestActors.Operator);
        var secondByCursor = await Portal.AuditQuery.PageAsync(new AuditQuery(filter, BeforeId: first.Rows[^1].Id, Take: 3), TestActors.Operator);
        var secondByOffset = await Portal.AuditQuery.PageAsync(new AuditQuery(filter, Skip: 3, Take: 3), TestActors.Operator);
        var last = await Portal.AuditQuery.PageAsync(new AuditQuery(filter, BeforeId: secondByCursor.Rows[^1].Id, Take: 3), TestActors.Operator);

        Assert.Equal(["test.step6", "test.step5", "test.step4"], first.Rows.Select(r => r.Action));
        Assert.Equal(["test.step3", "test.step2", "test.step1"], secondByCursor.Rows.Select(r => r.Action));
        Assert.Equal(secondByCursor.Rows.Select(r => r.Id), secondByOffset.Rows.Select(r => r.Id));
        Assert.Equal(["test.step0"], last.Rows.Select(r => r.Action));
        Assert.All([first, secondByCursor, last], p => Assert.Equal(7, p.Total));
    }

    [Fact]
    public async Task Page_AsHelpDesk_ForbiddenAndDenialAudited()
    {
        var helpDesk = TestActors.User(Unique("hd"), Roles.HelpDesk);

        var page = await Portal.AuditQuery.PageAsync(new AuditQuery(new AuditFilter()), helpDesk);
        var export = await Portal.AuditQuery.ExportAsync(new AuditFilter(), helpDesk);

        Assert.True(page.Forbidden);
        Assert.Empty(page.Rows);
        Assert.Null(export);
        await using var db = await Portal.CreateDbAsync();
        var denied = await db.AuditEntries.Where(a => a.Actor == helpDesk.Name).OrderBy(a => a.Id).ToListAsync();
        Assert.Equal([("audit.read", AuditOutcome.Denied), ("audit.export", AuditOutcome.Denied)], denied.Select(a => (a.Action, a.Outcome)));
    }

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";

    private Task<AuditPage> PageAsync(AuditFilter filter) =>
        Portal.AuditQuery.PageAsync(new AuditQuery(filter, Take: 100), TestActors.Admin);

    private Task SeedAsync(string actor, AuditSource source, AuditOutcome outcome, string action, string entityType = "test", string? entityId = null, string? detail = null) =>
        Seed(Portal, actor, source, outcome, action, entityType, entityId, detail);

    /// <summary>Writes an entry the way services do, as <paramref name="actor"/> through <paramref name="source"/>.</summary>
    internal static Task Seed(PortalInstance portal, string actor, AuditSource source, AuditOutcome outcome, string action,
        string entityType = "test", string? entityId = null, string? detail = null, string? before = null, string? after = null)
    {
        var principal = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, actor), new Claim(ClaimTypes.Role, Roles.Operator)], "test"));
        var who = new Actor(principal, source, "192.0.2.7");
        var log = portal.Services.GetRequiredService<AuditLog>();
        return SaveAsync();

        async Task SaveAsync()
        {
            await using var db = await portal.CreateDbAsync();
            log.Add(db, who, action, entityType, entityId, before, after, outcome, detail);
            await db.SaveChangesAsync();
        }
    }
}
