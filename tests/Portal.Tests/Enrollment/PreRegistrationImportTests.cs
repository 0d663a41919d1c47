using Fleet.Portal.Features.Enrollment;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Tests.Enrollment;

/// <summary>Bulk pre-registration: good rows imported, each bad row reported with its line, column and reason.</summary>
public sealed class PreRegistrationImportTests(PortalFixture fixture) : IClassFixture<PortalFixture>
{
    private EnrollmentService Enrollment => fixture.Portal.Services.GetRequiredService<EnrollmentService>();

    [Fact]
    public async Task Import_CsvWithBadRows_GoodRowsImportedBadRowsReportedNothingHalfImported()
    {
        var ek = new string('a', 64);
        var csv = $"""
            mac,ek_hash,hostname,group,labels
            52:54:00:aa:00:01,,edge-1,default,"site=lyon,rack=3"
            not-a-mac,,edge-2,,
            52-54-00-AA-00-03,{ek},edge-3,,
            ,,edge-4,,
            52:54:00:aa:00:05,,edge-5,no-such-group,
            52:54:00:AA:00:01,,edge-dup,,
            52:54:00:aa:00:07,,edge-7
            52:54:00:aa:00:08,xyz,edge-8,,
            52:54:00:aa:00:0a,,edge-10,,"site=lyon,9lives"
            """;

        var result = await Enrollment.ImportPreRegistrationsAsync(csv, TestActors.Operator, TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded);
        var report = result.Value!;
        Assert.Equal(2, report.Imported);
        Assert.Equal(
            [(3, "mac"), (5, "mac"), (6, "group"), (7, "mac"), (8, "(row)"), (9, "ek_hash"), (10, "labels")],
            report.Errors.Select(e => (e.Row, e.Column)).ToList());
        Assert.Contains("not-a-mac", report.Errors[0].Reason, StringComparison.Ordinal);
        Assert.Contains("already pre-registered", report.Errors[3].Reason, StringComparison.Ordinal);
        Assert.Contains("'9lives': a label name", report.Errors[6].Reason, StringComparison.Ordinal);
        await using var db = await fixture.Portal.CreateDbAsync();
        var stored = await db.PreRegistrations.AsNoTracking().OrderBy(p => p.Mac).ToListAsync(TestContext.Current.CancellationToken);
        Assert.Equal(["52:54:00:aa:00:01", "52:54:00:aa:00:03"], stored.Select(p => p.Mac));
        Assert.Equal("site=lyon,rack=3", stored[0].Labels);
        Assert.Equal(ek, stored[1].EkHash);

        // Row 9's MAC was valid but its EK hash was not: the whole row was refused, so the MAC is still free.
        Assert.DoesNotContain(stored, p => p.Mac == "52:54:00:aa:00:08");
    }

    [Fact]
    public async Task Import_HeaderWithoutIdentityColumn_ReportedOnLineOne()
    {
        var result = await Enrollment.ImportPreRegistrationsAsync("hostname,colour\nedge,blue\n", TestActors.Operator, TestContext.Current.CancellationToken);

        Assert.Equal(0, result.Value!.Imported);
        Assert.Contains(result.Value.Errors, e => e.Row == 1 && e.Column == "colour");
        Assert.Contains(result.Value.Errors, e => e.Row == 1 && e.Reason.Contains("mac or an ek_hash", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Import_AsHelpDesk_RefusedAndNothingImported()
    {
        var result = await Enrollment.ImportPreRegistrationsAsync("mac\n52:54:00:bb:00:01\n", TestActors.HelpDesk, TestContext.Current.CancellationToken);

        Assert.Equal(OutcomeKind.Forbidden, result.Kind);
        await using var db = await fixture.Portal.CreateDbAsync();
        Assert.False(await db.PreRegistrations.AnyAsync(p => p.Mac == "52:54:00:bb:00:01", TestContext.Current.CancellationToken));
    }
}
