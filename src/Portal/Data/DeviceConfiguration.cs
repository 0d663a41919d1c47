using Fleet.Portal.Features.Certificates;
using Fleet.Portal.Features.Updates;
using Fleet.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Portal.Data;

/// <summary>
/// The one mapping of <see cref="Device"/>, every partial of it: identity and inventory (Device.cs), enrolment
/// (Device.Enrollment.cs), attestation (Device.Attestation.cs) and OS updates (Device.cs, Device.Updates.cs).
/// Tables that point at a device without a navigation on it map their own foreign key.
/// </summary>
internal sealed class DeviceConfiguration : IEntityTypeConfiguration<Device>
{
    public void Configure(EntityTypeBuilder<Device> builder)
    {
        ConfigureInventory(builder);
        ConfigureEnrollment(builder);
        ConfigureAttestation(builder);
        ConfigureUpdates(builder);
    }

    private static void ConfigureInventory(EntityTypeBuilder<Device> builder)
    {
        builder.HasIndex(x => x.EnrollmentId).IsUnique();
        builder.HasIndex(x => x.MachineId);
        builder.HasIndex(x => x.Hostname);
        builder.HasIndex(x => x.PrimaryMac);
        builder.HasIndex(x => new { x.State, x.IsOnline });
        builder.HasIndex(x => new { x.FirstSeenAt, x.Id });                      // keyset pages, newest first
        builder.HasIndex(x => new { x.State, x.IsOnline, x.FirstSeenAt, x.Id }); // keyset pages filtered by status
        builder.HasIndex(x => x.LastSeenAt);
        builder.HasIndex(x => x.SerialNumber);
        builder.HasIndex(x => x.LastAddress);
        builder.Property(x => x.EnrollmentId).HasMaxLength(64);
        builder.Property(x => x.MachineId).HasMaxLength(64);
        builder.Property(x => x.Hostname).HasMaxLength(256);
        builder.Property(x => x.Architecture).HasMaxLength(32);
        builder.Property(x => x.Kernel).HasMaxLength(256);
        builder.Property(x => x.OsName).HasMaxLength(256);
        builder.Property(x => x.PrimaryMac).HasMaxLength(17);
        builder.Property(x => x.AgentVersion).HasMaxLength(64);
        builder.Property(x => x.SerialNumber).HasMaxLength(128);
        builder.Property(x => x.LastAddress).HasMaxLength(64);
        builder.HasMany(x => x.Macs).WithOne().HasForeignKey(m => m.DeviceId).OnDelete(DeleteBehavior.Cascade);
    }

    private static void ConfigureEnrollment(EntityTypeBuilder<Device> builder)
    {
        builder.Property(x => x.State).HasConversion<string>().HasMaxLength(16);
        builder.Property(x => x.Conflict).HasMaxLength(1024);
        builder.Property(x => x.DecidedBy).HasMaxLength(256);
        builder.Property(x => x.EnrollmentKeyHash).HasMaxLength(32);
        builder.Property(x => x.PendingCredentialHash).HasMaxLength(32);
        builder.Property(x => x.ApprovedBy).HasMaxLength(128);
        builder.Property(x => x.PresentedToken).HasMaxLength(128);
        builder.Property(x => x.CertificateRequest).HasMaxLength(PortalCertificateAuthority
            .MaxRequestPemLength);
        builder.Property(x => x.CertificatePem).HasMaxLength(IssuedCertificate.MaxPemLength);
        builder.Property(x => x.CertificateSerial).HasMaxLength(IssuedCertificate.MaxSerialLength);
        builder.Property(x => x.CertificateFingerprint).HasMaxLength(64);
        builder.Property(x => x.PendingCertificatePem).HasMaxLength(IssuedCertificate.MaxPemLength);
        builder.Property(x => x.PendingCertificateSerial).HasMaxLength(IssuedCertificate.MaxSerialLength);
    }

    private static void ConfigureAttestation(EntityTypeBuilder<Device> builder)
    {
        builder.Property(x => x.EkHash).HasMaxLength(64);
        builder.HasIndex(x => x.EkHash);
        builder.Property(x => x.EkCertificateIssuer).HasMaxLength(Features.Attestation.EkCertificateCheck.MaxIssuer);
        builder.Property(x => x.EkCertificateSerial).HasMaxLength(Features.Attestation.EkCertificateCheck.MaxSerial);
        builder.Property(x => x.EkCertificateProblem).HasMaxLength(Features.Attestation.EkCertificateCheck.MaxProblem);
        builder.HasMany(x => x.Identifiers).WithOne().HasForeignKey(i => i.DeviceId).OnDelete(DeleteBehavior.Cascade);
    }

    private static void ConfigureUpdates(EntityTypeBuilder<Device> builder)
    {
        // What the device's deployment reports say (Device.cs).
        builder.Property(x => x.BootedVersion).HasMaxLength(Protocol.MaxVersionLength);
        builder.Property(x => x.BootedChecksum).HasMaxLength(Protocol.OstreeChecksumLength);
        builder.Property(x => x.StagedVersion).HasMaxLength(Protocol.MaxVersionLength);
        builder.Property(x => x.UpdateStatus).HasConversion<string>().HasMaxLength(16);
        builder.Property(x => x.Greenboot).HasConversion<string>().HasMaxLength(16);
        builder.Property(x => x.UpdateAgent).HasConversion<string>().HasMaxLength(16);
        builder.Property(x => x.NodeUuid).HasMaxLength(32);
        builder.Property(x => x.RollbackCommandAck).HasMaxLength(Protocol.MaxCommandIdLength);
        builder.Property(x => x.LastUpdateEventId).HasMaxLength(Protocol.MaxEventIdLength);
        builder.HasIndex(x => x.NodeUuid);
        builder.HasIndex(x => x.BootedVersion);

        // How it is updated: its group, stream, pause and pin (Device.Updates.cs).
        builder.HasOne<DeviceGroup>().WithMany().HasForeignKey(x => x.GroupId).OnDelete(DeleteBehavior.SetNull);
        builder.HasOne<UpdateStream>().WithMany().HasForeignKey(x => x.UpdateStreamOverride)
            .OnDelete(DeleteBehavior.Restrict);
        builder.Property(x => x.UpdateStreamOverride).HasMaxLength(UpdateStream.MaxNameLength);
        builder.Property(x => x.UpdatesPauseReason).HasMaxLength(Pause.MaxReasonLength);
        builder.Property(x => x.UpdatesPausedBy).HasMaxLength(256);
        builder.Property(x => x.PinnedVersion).HasMaxLength(Protocol.MaxVersionLength);
        builder.Property(x => x.RollbackCommandId).HasMaxLength(Protocol.MaxCommandIdLength);
    }
}
