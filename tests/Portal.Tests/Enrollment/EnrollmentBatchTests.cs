using System.Text.Json;
using Fleet.Portal.Ingest;
using Fleet.Portal.Messaging;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;

namespace Fleet.Portal.Tests.Enrollment;

/// <summary>Several enrolment requests in one ingest batch (the preloaded path) are judged as if they came one by one.</summary>
public sealed class EnrollmentBatchTests(PortalFixture fixture) : IClassFixture<PortalFixture>
{
    [Fact]
    public async Task OneBatch_SharedMacAndMachineIdAndRepeatedRequest_FlaggedAndNotDuplicated()
    {
        var pipeline = fixture.Portal.Services.GetServices<IHostedService>().OfType<IngestPipeline>().Single();
        var mac = TestMqttClient.RandomMac();
        var machineId = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var (a, b, c) = (TestMqttClient.NewEnrollmentId(), TestMqttClient.NewEnrollmentId(), TestMqttClient.NewEnrollmentId());
        var requestA = TestMqttClient.Request(machineId, "batch-a", mac);
        InboundMessage Message(string id, EnrollmentRequest request) =>
            new(InboundKind.Of(TopicKind.EnrollmentRequest), id,
                JsonSerializer.SerializeToUtf8Bytes(request, FleetJson.Default.EnrollmentRequest),
                DateTimeOffset.UtcNow);

        await pipeline.ProcessBatchAsync(
            [
                Message(a, requestA),
                Message(b, TestMqttClient.Request(hostname: "batch-b", macs: mac)),
                Message(c, TestMqttClient.Request(machineId, "batch-c", TestMqttClient.RandomMac())),
                Message(a, requestA with { SentAt = requestA.SentAt.AddSeconds(1) }),
            ],
            TestContext.Current.CancellationToken);

        await using var db = await fixture.Portal.CreateDbAsync();
        var devices = await db.Devices.AsNoTracking().Where(d => d.Hostname.StartsWith("batch-")).ToListAsync(TestContext.Current.CancellationToken);
        Assert.Equal(["batch-a", "batch-b", "batch-c"], devices.Select(d => d.Hostname).Order());

        // As one by one: batch-a's repeated request sees batch-b's MAC and is flagged too, never merged.
        Assert.Contains($"MAC {mac}", devices.Single(d => d.Hostname == "batch-a").Conflict, StringComparison.Ordinal);
        Assert.Contains($"MAC {mac}", devices.Single(d => d.Hostname == "batch-b").Conflict, StringComparison.Ordinal);
        Assert.Contains($"machine-id {machineId}", devices.Single(d => d.Hostname == "batch-c").Conflict, StringComparison.Ordinal);
    }
}
