using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Fleet.Portal.Data.Migrations
{
    /// <inheritdoc />
    public partial class OneNodeUuidVersions128 : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // One node id column: the one computed from the machine-id (what the graph and FleetLock looked devices
            // up by) wins over the reported one; both hold the same value for a device whose agent reported it.
            migrationBuilder.Sql(
                "UPDATE \"Devices\" SET \"NodeUuid\" = \"ZincatiNodeUuid\" WHERE \"ZincatiNodeUuid\" IS NOT NULL;");

            migrationBuilder.DropIndex(
                name: "IX_Devices_ZincatiNodeUuid",
                table: "Devices");

            migrationBuilder.DropColumn(
                name: "ZincatiNodeUuid",
                table: "Devices");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "ZincatiNodeUuid",
                table: "Devices",
                type: "TEXT",
                maxLength: 32,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_Devices_ZincatiNodeUuid",
                table: "Devices",
                column: "ZincatiNodeUuid");

            migrationBuilder.Sql("UPDATE \"Devices\" SET \"ZincatiNodeUuid\" = \"NodeUuid\";");
        }
    }
}
