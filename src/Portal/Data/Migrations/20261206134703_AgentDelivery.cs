using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Fleet.Portal.Data.Migrations
{
    /// <inheritdoc />
    public partial class AgentDelivery : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "ProtectedValue",
                table: "EnrollmentTokens",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "AgentBuilds",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Version = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Architecture = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Size = table.Column<long>(type: "INTEGER", nullable: false),
                    Sha512 = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    Signature = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    AddedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    AddedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AgentBuilds", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "AgentTargets",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    TargetKey = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    GroupId = table.Column<int>(type: "INTEGER", nullable: true),
                    Version = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    PreviousVersion = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    Percent = table.Column<int>(type: "INTEGER", nullable: false),
                    ChangedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ChangedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    HaltedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    HaltReason = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: true),
                    Failures = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AgentTargets", x => x.Id);
                    table.ForeignKey(
                        name: "FK_AgentTargets_DeviceGroups_GroupId",
                        column: x => x.GroupId,
                        principalTable: "DeviceGroups",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "DeviceAgentStates",
                columns: table => new
                {
                    DeviceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    OfferedVersion = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    OfferedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    ReportedVersion = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    LastResult = table.Column<string>(type: "TEXT", maxLength: 16, nullable: true),
                    LastDetail = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: true),
                    LastResultAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DeviceAgentStates", x => x.DeviceId);
                    table.ForeignKey(
                        name: "FK_DeviceAgentStates_Devices_DeviceId",
                        column: x => x.DeviceId,
                        principalTable: "Devices",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_AgentBuilds_Version_Architecture",
                table: "AgentBuilds",
                columns: new[] { "Version", "Architecture" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_AgentTargets_GroupId",
                table: "AgentTargets",
                column: "GroupId");

            migrationBuilder.CreateIndex(
                name: "IX_AgentTargets_TargetKey",
                table: "AgentTargets",
                column: "TargetKey",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "AgentBuilds");

            migrationBuilder.DropTable(
                name: "AgentTargets");

            migrationBuilder.DropTable(
                name: "DeviceAgentStates");

            migrationBuilder.DropColumn(
                name: "ProtectedValue",
                table: "EnrollmentTokens");
        }
    }
}
