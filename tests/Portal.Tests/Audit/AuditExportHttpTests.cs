using System.Net;
using System.Text;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Security;
using Fleet.Portal.Features.Users;
using Fleet.Portal.Tests.Infrastructure;

namespace Fleet.Portal.Tests.Audit;

/// <summary>A portal that checks sessions on every request, with one user per role.</summary>
public sealed class SessionCheckedPortalFixture : IAsyncLifetime
{
    public const string Password = "a-long-enough-password";

    public PortalInstance Portal { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Portal = await PortalInstance.StartAsync(new Dictionary<string, string?> { ["Fleet:Accounts:SessionValidationSeconds"] = "0" });
        foreach (var (name, role) in new[] { ("op", Roles.Operator), ("hd", Roles.HelpDesk) })
        {
            Assert.True((await Portal.Users.CreateAsync(new NewUser(name, null, role, Password), TestActors.Admin)).Succeeded);
        }
    }

    public async ValueTask DisposeAsync() => await Portal.DisposeAsync();
}

/// <summary>GET /audit/export.csv over real HTTP with the sign-in cookie, as the page's button does.</summary>
public sealed class AuditExportHttpTests(SessionCheckedPortalFixture fixture) : IClassFixture<SessionCheckedPortalFixture>
{
    private PortalInstance Portal => fixture.Portal;

    [Fact]
    public async Task Export_AsAdmin_CsvAttachmentHeaderRowsQuotedAndFormulasNeutralised()
    {
        var actor = Unique("csv");
        await AuditQueryServiceTests.Seed(Portal, actor, AuditSource.Api, AuditOutcome.Succeeded, "device.approve",
            entityType: "device", entityId: "@SUM(A1:A9)", detail: "said \"yes\", twice\nthen left", before: "=HYPERLINK(\"http://evil\")", after: "+1 -1");
        await AuditQueryServiceTests.Seed(Portal, actor, AuditSource.Ui, AuditOutcome.Denied, "user.create",
            entityType: "user", entityId: "-2+3", detail: "plain");
        using var client = await CookieClient.SignInAsync(Portal.BaseAddress, "admin", PortalInstance.AdminPassword);

        using var response = await client.GetAsync(new Uri($"/audit/export.csv?actor={actor}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        Assert.EndsWith(".csv", response.Content.Headers.ContentDisposition?.FileName, StringComparison.Ordinal);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("\r\n", text, StringComparison.Ordinal);
        var rows = ParseCsv(text);
        Assert.Equal(["Id", "AtUtc", "Actor", "ActorRole", "Source", "Action", "EntityType", "EntityId", "Before", "After", "Outcome", "Detail", "RemoteAddress"], rows[0]);
        Assert.Equal(3, rows.Count);
        var (denied, approved) = (rows[1], rows[2]);   // newest first
        Assert.Equal([actor, "Operator", "Ui", "user.create", "user", "'-2+3", "", "", "Denied", "plain", "192.0.2.7"], denied[2..]);
        Assert.Equal([actor, "Operator", "Api", "device.approve", "device", "'@SUM(A1:A9)", "'=HYPERLINK(\"http://evil\")", "'+1 -1", "Succeeded", "said \"yes\", twice\nthen left", "192.0.2.7"], approved[2..]);
        Assert.True(long.Parse(denied[0], System.Globalization.CultureInfo.InvariantCulture) > long.Parse(approved[0], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains("\"said \"\"yes\"\", twice\nthen left\"", text, StringComparison.Ordinal);

        var exports = await Portal.AuditQuery.PageAsync(new AuditQuery(new AuditFilter(Actor: "admin", ActionPrefix: "audit.export")), TestActors.Admin);
        Assert.Contains(exports.Rows, e => e.Detail == $"actor={actor}" && e.RemoteAddress == "127.0.0.1");
    }

    [Fact]
    public async Task Export_HostnameWithSemicolonFormula_NoCellStartsAFormulaUnderAnySeparator()
    {
        var actor = Unique("semi");
        await AuditQueryServiceTests.Seed(Portal, actor, AuditSource.Device, AuditOutcome.Succeeded, "device.enrol",
            entityType: "device", entityId: "x;=10+20;y", detail: "hostname x;=10+20;y, os @evil|+cmd");
        using var client = await CookieClient.SignInAsync(Portal.BaseAddress, "admin", PortalInstance.AdminPassword);

        var text = await client.GetStringAsync(new Uri($"/audit/export.csv?actor={actor}", UriKind.Relative));

        AuditCsvTests.AssertNoFormulaCell(text);
        var row = ParseCsv(text)[1];
        Assert.Equal("x;'=10+20;y", row[7]);
        Assert.Equal("hostname x;'=10+20;y, os @evil|'+cmd", row[11]);
    }

    [Fact]
    public async Task Export_QueryFilters_AppliedLikeThePage()
    {
        var actor = Unique("flt");
        await AuditQueryServiceTests.Seed(Portal, actor, AuditSource.Api, AuditOutcome.Denied, "device.reject");
        await AuditQueryServiceTests.Seed(Portal, actor, AuditSource.Ui, AuditOutcome.Denied, "device.approve");
        await AuditQueryServiceTests.Seed(Portal, actor, AuditSource.Api, AuditOutcome.Succeeded, "user.enable");
        using var client = await CookieClient.SignInAsync(Portal.BaseAddress, "op", SessionCheckedPortalFixture.Password);
        var link = "/audit/export.csv" + new AuditFilter(Actor: actor, Source: AuditSource.Api, Outcome: AuditOutcome.Denied, From: DateTimeOffset.UtcNow.AddHours(-1)).ToQueryString();

        var rows = ParseCsv(await client.GetStringAsync(new Uri(link, UriKind.Relative)));

        Assert.Equal(["device.reject"], rows.Skip(1).Select(r => r[5]));
    }

    [Fact]
    public async Task Export_BadFilterValue_400()
    {
        using var client = await CookieClient.SignInAsync(Portal.BaseAddress, "op", SessionCheckedPortalFixture.Password);

        using var response = await client.GetAsync(new Uri("/audit/export.csv?source=Telepathy", UriKind.Relative));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Export_AsHelpDesk_403()
    {
        using var client = await CookieClient.SignInAsync(Portal.BaseAddress, "hd", SessionCheckedPortalFixture.Password);

        using var response = await client.GetAsync(new Uri("/audit/export.csv", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.NotEqual("text/csv", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Export_Anonymous_401PointingAtLogin()
    {
        using var client = CookieClient.Anonymous(Portal.BaseAddress);

        using var response = await client.GetAsync(new Uri("/audit/export.csv", UriKind.Relative));

        // .NET 10 answers 401 (not a login redirect) for endpoints marked DisableCookieRedirect.
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.StartsWith("/account/login", response.Headers.Location?.AbsolutePath, StringComparison.Ordinal);
        Assert.Empty(await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("disable")]
    [InlineData("signout")]
    [InlineData("role")]
    public async Task SignedInUser_DisabledSignedOutOrRoleChanged_NextRequestRefused(string change)
    {
        var name = Unique("sess");
        Assert.True((await Portal.Users.CreateAsync(new NewUser(name, null, Roles.Operator, SessionCheckedPortalFixture.Password), TestActors.Admin)).Succeeded);
        var id = Assert.Single((await Portal.Users.ListAsync(TestActors.Admin)).Value!, u => u.UserName == name).Id;
        using var client = await CookieClient.SignInAsync(Portal.BaseAddress, name, SessionCheckedPortalFixture.Password);
        using (var before = await client.GetAsync(new Uri("/audit/export.csv?actor=nobody", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        var result = change switch
        {
            "disable" => await Portal.Users.DisableAsync(id, TestActors.Admin),
            "signout" => await Portal.Users.ForceSignOutAsync(id, TestActors.Admin),
            _ => await Portal.Users.SetRoleAsync(id, Roles.Admin, TestActors.Admin),
        };
        Assert.True(result.Succeeded);

        using var after = await client.GetAsync(new Uri("/audit/export.csv?actor=nobody", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>A strict RFC 4180 reader, so the test checks the quoting rather than trusting a lenient parser.</summary>
    private static List<string[]> ParseCsv(string text)
    {
        var rows = new List<string[]>();
        var row = new List<string>();
        var cell = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    cell.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    cell.Append(c);
                }
            }
            else if (c == '"' && cell.Length == 0)
            {
                quoted = true;
            }
            else if (c == ',')
            {
                row.Add(cell.ToString());
                cell.Clear();
            }
            else if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                row.Add(cell.ToString());
                cell.Clear();
                rows.Add([.. row]);
                row.Clear();
                i++;
            }
            else
            {
                Assert.False(c is '"' or '\r' or '\n', $"unquoted {(int)c} at {i}");
                cell.Append(c);
            }
        }

        Assert.True(cell.Length == 0 && row.Count == 0, "the last line does not end with CRLF");
        return rows;
    }
}
