using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

#pragma warning disable CA1814 // Prefer jagged arrays over multidimensional

namespace Fleet.Portal.Data.Migrations
{
    /// <inheritdoc />
    public partial class OsUpdates : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "BootedChecksum",
                table: "Devices",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "BootedVersion",
                table: "Devices",
                type: "TEXT",
                maxLength: 128,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "DeploymentsReportedAt",
                table: "Devices",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Greenboot",
                table: "Devices",
                type: "TEXT",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "GroupId",
                table: "Devices",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "LastRollbackAt",
                table: "Devices",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "LastUpdateEventId",
                table: "Devices",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "NodeUuid",
                table: "Devices",
                type: "TEXT",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "PinnedVersion",
                table: "Devices",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "RollbackCommandAck",
                table: "Devices",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "RollbackCommandId",
                table: "Devices",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "StagedVersion",
                table: "Devices",
                type: "TEXT",
                maxLength: 128,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "UpdateAgent",
                table: "Devices",
                type: "TEXT",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "UpdateStatus",
                table: "Devices",
                type: "TEXT",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "UpdateStreamOverride",
                table: "Devices",
                type: "TEXT",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "UpdatesPauseReason",
                table: "Devices",
                type: "TEXT",
                maxLength: 500,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "UpdatesPausedAt",
                table: "Devices",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "UpdatesPausedBy",
                table: "Devices",
                type: "TEXT",
                maxLength: 256,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "UpdatesPausedUntil",
                table: "Devices",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ZincatiNodeUuid",
                table: "Devices",
                type: "TEXT",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "SourceId",
                table: "DeviceEvents",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "RolloutOutcomes",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ReleaseVersion = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    DeviceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Succeeded = table.Column<bool>(type: "INTEGER", nullable: false),
                    At = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RolloutOutcomes", x => x.Id);
                    table.ForeignKey(
                        name: "FK_RolloutOutcomes_Devices_DeviceId",
                        column: x => x.DeviceId,
                        principalTable: "Devices",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "UpdateStreams",
                columns: table => new
                {
                    Name = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Description = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    IsBuiltIn = table.Column<bool>(type: "INTEGER", nullable: false),
                    PausedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    PausedUntil = table.Column<long>(type: "INTEGER", nullable: true),
                    PauseReason = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    PausedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    MetadataLastModified = table.Column<long>(type: "INTEGER", nullable: true),
                    LatestByArchitecture = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    LastImportAt = table.Column<long>(type: "INTEGER", nullable: true),
                    LastImportBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_UpdateStreams", x => x.Name);
                });

            migrationBuilder.CreateTable(
                name: "DeviceGroups",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Name = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Description = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    StreamOverride = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    PausedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    PausedUntil = table.Column<long>(type: "INTEGER", nullable: true),
                    PauseReason = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    PausedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    PinnedVersion = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    FleetLockSlots = table.Column<int>(type: "INTEGER", nullable: false, defaultValue: 1),
                    MaintenanceDays = table.Column<int>(type: "INTEGER", nullable: false),
                    MaintenanceStartUtc = table.Column<TimeOnly>(type: "TEXT", nullable: true),
                    MaintenanceDurationMinutes = table.Column<int>(type: "INTEGER", nullable: true),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DeviceGroups", x => x.Id);
                    table.ForeignKey(
                        name: "FK_DeviceGroups_UpdateStreams_StreamOverride",
                        column: x => x.StreamOverride,
                        principalTable: "UpdateStreams",
                        principalColumn: "Name",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "Releases",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    StreamName = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Version = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    AgeIndex = table.Column<int>(type: "INTEGER", nullable: false),
                    PublishedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    ImportedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    HasRollout = table.Column<bool>(type: "INTEGER", nullable: false),
                    RolloutStartEpoch = table.Column<long>(type: "INTEGER", nullable: true),
                    RolloutStartPercentage = table.Column<double>(type: "REAL", nullable: true),
                    RolloutDurationMinutes = table.Column<long>(type: "INTEGER", nullable: true),
                    IsBarrier = table.Column<bool>(type: "INTEGER", nullable: false),
                    BarrierReason = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    IsDeadEnd = table.Column<bool>(type: "INTEGER", nullable: false),
                    DeadEndReason = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    HaltedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    HaltReason = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    HaltedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    ResumedAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Releases", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Releases_UpdateStreams_StreamName",
                        column: x => x.StreamName,
                        principalTable: "UpdateStreams",
                        principalColumn: "Name",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "UpdateSettings",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false),
                    DefaultStream = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    FailureThresholdPercent = table.Column<int>(type: "INTEGER", nullable: false),
                    FailureMinimumSample = table.Column<int>(type: "INTEGER", nullable: false),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    UpdatedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_UpdateSettings", x => x.Id);
                    table.ForeignKey(
                        name: "FK_UpdateSettings_UpdateStreams_DefaultStream",
                        column: x => x.DefaultStream,
                        principalTable: "UpdateStreams",
                        principalColumn: "Name",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "FleetLockHolders",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    GroupId = table.Column<int>(type: "INTEGER", nullable: false),
                    NodeId = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    Slot = table.Column<int>(type: "INTEGER", nullable: false),
                    AcquiredAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_FleetLockHolders", x => x.Id);
                    table.ForeignKey(
                        name: "FK_FleetLockHolders_DeviceGroups_GroupId",
                        column: x => x.GroupId,
                        principalTable: "DeviceGroups",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "ReleaseArchitectures",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ReleaseId = table.Column<int>(type: "INTEGER", nullable: false),
                    Architecture = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Checksum = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    OciImage = table.Column<string>(type: "TEXT", maxLength: 512, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ReleaseArchitectures", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ReleaseArchitectures_Releases_ReleaseId",
                        column: x => x.ReleaseId,
                        principalTable: "Releases",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.InsertData(
                table: "DeviceGroups",
                columns: new[] { "Id", "CreatedAt", "Description", "FleetLockSlots", "MaintenanceDays", "MaintenanceDurationMinutes", "MaintenanceStartUtc", "Name", "PauseReason", "PausedAt", "PausedBy", "PausedUntil", "PinnedVersion", "StreamOverride" },
                values: new object[] { 1, 0L, "Every device not put in another group; Zincati's default group.", 1, 0, null, null, "default", null, null, null, null, null, null });

            migrationBuilder.InsertData(
                table: "UpdateStreams",
                columns: new[] { "Name", "Description", "IsBuiltIn", "LastImportAt", "LastImportBy", "LatestByArchitecture", "MetadataLastModified", "PauseReason", "PausedAt", "PausedBy", "PausedUntil" },
                values: new object[,]
                {
                    { "next", "Fedora CoreOS next: the next Fedora major release, early.", true, null, null, null, null, null, null, null, null },
                    { "stable", "Fedora CoreOS stable: the most reliable stream, promoted from testing every two weeks.", true, null, null, null, null, null, null, null, null },
                    { "testing", "Fedora CoreOS testing: a preview of the next stable release.", true, null, null, null, null, null, null, null, null }
                });

            migrationBuilder.InsertData(
                table: "UpdateSettings",
                columns: new[] { "Id", "DefaultStream", "FailureMinimumSample", "FailureThresholdPercent", "UpdatedAt", "UpdatedBy" },
                values: new object[] { 1, "stable", 5, 20, null, null });

            migrationBuilder.CreateIndex(
                name: "IX_Devices_BootedVersion",
                table: "Devices",
                column: "BootedVersion");

            migrationBuilder.CreateIndex(
                name: "IX_Devices_GroupId",
                table: "Devices",
                column: "GroupId");

            migrationBuilder.CreateIndex(
                name: "IX_Devices_NodeUuid",
                table: "Devices",
                column: "NodeUuid");

            migrationBuilder.CreateIndex(
                name: "IX_Devices_UpdateStreamOverride",
                table: "Devices",
                column: "UpdateStreamOverride");

            migrationBuilder.CreateIndex(
                name: "IX_Devices_ZincatiNodeUuid",
                table: "Devices",
                column: "ZincatiNodeUuid");

            migrationBuilder.CreateIndex(
                name: "IX_DeviceEvents_DeviceId_SourceId",
                table: "DeviceEvents",
                columns: new[] { "DeviceId", "SourceId" },
                unique: true,
                filter: "\"SourceId\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "IX_DeviceGroups_Name",
                table: "DeviceGroups",
                column: "Name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_DeviceGroups_StreamOverride",
                table: "DeviceGroups",
                column: "StreamOverride");

            migrationBuilder.CreateIndex(
                name: "IX_FleetLockHolders_GroupId_NodeId",
                table: "FleetLockHolders",
                columns: new[] { "GroupId", "NodeId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_FleetLockHolders_GroupId_Slot",
                table: "FleetLockHolders",
                columns: new[] { "GroupId", "Slot" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_ReleaseArchitectures_Checksum",
                table: "ReleaseArchitectures",
                column: "Checksum");

            migrationBuilder.CreateIndex(
                name: "IX_ReleaseArchitectures_ReleaseId_Architecture",
                table: "ReleaseArchitectures",
                columns: new[] { "ReleaseId", "Architecture" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Releases_StreamName_AgeIndex",
                table: "Releases",
                columns: new[] { "StreamName", "AgeIndex" });

            migrationBuilder.CreateIndex(
                name: "IX_Releases_StreamName_Version",
                table: "Releases",
                columns: new[] { "StreamName", "Version" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Releases_Version",
                table: "Releases",
                column: "Version");

            migrationBuilder.CreateIndex(
                name: "IX_RolloutOutcomes_DeviceId",
                table: "RolloutOutcomes",
                column: "DeviceId");

            migrationBuilder.CreateIndex(
                name: "IX_RolloutOutcomes_ReleaseVersion_DeviceId",
                table: "RolloutOutcomes",
                columns: new[] { "ReleaseVersion", "DeviceId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_UpdateSettings_DefaultStream",
                table: "UpdateSettings",
                column: "DefaultStream");

            migrationBuilder.AddForeignKey(
                name: "FK_Devices_DeviceGroups_GroupId",
                table: "Devices",
                column: "GroupId",
                principalTable: "DeviceGroups",
                principalColumn: "Id",
                onDelete: ReferentialAction.SetNull);

            migrationBuilder.AddForeignKey(
                name: "FK_Devices_UpdateStreams_UpdateStreamOverride",
                table: "Devices",
                column: "UpdateStreamOverride",
                principalTable: "UpdateStreams",
                principalColumn: "Name",
                onDelete: ReferentialAction.Restrict);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "FK_Devices_DeviceGroups_GroupId",
                table: "Devices");

            migrationBuilder.DropForeignKey(
                name: "FK_Devices_UpdateStreams_UpdateStreamOverride",
                table: "Devices");

            migrationBuilder.DropTable(
                name: "FleetLockHolders");

            migrationBuilder.DropTable(
                name: "ReleaseArchitectures");

            migrationBuilder.DropTable(
                name: "RolloutOutcomes");

            migrationBuilder.DropTable(
                name: "UpdateSettings");

            migrationBuilder.DropTable(
                name: "DeviceGroups");

            migrationBuilder.DropTable(
                name: "Releases");

            migrationBuilder.DropTable(
                name: "UpdateStreams");

            migrationBuilder.DropIndex(
                name: "IX_Devices_BootedVersion",
                table: "Devices");

            migrationBuilder.DropIndex(
                name: "IX_Devices_GroupId",
                table: "Devices");

            migrationBuilder.DropIndex(
                name: "IX_Devices_NodeUuid",
                table: "Devices");

            migrationBuilder.DropIndex(
                name: "IX_Devices_UpdateStreamOverride",
                table: "Devices");

            migrationBuilder.DropIndex(
                name: "IX_Devices_ZincatiNodeUuid",
                table: "Devices");

            migrationBuilder.DropIndex(
                name: "IX_DeviceEvents_DeviceId_SourceId",
                table: "DeviceEvents");

            migrationBuilder.DropColumn(
                name: "BootedChecksum",
                table: "Devices");

            migrationBuilder.DropColumn(
                name: "BootedVersion",
                table: "Devices");

            migrationBuilder.DropColumn(
                name: "DeploymentsReportedAt",
                table: "Devices");

            migrationBuilder.DropColumn(
                name: "Greenboot",
                table: "Devices");

            migrationBuilder.DropColumn(
                name: "GroupId",
                table: "Devices");

            migrationBuilder.DropColumn(
                name: "LastRollbackAt",
                table: "Devices");

            migrationBuilder.DropColumn(
                name: "LastUpdateEventId",
                table: "Devices");

            migrationBuilder.DropColumn(
                name: "NodeUuid",
                table: "Devices");

            migrationBuilder.DropColumn(
                name: "PinnedVersion",
                table: "Devices");

            migrationBuilder.DropColumn(
                name: "RollbackCommandAck",
                table: "Devices");

            migrationBuilder.DropColumn(
                name: "RollbackCommandId",
                table: "Devices");

            migrationBuilder.DropColumn(
                name: "StagedVersion",
                table: "Devices");

            migrationBuilder.DropColumn(
                name: "UpdateAgent",
                table: "Devices");

            migrationBuilder.DropColumn(
                name: "UpdateStatus",
                table: "Devices");

            migrationBuilder.DropColumn(
                name: "UpdateStreamOverride",
                table: "Devices");

            migrationBuilder.DropColumn(
                name: "UpdatesPauseReason",
                table: "Devices");

            migrationBuilder.DropColumn(
                name: "UpdatesPausedAt",
                table: "Devices");

            migrationBuilder.DropColumn(
                name: "UpdatesPausedBy",
                table: "Devices");

            migrationBuilder.DropColumn(
                name: "UpdatesPausedUntil",
                table: "Devices");

            migrationBuilder.DropColumn(
                name: "ZincatiNodeUuid",
                table: "Devices");

            migrationBuilder.DropColumn(
                name: "SourceId",
                table: "DeviceEvents");
        }
    }
}
