using Fleet.Portal.Features.ApiClients;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Identity;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Tests.Identity;

/// <summary>Client management is Admin-only, validated and audited by the service itself, and never lets the secret out twice.</summary>
public sealed class ApiClientServiceTests(PortalFixture fixture) : IClassFixture<PortalFixture>
{
    private PortalInstance Portal => fixture.Portal;

    private ApiClientService Clients => Portal.Services.GetRequiredService<ApiClientService>();

    [Fact]
    public async Task Create_AsAdmin_ListedAndAuditedWithoutSecret()
    {
        var result = await Clients.CreateAsync("  inventory sync  ", [FleetScopes.Write, FleetScopes.Read], TestActors.Admin);

        Assert.Equal(OutcomeKind.Done, result.Kind);
        var client = result.Value!;
        Assert.True(client.ClientSecret.Length >= 40);
        var row = Assert.Single(await Clients.ListAsync(), r => r.ClientId == client.ClientId);
        Assert.Equal("inventory sync", row.DisplayName);
        Assert.Equal([FleetScopes.Write, FleetScopes.Read], row.Scopes);
        Assert.True(row.IsConfidential);
        Assert.False(row.IsBuiltIn);
        Assert.Equal("tester-admin", row.CreatedBy);
        Assert.NotNull(row.CreatedAt);

        await using var db = await Portal.CreateDbAsync();
        var entry = await db.AuditEntries.SingleAsync(a => a.EntityId == client.ClientId);
        Assert.Equal("apiclient.create", entry.Action);
        Assert.Equal("apiclient", entry.EntityType);
        Assert.Equal(AuditOutcome.Succeeded, entry.Outcome);
        Assert.Contains("inventory sync", entry.After, StringComparison.Ordinal);
        Assert.DoesNotContain(client.ClientSecret, entry.After ?? string.Empty, StringComparison.Ordinal);
        Assert.False(await db.AuditEntries.AnyAsync(a => (a.Before ?? string.Empty).Contains(client.ClientSecret) || (a.After ?? string.Empty).Contains(client.ClientSecret) || (a.Detail ?? string.Empty).Contains(client.ClientSecret)));
    }

    [Fact]
    public async Task Revoke_AsAdmin_GoneAndAudited()
    {
        var client = (await Clients.CreateAsync("to revoke", [FleetScopes.Read], TestActors.Admin)).Value!;

        Assert.Equal(OutcomeKind.Done, (await Clients.RevokeAsync(client.ClientId, TestActors.Admin)).Kind);

        Assert.DoesNotContain(await Clients.ListAsync(), r => r.ClientId == client.ClientId);
        Assert.Equal(OutcomeKind.NotFound, (await Clients.RevokeAsync(client.ClientId, TestActors.Admin)).Kind);
        await using var db = await Portal.CreateDbAsync();
        var entry = await db.AuditEntries.SingleAsync(a => a.EntityId == client.ClientId && a.Action == "apiclient.revoke");
        Assert.Contains("to revoke", entry.Before, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateAndRevoke_AsOperator_ForbiddenAndDenialAudited()
    {
        var existing = (await Clients.CreateAsync("operator target", [FleetScopes.Read], TestActors.Admin)).Value!;

        var created = await Clients.CreateAsync("operator's client", [FleetScopes.Admin], TestActors.Operator);
        var revoked = await Clients.RevokeAsync(existing.ClientId, TestActors.Operator);

        Assert.Equal(OutcomeKind.Forbidden, created.Kind);
        Assert.Null(created.Value);
        Assert.Equal(OutcomeKind.Forbidden, revoked.Kind);
        Assert.Contains(await Clients.ListAsync(), r => r.ClientId == existing.ClientId);
        Assert.DoesNotContain(await Clients.ListAsync(), r => r.DisplayName == "operator's client");
        await using var db = await Portal.CreateDbAsync();
        var denials = await db.AuditEntries.Where(a => a.Actor == "tester" && a.EntityType == "apiclient").ToListAsync();
        Assert.All(denials, d => Assert.Equal(AuditOutcome.Denied, d.Outcome));
        Assert.Contains(denials, d => d.Action == "apiclient.create");
        Assert.Contains(denials, d => d.Action == "apiclient.revoke" && d.EntityId == existing.ClientId);
    }

    [Fact]
    public async Task Revoke_BuiltInCliClient_Refused()
    {
        Assert.Equal(OutcomeKind.Conflict, (await Clients.RevokeAsync(OidcSeeder.CliClientId, TestActors.Admin)).Kind);

        Assert.Contains(await Clients.ListAsync(), r => r.ClientId == OidcSeeder.CliClientId && r.IsBuiltIn && !r.IsConfidential);
    }

    [Theory]
    [InlineData("", "fleet.read", "name")]
    [InlineData("   ", "fleet.read", "name")]
    [InlineData("a\u0007bell", "fleet.read", "name")]
    [InlineData("ok", "", "scopes")]
    [InlineData("ok", "fleet.read fleet.everything", "scopes")]
    public async Task Create_BadInput_InvalidWithMessageForTheField(string name, string scopes, string field)
    {
        var result = await Clients.CreateAsync(name, scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries), TestActors.Admin);

        Assert.Equal(OutcomeKind.Invalid, result.Kind);
        Assert.Null(result.Value);
        Assert.NotEmpty(Assert.Contains(field, result.Result.ByLocation())[0]);
    }

    [Fact]
    public async Task Create_NameOfMaximumLength_AcceptedOneMoreRefused()
    {
        var longest = new string('n', ApiClientService.MaxNameLength);

        Assert.Equal(OutcomeKind.Done, (await Clients.CreateAsync(longest, [FleetScopes.Read], TestActors.Admin)).Kind);
        Assert.Equal(
            OutcomeKind.Invalid, (await Clients.CreateAsync(longest + "n", [FleetScopes.Read], TestActors.Admin)).Kind);
    }
}
