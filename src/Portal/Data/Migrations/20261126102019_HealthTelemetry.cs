using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Fleet.Portal.Data.Migrations
{
    /// <inheritdoc />
    public partial class HealthTelemetry : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "HealthIntervalSeconds",
                table: "DeviceGroups",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "AlertRules",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Name = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Threshold = table.Column<double>(type: "REAL", nullable: false),
                    Severity = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    GroupId = table.Column<int>(type: "INTEGER", nullable: true),
                    Enabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AlertRules", x => x.Id);
                    table.ForeignKey(
                        name: "FK_AlertRules_DeviceGroups_GroupId",
                        column: x => x.GroupId,
                        principalTable: "DeviceGroups",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "DeviceHealth",
                columns: table => new
                {
                    DeviceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Sequence = table.Column<long>(type: "INTEGER", nullable: false),
                    At = table.Column<long>(type: "INTEGER", nullable: false),
                    ReceivedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    CpuPercent = table.Column<double>(type: "REAL", nullable: true),
                    MemoryPercent = table.Column<double>(type: "REAL", nullable: true),
                    SwapPercent = table.Column<double>(type: "REAL", nullable: true),
                    DiskPercent = table.Column<double>(type: "REAL", nullable: true),
                    FullestMount = table.Column<string>(type: "TEXT", maxLength: 512, nullable: true),
                    TemperatureCelsius = table.Column<double>(type: "REAL", nullable: true),
                    Load1 = table.Column<double>(type: "REAL", nullable: true),
                    UptimeSeconds = table.Column<double>(type: "REAL", nullable: true),
                    FailedUnits = table.Column<int>(type: "INTEGER", nullable: true),
                    ReportJson = table.Column<string>(type: "TEXT", nullable: false),
                    Worst = table.Column<double>(type: "REAL", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DeviceHealth", x => x.DeviceId);
                    table.ForeignKey(
                        name: "FK_DeviceHealth_Devices_DeviceId",
                        column: x => x.DeviceId,
                        principalTable: "Devices",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "HealthAggregates",
                columns: table => new
                {
                    DeviceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    BucketStart = table.Column<long>(type: "INTEGER", nullable: false),
                    Samples = table.Column<int>(type: "INTEGER", nullable: false),
                    CpuMin = table.Column<double>(type: "REAL", nullable: true),
                    CpuAvg = table.Column<double>(type: "REAL", nullable: true),
                    CpuMax = table.Column<double>(type: "REAL", nullable: true),
                    MemoryMin = table.Column<double>(type: "REAL", nullable: true),
                    MemoryAvg = table.Column<double>(type: "REAL", nullable: true),
                    MemoryMax = table.Column<double>(type: "REAL", nullable: true),
                    DiskMin = table.Column<double>(type: "REAL", nullable: true),
                    DiskAvg = table.Column<double>(type: "REAL", nullable: true),
                    DiskMax = table.Column<double>(type: "REAL", nullable: true),
                    TemperatureMin = table.Column<double>(type: "REAL", nullable: true),
                    TemperatureAvg = table.Column<double>(type: "REAL", nullable: true),
                    TemperatureMax = table.Column<double>(type: "REAL", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_HealthAggregates", x => new { x.DeviceId, x.BucketStart });
                    table.ForeignKey(
                        name: "FK_HealthAggregates_Devices_DeviceId",
                        column: x => x.DeviceId,
                        principalTable: "Devices",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "HealthSamples",
                columns: table => new
                {
                    DeviceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Sequence = table.Column<long>(type: "INTEGER", nullable: false),
                    SentAt = table.Column<long>(type: "INTEGER", nullable: false),
                    At = table.Column<long>(type: "INTEGER", nullable: false),
                    ReceivedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    CpuPercent = table.Column<double>(type: "REAL", nullable: true),
                    MemoryPercent = table.Column<double>(type: "REAL", nullable: true),
                    SwapPercent = table.Column<double>(type: "REAL", nullable: true),
                    DiskPercent = table.Column<double>(type: "REAL", nullable: true),
                    TemperatureCelsius = table.Column<double>(type: "REAL", nullable: true),
                    Load1 = table.Column<double>(type: "REAL", nullable: true),
                    UptimeSeconds = table.Column<double>(type: "REAL", nullable: true),
                    FailedUnits = table.Column<int>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_HealthSamples", x => new { x.DeviceId, x.Sequence, x.SentAt });
                    table.ForeignKey(
                        name: "FK_HealthSamples_Devices_DeviceId",
                        column: x => x.DeviceId,
                        principalTable: "Devices",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "Alerts",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    RuleId = table.Column<int>(type: "INTEGER", nullable: false),
                    DeviceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Severity = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Message = table.Column<string>(type: "TEXT", maxLength: 512, nullable: false),
                    Value = table.Column<double>(type: "REAL", nullable: true),
                    FiredAt = table.Column<long>(type: "INTEGER", nullable: false),
                    AcknowledgedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    AcknowledgedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    ResolvedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    ResolvedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    IsOpen = table.Column<bool>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Alerts", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Alerts_AlertRules_RuleId",
                        column: x => x.RuleId,
                        principalTable: "AlertRules",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_Alerts_Devices_DeviceId",
                        column: x => x.DeviceId,
                        principalTable: "Devices",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.UpdateData(
                table: "DeviceGroups",
                keyColumn: "Id",
                keyValue: 1,
                column: "HealthIntervalSeconds",
                value: null);

            migrationBuilder.CreateIndex(
                name: "IX_Devices_FirstSeenAt_Id",
                table: "Devices",
                columns: new[] { "FirstSeenAt", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_Devices_State_IsOnline_FirstSeenAt_Id",
                table: "Devices",
                columns: new[] { "State", "IsOnline", "FirstSeenAt", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_AlertRules_GroupId",
                table: "AlertRules",
                column: "GroupId");

            migrationBuilder.CreateIndex(
                name: "IX_Alerts_DeviceId_FiredAt",
                table: "Alerts",
                columns: new[] { "DeviceId", "FiredAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Alerts_IsOpen_FiredAt",
                table: "Alerts",
                columns: new[] { "IsOpen", "FiredAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Alerts_RuleId_DeviceId",
                table: "Alerts",
                columns: new[] { "RuleId", "DeviceId" },
                unique: true,
                filter: "\"IsOpen\"");

            migrationBuilder.CreateIndex(
                name: "IX_DeviceHealth_Worst",
                table: "DeviceHealth",
                column: "Worst");

            migrationBuilder.CreateIndex(
                name: "IX_HealthAggregates_BucketStart",
                table: "HealthAggregates",
                column: "BucketStart");

            migrationBuilder.CreateIndex(
                name: "IX_HealthSamples_At",
                table: "HealthSamples",
                column: "At");

            migrationBuilder.CreateIndex(
                name: "IX_HealthSamples_DeviceId_At",
                table: "HealthSamples",
                columns: new[] { "DeviceId", "At" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "Alerts");

            migrationBuilder.DropTable(
                name: "DeviceHealth");

            migrationBuilder.DropTable(
                name: "HealthAggregates");

            migrationBuilder.DropTable(
                name: "HealthSamples");

            migrationBuilder.DropTable(
                name: "AlertRules");

            migrationBuilder.DropIndex(
                name: "IX_Devices_FirstSeenAt_Id",
                table: "Devices");

            migrationBuilder.DropIndex(
                name: "IX_Devices_State_IsOnline_FirstSeenAt_Id",
                table: "Devices");

            migrationBuilder.DropColumn(
                name: "HealthIntervalSeconds",
                table: "DeviceGroups");
        }
    }
}
