using Fleet.Portal.Data;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Devices;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Tests.Features;

/// <summary>Device decisions are authorized and audited by the service itself, whatever door they come through.</summary>
public sealed class DeviceDecisionAuditTests(PortalFixture fixture) : IClassFixture<PortalFixture>
{
    private PortalInstance Portal => fixture.Portal;

    [Fact]
    public async Task Approve_AsHelpDesk_ForbiddenStillPendingAndDenialAudited()
    {
        var id = await EnrolAsync();

        var result = await Portal.Devices.ApproveAsync(id, TestActors.HelpDesk);

        Assert.Equal(OutcomeKind.Forbidden, result.Kind);
        Assert.Equal(EnrollmentState.Pending, (await Portal.FindDeviceAsync(d => d.Id == id))!.State);
        await using var db = await Portal.CreateDbAsync();
        var denied = await db.AuditEntries.SingleAsync(a => a.EntityId == id.ToString("N") && a.Action == "device.approve");
        Assert.Equal(AuditOutcome.Denied, denied.Outcome);
        Assert.Equal("tester-helpdesk", denied.Actor);
        Assert.Equal("HelpDesk", denied.ActorRole);
        Assert.Equal(AuditSource.Ui, denied.Source);
    }

    [Fact]
    public async Task Approve_AsOperator_AuditedWithBeforeAfterAndDeviceEnrolmentAudited()
    {
        var id = await EnrolAsync();

        Assert.Equal(OutcomeKind.Done, (await Portal.Devices.ApproveAsync(id, TestActors.Operator)).Kind);

        await using var db = await Portal.CreateDbAsync();
        var entries = await db.AuditEntries.Where(a => a.EntityId == id.ToString("N")).OrderBy(a => a.Id).ToListAsync();
        Assert.Collection(
            entries,
            enrol =>
            {
                Assert.Equal("device.enrol", enrol.Action);
                Assert.Equal(AuditSource.Device, enrol.Source);
                Assert.StartsWith("enroll-", enrol.Actor, StringComparison.Ordinal);
                Assert.Equal("127.0.0.1", enrol.RemoteAddress);
            },
            approve =>
            {
                Assert.Equal("device.approve", approve.Action);
                Assert.Equal(AuditOutcome.Succeeded, approve.Outcome);
                Assert.EndsWith(": Pending", approve.Before, StringComparison.Ordinal);
                Assert.EndsWith(": Approved, credential issued", approve.After, StringComparison.Ordinal);
            });
    }

    [Fact]
    public async Task AuditEntries_UpdateOrDelete_RefusedByDatabase()
    {
        var id = await EnrolAsync();
        await using var db = await Portal.CreateDbAsync();
        var key = id.ToString("N");
        // EF logs each refused command as an Error (Microsoft.EntityFrameworkCore.Database.Command): provoked here.
        Portal.ExpectErrors(e => e.Category == "Microsoft.EntityFrameworkCore.Database.Command"
            && e.Message.Contains("\"AuditEntries\"", StringComparison.Ordinal));

        var update = await Assert.ThrowsAnyAsync<Exception>(() => db.AuditEntries.Where(a => a.EntityId == key).ExecuteUpdateAsync(s => s.SetProperty(a => a.Actor, "someone else")));
        var delete = await Assert.ThrowsAnyAsync<Exception>(() => db.AuditEntries.Where(a => a.EntityId == key).ExecuteDeleteAsync());

        Assert.Contains("append-only", update.Message, StringComparison.Ordinal);
        Assert.Contains("append-only", delete.Message, StringComparison.Ordinal);
    }

    private async Task<Guid> EnrolAsync()
    {
        var (client, _) = await TestMqttClient.ConnectBootstrapAsync(Portal.MqttPort);
        await using var _ = client;
        await client.EnrollAsync(TestMqttClient.Request());
        return (await Portal.FindDeviceAsync(d => d.EnrollmentId == client.ClientId))!.Id;
    }
}
