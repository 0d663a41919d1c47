using System.Net;
using System.Net.Http.Json;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Devices;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Portal.Tests.Devices;

/// <summary>Undo of a rejection, labels, saved filters and the CSV export, on a real portal and broker.</summary>
public sealed class DeviceListServiceTests(PortalFixture fixture) : IClassFixture<PortalFixture>
{
    private PortalInstance Portal => fixture.Portal;

    private DeviceLabelService Labels => Portal.Services.GetRequiredService<DeviceLabelService>();

    private SavedDeviceFilterService Saved => Portal.Services.GetRequiredService<SavedDeviceFilterService>();

    [Fact]
    public async Task UndoReject_Rejected_PendingForAPersonAndAudited()
    {
        var id = await EnrolAsync($"undo-{Tag()}");
        Assert.True((await Portal.Devices.RejectAsync(id, TestActors.Operator)).Succeeded);

        var undone = await Portal.Devices.UndoRejectAsync(id, TestActors.Operator);
        var again = await Portal.Devices.UndoRejectAsync(id, TestActors.Operator);

        Assert.Equal(OutcomeKind.Done, undone.Kind);
        Assert.Equal(OutcomeKind.Conflict, again.Kind);
        await using var db = await Portal.CreateDbAsync();
        var device = await db.Devices.SingleAsync(d => d.Id == id);
        Assert.Equal(EnrollmentState.Pending, device.State);
        Assert.Equal(TestActors.Operator.Name, device.DecidedBy);   // decided: no policy approves it on its own
        var entry = await db.AuditEntries.SingleAsync(
            e => e.Action == "device.reject.undo" && e.EntityId == id.ToString("N"));
        Assert.EndsWith(": Pending", entry.After, StringComparison.Ordinal);
        Assert.EndsWith(": Rejected", entry.Before, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UndoReject_HelpDesk_ForbiddenAndStillRejected()
    {
        var id = await EnrolAsync($"undo-hd-{Tag()}");
        await Portal.Devices.RejectAsync(id, TestActors.Operator);

        var refused = await Portal.Devices.UndoRejectAsync(id, TestActors.HelpDesk);

        Assert.Equal(OutcomeKind.Forbidden, refused.Kind);
        Assert.Equal(EnrollmentState.Rejected, (await Portal.FindDeviceAsync(d => d.Id == id))!.State);
    }

    [Fact]
    public async Task Labels_AddedInBulkThenRemoved_FilterFollowsAndEachDeviceAudited()
    {
        var tag = Tag();
        var ids = new[]
        {
            await EnrolAsync($"lbl{tag}-a"), await EnrolAsync($"lbl{tag}-b"), await EnrolAsync($"lbl{tag}-c"),
        };
        var lab = new DeviceLabel($"lab{tag}", "");
        var rack = new DeviceLabel($"rack{tag}", "3");

        var added = await Labels.ChangeAsync([ids[0], ids[1]], [lab, rack], [], TestActors.Operator);
        var removed = await Labels.ChangeAsync([ids[1]], [], [lab.Name], TestActors.Operator);

        Assert.Equal(2, added.Value);
        Assert.Equal(1, removed.Value);
        Assert.Equal([ids[0]], await IdsAsync(lab.Name));
        Assert.Equal(ids[..2].Order(), (await IdsAsync(rack.Name)).Order());
        Assert.Equal(ids[..2].Order(), (await IdsAsync($"{rack.Name}=3")).Order());
        Assert.Empty(await IdsAsync($"{rack.Name}=4"));
        var row = (await Portal.Devices.ListAsync(new DeviceQuery(Label: lab.Name))).Rows.Single();
        Assert.Equal([lab, rack], row.Labels);
        await using var db = await Portal.CreateDbAsync();
        var entities = ids.Select(i => i.ToString("N")).ToList();
        Assert.Equal(3, await db.AuditEntries.CountAsync(
            e => e.Action == "device.labels" && entities.Contains(e.EntityId!)));
    }

    [Fact]
    public async Task Labels_HelpDeskOrSecretOrBadName_RefusedAndNothingChanged()
    {
        var tag = Tag();
        var id = await EnrolAsync($"lblx{tag}");
        await Portal.Services.GetRequiredService<Fleet.Portal.Features.Configs.ConfigService>()
            .SetVariableAsync(id, $"labels.key{tag}", "s3cret", secret: true, TestActors.Operator);

        var helpDesk = await Labels.ChangeAsync([id], [new DeviceLabel($"hd{tag}", "")], [], TestActors.HelpDesk);
        var secret = await Labels.ChangeAsync([id], [new DeviceLabel($"key{tag}", "x")], [], TestActors.Operator);
        var badName = await Labels.ChangeAsync([id], [new DeviceLabel("bad name", "")], [], TestActors.Operator);

        Assert.Equal(OutcomeKind.Forbidden, helpDesk.Result.Kind);
        Assert.Equal(OutcomeKind.Conflict, secret.Result.Kind);
        Assert.Equal(OutcomeKind.Invalid, badName.Result.Kind);
        Assert.Empty(await Labels.OfDeviceAsync(id));   // the secret variable is not shown as a label
    }

    [Fact]
    public async Task SavedFilters_PerOwnerAndReplacedByName()
    {
        var ada = TestActors.User($"ada-{Tag()}", "Operator");
        var bob = TestActors.User($"bob-{Tag()}", "HelpDesk");

        await Saved.SaveAsync(ada, "offline lab", "?status=Offline&label=lab");
        await Saved.SaveAsync(ada, "offline lab", "status=Offline");
        await Saved.SaveAsync(bob, "mine", "q=x");
        var deleted = await Saved.DeleteAsync(bob, "offline lab");

        var adas = await Saved.ListAsync(ada);
        Assert.Equal(("offline lab", "status=Offline"), (adas.Single().Name, adas.Single().Query));
        Assert.Equal("mine", (await Saved.ListAsync(bob)).Single().Name);
        Assert.Equal(OutcomeKind.NotFound, deleted.Kind);
        Assert.Equal(OutcomeKind.Invalid, (await Saved.SaveAsync(ada, " ", "q=x")).Kind);
    }

    [Fact]
    public async Task ExportCsv_HelpDeskToken_EveryMatchingRowNotThePageAndNoSecret()
    {
        var tag = Tag();
        var enrolments = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            var (client, _) = await TestMqttClient.ConnectBootstrapAsync(Portal.MqttPort);
            await using var _ = client;
            await client.EnrollAsync(TestMqttClient.Request(hostname: $"csv{tag}-{i}"));
            enrolments.Add(client.ClientId);
        }

        var ids = new List<Guid>();
        foreach (var enrolment in enrolments)
        {
            ids.Add((await Portal.FindDeviceAsync(d => d.EnrollmentId == enrolment))!.Id);
        }

        await Labels.ChangeAsync(ids[..5], [new DeviceLabel($"csv{tag}", "a,\"b\"")], [], TestActors.Operator);
        var token = await ApiTokens.GetTokenAsync(Portal, "HelpDesk");

        using var response = await ApiTokens.GetAsync(
            Portal,
            $"/api/v1/devices/export.csv?q=csv{tag}-&label=csv{tag}&sort=hostname&dir=asc&size=25&page=2",
            token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync();
        var lines = body.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(DeviceCsv.Columns, lines[0].Split(','));
        var expected = await Portal.Devices.ListAsync(
            new DeviceQuery($"csv{tag}-", SortBy: "hostname", Descending: false, Take: 500, Label: $"csv{tag}"));
        Assert.Equal(5, expected.Total);
        Assert.Equal(
            expected.Rows.Select(r => string.Join(',', DeviceCsv.Cells(r).Select(AuditCsv.Cell))),
            lines.Skip(1));
        Assert.Contains($"\"csv{tag}=a,\"\"b\"\"\"", body, StringComparison.Ordinal);   // quoted, quotes doubled
        Assert.All(enrolments, e => Assert.DoesNotContain(e, body, StringComparison.Ordinal));
    }

    [Fact]
    public async Task LabelsApi_HelpDeskToken_RefusedOperatorToken_Changed()
    {
        var id = await EnrolAsync($"lblapi-{Tag()}");
        var change = new { deviceIds = new[] { id }, add = new[] { "api-lab" } };

        using var helpDesk = ApiTokens.Http(Portal, await ApiTokens.GetTokenAsync(Portal, "HelpDesk"));
        using var refused = await helpDesk.PostAsJsonAsync("/api/v1/devices/labels", change);
        using var undoRefused = await helpDesk.PostAsync(
            new Uri($"/api/v1/devices/{id:N}/undo-reject", UriKind.Relative), null);
        using var operatorHttp = ApiTokens.Http(Portal, await ApiTokens.GetTokenAsync(Portal, "Operator"));
        using var changed = await operatorHttp.PostAsJsonAsync("/api/v1/devices/labels", change);

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, undoRefused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal([new DeviceLabel("api-lab", "")], await Labels.OfDeviceAsync(id));
    }

    private async Task<IReadOnlyList<Guid>> IdsAsync(string label) =>
        [.. (await Portal.Devices.ListAsync(new DeviceQuery(Label: label, Take: 500))).Rows.Select(r => r.Id)];

    private static string Tag() => Guid.NewGuid().ToString("N")[..6];

    private async Task<Guid> EnrolAsync(string hostname)
    {
        var (client, _) = await TestMqttClient.ConnectBootstrapAsync(Portal.MqttPort);
        await using var _ = client;
        await client.EnrollAsync(TestMqttClient.Request(hostname: hostname));
        return (await Portal.FindDeviceAsync(d => d.EnrollmentId == client.ClientId))!.Id;
    }
}
