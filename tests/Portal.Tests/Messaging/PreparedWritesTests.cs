using System.Data.Common;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Attestation;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Tests.Messaging;

/// <summary>
/// The ingest writer's prepared statements store exactly what SaveChanges would (same columns, same formats:
/// GUID text, UTC ticks, enum names, nulls), on the portal's real SQLite file.
/// </summary>
public sealed class PreparedWritesTests(PortalFixture fixture) : IClassFixture<PortalFixture>
{
    private static readonly Type[] Inserted = [typeof(Device), typeof(DeviceMac), typeof(DeviceEvent), typeof(AuditEntry), typeof(DeviceIdentifier), typeof(HeartbeatRecord)];

    private PortalInstance Portal => fixture.Portal;

    [Fact]
    public async Task Insert_SameRowsAsSaveChanges()
    {
        var at = new DateTimeOffset(2026, 11, 26, 12, 30, 15, 123, TimeSpan.FromHours(2));
        var (bySaveChanges, byPrepared) = (Guid.NewGuid(), Guid.NewGuid());
        await using (var db = await Portal.CreateDbAsync())
        {
            AddGraph(db, bySaveChanges, at);
            await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        }

        await using (var db = await Portal.CreateDbAsync())
        {
            AddGraph(db, byPrepared, at);
            db.ChangeTracker.DetectChanges();
            var writes = PreparedWrites.Take(db, Inserted, [typeof(Device)]);
            Assert.Equal(8, writes.Count);
            Assert.DoesNotContain(db.ChangeTracker.Entries(), e => e.State != EntityState.Unchanged);   // nothing left for SaveChanges
            await using var transaction = await db.Database.BeginTransactionAsync(TestContext.Current.CancellationToken);
            await writes.WriteAsync(db, TestContext.Current.CancellationToken);
            await transaction.CommitAsync(TestContext.Current.CancellationToken);
        }

        foreach (var (table, key) in new[] { ("Devices", "Id"), ("DeviceMacs", "DeviceId"), ("DeviceEvents", "DeviceId"), ("DeviceIdentifiers", "DeviceId"), ("Heartbeats", "DeviceId"), ("AuditEntries", "EntityId") })
        {
            var expected = await RowAsync(table, key, bySaveChanges);
            var actual = await RowAsync(table, key, byPrepared);
            Assert.Equal(expected.Keys, actual.Keys);
            foreach (var (column, value) in expected)
            {
                if (column is "Id" or "DeviceId" or "EntityId" or "EnrollmentId" or "MachineId" or "NodeUuid"
                    or "Value")
                {
                    continue;   // differ by design: the two devices' identities
                }

                Assert.True(Equals(value, actual[column]), $"{table}.{column}: SaveChanges stored {value ?? "null"} ({value?.GetType().Name}), the prepared insert {actual[column] ?? "null"} ({actual[column]?.GetType().Name})");
            }
        }

        // And EF reads the prepared rows back as it wrote them.
        await using (var db = await Portal.CreateDbAsync())
        {
            var device = await db.Devices.AsNoTracking().Include(d => d.Macs).SingleAsync(d => d.Id == byPrepared, TestContext.Current.CancellationToken);
            Assert.Equal(at, device.FirstSeenAt);
            Assert.Equal(EnrollmentState.Approved, device.State);
            Assert.Equal("eth0", Assert.Single(device.Macs).InterfaceName);
            Assert.Equal(IdentifierKind.MachineId, (await db.DeviceIdentifiers.SingleAsync(i => i.DeviceId == byPrepared, TestContext.Current.CancellationToken)).Kind);
        }
    }

    [Fact]
    public async Task Update_WritesChangedColumnsOnly_AndAGoneRowFailsTheBatch()
    {
        var id = Guid.NewGuid();
        await using (var db = await Portal.CreateDbAsync())
        {
            AddGraph(db, id, DateTimeOffset.UtcNow);
            await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        }

        await using (var db = await Portal.CreateDbAsync())
        {
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            var device = await db.Devices.SingleAsync(d => d.Id == id, TestContext.Current.CancellationToken);
            device.IsOnline = true;
            device.LastAddress = "192.0.2.7";

            // Another writer changes a column this context did not touch: it must survive.
            await using (var other = await Portal.CreateDbAsync())
            {
                await other.Devices.Where(d => d.Id == id).ExecuteUpdateAsync(u => u.SetProperty(d => d.Hostname, "renamed"), TestContext.Current.CancellationToken);
            }

            db.ChangeTracker.DetectChanges();
            var writes = PreparedWrites.Take(db, Inserted, [typeof(Device)]);
            Assert.Equal(1, writes.Count);
            Assert.Equal(EntityState.Unchanged, db.Entry(device).State);
            await writes.WriteAsync(db, TestContext.Current.CancellationToken);
        }

        await using (var db = await Portal.CreateDbAsync())
        {
            var stored = await db.Devices.AsNoTracking().SingleAsync(d => d.Id == id, TestContext.Current.CancellationToken);
            Assert.True(stored.IsOnline);
            Assert.Equal("192.0.2.7", stored.LastAddress);
            Assert.Equal("renamed", stored.Hostname);
        }

        await using (var db = await Portal.CreateDbAsync())
        {
            var device = await db.Devices.SingleAsync(d => d.Id == id, TestContext.Current.CancellationToken);
            await db.Devices.Where(d => d.Id == id).ExecuteDeleteAsync(TestContext.Current.CancellationToken);
            device.IsOnline = false;
            db.ChangeTracker.DetectChanges();
            var writes = PreparedWrites.Take(db, Inserted, [typeof(Device)]);
            await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => writes.WriteAsync(db, TestContext.Current.CancellationToken));
        }
    }

    [Fact]
    public async Task Take_ATypeOthersReferToByAStoreKey_Refused()
    {
        await using var db = await Portal.CreateDbAsync();
        db.DeviceGroups.Add(new Fleet.Portal.Features.Updates.DeviceGroup { Name = "prepared-" + Guid.NewGuid().ToString("N")[..8] });
        db.ChangeTracker.DetectChanges();

        // Alert rules, assignments and keys refer to a group by its identity column, which a prepared insert never reads back.
        Assert.Throws<InvalidOperationException>(() => PreparedWrites.Take(db, [typeof(Fleet.Portal.Features.Updates.DeviceGroup)], []));
    }

    private static void AddGraph(FleetDbContext db, Guid id, DateTimeOffset at)
    {
        var device = new Device
        {
            Id = id,
            EnrollmentId = "prepared-" + id.ToString("N"),
            State = EnrollmentState.Approved,
            MachineId = id.ToString("N"),
            Hostname = "prepared",
            Architecture = "aarch64",
            Kernel = "6.12",
            OsName = "Fedora CoreOS 42",
            OsReleaseJson = """{"ID":"fedora"}""",
            PrimaryMac = "52:54:00:aa:bb:cc",
            AgentVersion = "1.2.3",
            FirstSeenAt = at,
            DecidedAt = at,
            DecidedBy = "policy (token:x)",
            ApprovedBy = "token:x",
            SerialNumber = null,
            EnrollmentKeyHash = [1, 2, 3],
            CredentialHash = [4, 5, 6],
            LastRequestSentAt = at.AddSeconds(-1),
        };
        device.Macs.Add(new DeviceMac { DeviceId = id, Mac = "52:54:00:aa:bb:cc", InterfaceName = "eth0", IsPrimary = true });
        db.Devices.Add(device);
        db.DeviceEvents.Add(new DeviceEvent { DeviceId = id, At = at, Kind = "enrolment", Message = "Enrolled" });
        db.DeviceEvents.Add(new DeviceEvent { DeviceId = id, At = at, Kind = "decision", Message = "Approved", SourceId = null });
        db.DeviceIdentifiers.Add(new DeviceIdentifier { DeviceId = id, Kind = IdentifierKind.MachineId, Value = id.ToString("N"), FirstSeenAt = at, LastSeenAt = at });
        db.Heartbeats.Add(new HeartbeatRecord { DeviceId = id, ReceivedAt = at, SentAt = at, Sequence = 1, UptimeSeconds = 12.5, Load1 = 0.1, Load5 = 0.2, Load15 = 0.3 });
        db.AuditEntries.Add(new AuditEntry { At = at, Actor = "enroll-x", Source = AuditSource.Device, Action = "device.enrol", EntityType = "device", EntityId = id.ToString("N"), After = "approved", Outcome = AuditOutcome.Succeeded, RemoteAddress = "127.0.0.1" });
        db.AuditEntries.Add(new AuditEntry { At = at, Actor = "enroll-x", Source = AuditSource.Device, Action = "device.auto-approve", EntityType = "device", EntityId = id.ToString("N"), Outcome = AuditOutcome.Succeeded });
    }

    private async Task<Dictionary<string, object?>> RowAsync(string table, string key, Guid id)
    {
        await using var db = await Portal.CreateDbAsync();
        await db.Database.OpenConnectionAsync(TestContext.Current.CancellationToken);
        await using var command = db.Database.GetDbConnection().CreateCommand();

        // Table and column names are constants of this test; only the key is a value.
        command.CommandText = $"SELECT * FROM \"{table}\" WHERE \"{key}\" = $id OR \"{key}\" = $n ORDER BY \"Id\" DESC LIMIT 1";
        Add(command, "$id", id.ToString().ToUpperInvariant());
        Add(command, "$n", id.ToString("N"));
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        Assert.True(await reader.ReadAsync(TestContext.Current.CancellationToken), $"no row in {table} for {id}");
        var row = new Dictionary<string, object?>(StringComparer.Ordinal);
        for (var i = 0; i < reader.FieldCount; i++)
        {
            var value = reader.IsDBNull(i) ? null : reader.GetValue(i);
            row[reader.GetName(i)] = value is byte[] bytes ? Convert.ToHexString(bytes) : value;
        }

        return row;

        static void Add(DbCommand command, string name, object value)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }
    }
}
