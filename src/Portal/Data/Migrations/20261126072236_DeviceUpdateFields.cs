using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Fleet.Portal.Data.Migrations
{
    /// <inheritdoc />
    public partial class DeviceUpdateFields : Migration
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
                name: "RollbackCommandAck",
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

            migrationBuilder.CreateIndex(
                name: "IX_Devices_BootedVersion",
                table: "Devices",
                column: "BootedVersion");

            migrationBuilder.CreateIndex(
                name: "IX_Devices_NodeUuid",
                table: "Devices",
                column: "NodeUuid");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Devices_BootedVersion",
                table: "Devices");

            migrationBuilder.DropIndex(
                name: "IX_Devices_NodeUuid",
                table: "Devices");

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
                name: "LastRollbackAt",
                table: "Devices");

            migrationBuilder.DropColumn(
                name: "LastUpdateEventId",
                table: "Devices");

            migrationBuilder.DropColumn(
                name: "NodeUuid",
                table: "Devices");

            migrationBuilder.DropColumn(
                name: "RollbackCommandAck",
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
        }
    }
}
