using Fleet.Portal.Data;
using Fleet.Portal.Features.Updates;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Tests.Updates;

/// <summary>Every save keeps a device's Zincati node UUID in step with its machine-id, however the device is written.</summary>
public sealed class NodeUuidStampTests(PortalFixture fixture) : IClassFixture<PortalFixture>
{
    [Fact]
    public async Task Save_NewDeviceThenNewMachineId_NodeUuidFollows()
    {
        var first = Guid.NewGuid().ToString("N");
        var second = Guid.NewGuid().ToString("N");
        var device = new Device
        {
            EnrollmentId = $"stamp-{Guid.NewGuid():N}",
            MachineId = first,
            Hostname = "stamped",
            Architecture = "x86_64",
            Kernel = "6.11",
            OsName = "Fedora CoreOS",
            OsReleaseJson = "{}",
            PrimaryMac = "02:00:00:00:00:02",
            AgentVersion = "test",
        };
        await using (var db = await fixture.Portal.CreateDbAsync())
        {
            db.Devices.Add(device);
            await db.SaveChangesAsync();
        }

        await using (var db = await fixture.Portal.CreateDbAsync())
        {
            var stored = await db.Devices.SingleAsync(d => d.Id == device.Id);
            Assert.Equal(NodeUuid.FromMachineId(first), stored.NodeUuid);
            stored.MachineId = second;
            await db.SaveChangesAsync();
        }

        await using (var db = await fixture.Portal.CreateDbAsync())
        {
            var stored = await db.Devices.SingleAsync(d => d.Id == device.Id);
            Assert.Equal(NodeUuid.FromMachineId(second), stored.NodeUuid);
        }
    }
}
