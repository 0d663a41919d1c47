namespace Fleet.Portal.Features.Attestation;

internal static class AttestationServiceCollectionExtensions
{
    /// <summary>TPM attestation and device identities: the enrolment decider's hook, the conflict service.</summary>
    public static WebApplicationBuilder AddAttestation(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<AttestationOptions>().BindConfiguration(AttestationOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<EkCertificateVerifier>();
        builder.Services.AddScoped<TpmAttestation>();
        builder.Services.AddScoped<IdentityLedger>();
        builder.Services.AddScoped<EnrollmentIdentity>();
        builder.Services.AddSingleton<DeviceIdentityService>();
        builder.Services.AddSingleton<EkCaService>();
        return builder;
    }
}
