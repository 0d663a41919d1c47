using Fleet.Portal.Ingest;
using Fleet.Portal.Messaging;
namespace Fleet.Portal.Features.Enrollment;

internal static class EnrollmentServiceCollectionExtensions
{
    /// <summary>Enrolment policies, tokens, pre-registrations, claim codes and device credentials.</summary>
    public static WebApplicationBuilder AddEnrollment(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<EnrollmentOptions>().BindConfiguration(EnrollmentOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<EnrollmentMetrics>();
        builder.Services.AddScoped<EnrollmentPolicy>();
        builder.Services.AddSingleton<EnrollmentService>();
        builder.Services.AddSingleton<ClaimService>();
        builder.Services.AddSingleton<CredentialService>();
        builder.Services.AddHostedService<CredentialRotationScheduler>();
        builder.Services.AddSingleton<ConnectionGuard>();
        builder.Services.AddSingleton<IClientAuthenticator, MqttAuthenticator>();
        builder.Services.AddScoped<EnrollmentBatch>();
        builder.Services.AddInboundHandler<EnrollmentRequestHandler>();
        return builder;
    }
}
