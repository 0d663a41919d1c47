using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Fleet.Portal.Data.Migrations
{
    /// <inheritdoc />
    public partial class I18_devices : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "SavedDeviceFilters",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Owner = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Query = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SavedDeviceFilters", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_SavedDeviceFilters_Owner_Name",
                table: "SavedDeviceFilters",
                columns: new[] { "Owner", "Name" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "SavedDeviceFilters");
        }
    }
}
