using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Fleet.Portal.Data.Migrations
{
    /// <inheritdoc />
    public partial class TlsAndDeviceCertificates : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "CertificateFingerprint",
                table: "Devices",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "CertificateNotAfter",
                table: "Devices",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "CertificatePem",
                table: "Devices",
                type: "TEXT",
                maxLength: 4096,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "CertificateRequest",
                table: "Devices",
                type: "TEXT",
                maxLength: 4096,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "CertificateSerial",
                table: "Devices",
                type: "TEXT",
                maxLength: 40,
                nullable: true);

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

            migrationBuilder.AddColumn<string>(
                name: "PendingCertificatePem",
                table: "Devices",
                type: "TEXT",
                maxLength: 4096,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "PendingCertificateSerial",
                table: "Devices",
                type: "TEXT",
                maxLength: 40,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "PasswordsAllowed",
                table: "DeviceGroups",
                type: "INTEGER",
                nullable: false,
                defaultValue: true);

            migrationBuilder.UpdateData(
                table: "DeviceGroups",
                keyColumn: "Id",
                keyValue: 1,
                column: "PasswordsAllowed",
                value: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "CertificateFingerprint",
                table: "Devices");

            migrationBuilder.DropColumn(
                name: "CertificateNotAfter",
                table: "Devices");

            migrationBuilder.DropColumn(
                name: "CertificatePem",
                table: "Devices");

            migrationBuilder.DropColumn(
                name: "CertificateRequest",
                table: "Devices");

            migrationBuilder.DropColumn(
                name: "CertificateSerial",
                table: "Devices");

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

            migrationBuilder.DropColumn(
                name: "PendingCertificatePem",
                table: "Devices");

            migrationBuilder.DropColumn(
                name: "PendingCertificateSerial",
                table: "Devices");

            migrationBuilder.DropColumn(
                name: "PasswordsAllowed",
                table: "DeviceGroups");
        }
    }
}
