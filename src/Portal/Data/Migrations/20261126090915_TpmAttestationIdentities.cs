using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Fleet.Portal.Data.Migrations
{
    /// <inheritdoc />
    public partial class TpmAttestationIdentities : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "EkHash",
                table: "Devices",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "TpmVerifiedAt",
                table: "Devices",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "DeviceIdentifiers",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    DeviceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Value = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    FirstSeenAt = table.Column<long>(type: "INTEGER", nullable: false),
                    LastSeenAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DeviceIdentifiers", x => x.Id);
                    table.ForeignKey(
                        name: "FK_DeviceIdentifiers_Devices_DeviceId",
                        column: x => x.DeviceId,
                        principalTable: "Devices",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "IdentityConflicts",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    DeviceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    OtherDeviceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Value = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Detail = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: false),
                    DetectedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ResolvedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    ResolvedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    Resolution = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_IdentityConflicts", x => x.Id);
                    table.ForeignKey(
                        name: "FK_IdentityConflicts_Devices_DeviceId",
                        column: x => x.DeviceId,
                        principalTable: "Devices",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "TpmChallenges",
                columns: table => new
                {
                    Id = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    EnrollmentId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    EkHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    AkName = table.Column<string>(type: "TEXT", maxLength: 68, nullable: false),
                    SecretHash = table.Column<byte[]>(type: "BLOB", nullable: false),
                    IssuedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ExpiresAt = table.Column<long>(type: "INTEGER", nullable: false),
                    UsedAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_TpmChallenges", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Devices_EkHash",
                table: "Devices",
                column: "EkHash");

            migrationBuilder.CreateIndex(
                name: "IX_DeviceIdentifiers_DeviceId_Kind_Value",
                table: "DeviceIdentifiers",
                columns: new[] { "DeviceId", "Kind", "Value" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_DeviceIdentifiers_Kind_Value",
                table: "DeviceIdentifiers",
                columns: new[] { "Kind", "Value" });

            migrationBuilder.CreateIndex(
                name: "IX_IdentityConflicts_DeviceId_ResolvedAt",
                table: "IdentityConflicts",
                columns: new[] { "DeviceId", "ResolvedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_IdentityConflicts_ResolvedAt",
                table: "IdentityConflicts",
                column: "ResolvedAt");

            migrationBuilder.CreateIndex(
                name: "IX_TpmChallenges_EnrollmentId",
                table: "TpmChallenges",
                column: "EnrollmentId");

            migrationBuilder.CreateIndex(
                name: "IX_TpmChallenges_ExpiresAt",
                table: "TpmChallenges",
                column: "ExpiresAt");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "DeviceIdentifiers");

            migrationBuilder.DropTable(
                name: "IdentityConflicts");

            migrationBuilder.DropTable(
                name: "TpmChallenges");

            migrationBuilder.DropIndex(
                name: "IX_Devices_EkHash",
                table: "Devices");

            migrationBuilder.DropColumn(
                name: "EkHash",
                table: "Devices");

            migrationBuilder.DropColumn(
                name: "TpmVerifiedAt",
                table: "Devices");
        }
    }
}
