using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Fleet.Portal.Data.Migrations
{
    /// <inheritdoc />
    public partial class Tls_Tpm : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "EkCertificateIssuer",
                table: "Devices",
                type: "TEXT",
                maxLength: 512,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "EkCertificateProblem",
                table: "Devices",
                type: "TEXT",
                maxLength: 1024,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "EkCertificateSerial",
                table: "Devices",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "EkCertificateVerifiedAt",
                table: "Devices",
                type: "INTEGER",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "EkCertificateIssuer",
                table: "Devices");

            migrationBuilder.DropColumn(
                name: "EkCertificateProblem",
                table: "Devices");

            migrationBuilder.DropColumn(
                name: "EkCertificateSerial",
                table: "Devices");

            migrationBuilder.DropColumn(
                name: "EkCertificateVerifiedAt",
                table: "Devices");
        }
    }
}
