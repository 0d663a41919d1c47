using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Fleet.Portal.Data.Migrations
{
    /// <inheritdoc />
    public partial class CommandRunsAndPowerPlans : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "CommandRuns",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    OrderJson = table.Column<string>(type: "TEXT", maxLength: 8192, nullable: false),
                    Reason = table.Column<string>(type: "TEXT", maxLength: 512, nullable: true),
                    StartedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    Selection = table.Column<string>(type: "TEXT", maxLength: 512, nullable: false),
                    Devices = table.Column<int>(type: "INTEGER", nullable: false),
                    Concurrency = table.Column<int>(type: "INTEGER", nullable: false),
                    FailureThreshold = table.Column<int>(type: "INTEGER", nullable: false),
                    FailureThresholdIsPercent = table.Column<bool>(type: "INTEGER", nullable: false),
                    FailureLimit = table.Column<int>(type: "INTEGER", nullable: false),
                    FailuresForgiven = table.Column<int>(type: "INTEGER", nullable: false),
                    State = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    PausedReason = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: true),
                    StartedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    FinishedAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CommandRuns", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "PowerPlans",
                columns: table => new
                {
                    GroupId = table.Column<int>(type: "INTEGER", nullable: false),
                    Enabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    Mode = table.Column<int>(type: "INTEGER", nullable: false),
                    MinOn = table.Column<int>(type: "INTEGER", nullable: false),
                    LowCpuPercent = table.Column<double>(type: "REAL", nullable: true),
                    HighCpuPercent = table.Column<double>(type: "REAL", nullable: true),
                    HoldMinutes = table.Column<int>(type: "INTEGER", nullable: false),
                    Schedule = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    TimeZone = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    ChangedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ChangedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    Target = table.Column<int>(type: "INTEGER", nullable: true),
                    LowSince = table.Column<long>(type: "INTEGER", nullable: true),
                    HighSince = table.Column<long>(type: "INTEGER", nullable: true),
                    LastActionAt = table.Column<long>(type: "INTEGER", nullable: true),
                    LastDecision = table.Column<string>(type: "TEXT", maxLength: 512, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PowerPlans", x => x.GroupId);
                    table.ForeignKey(
                        name: "FK_PowerPlans_DeviceGroups_GroupId",
                        column: x => x.GroupId,
                        principalTable: "DeviceGroups",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "PowerSamples",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    GroupId = table.Column<int>(type: "INTEGER", nullable: false),
                    At = table.Column<long>(type: "INTEGER", nullable: false),
                    Devices = table.Column<int>(type: "INTEGER", nullable: false),
                    PlannedOn = table.Column<int>(type: "INTEGER", nullable: false),
                    ActualOn = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PowerSamples", x => x.Id);
                    table.ForeignKey(
                        name: "FK_PowerSamples_DeviceGroups_GroupId",
                        column: x => x.GroupId,
                        principalTable: "DeviceGroups",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_CommandRuns_StartedAt",
                table: "CommandRuns",
                column: "StartedAt");

            migrationBuilder.CreateIndex(
                name: "IX_CommandRuns_State",
                table: "CommandRuns",
                column: "State");

            migrationBuilder.CreateIndex(
                name: "IX_PowerSamples_At",
                table: "PowerSamples",
                column: "At");

            migrationBuilder.CreateIndex(
                name: "IX_PowerSamples_GroupId_At",
                table: "PowerSamples",
                columns: new[] { "GroupId", "At" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "CommandRuns");

            migrationBuilder.DropTable(
                name: "PowerPlans");

            migrationBuilder.DropTable(
                name: "PowerSamples");
        }
    }
}
