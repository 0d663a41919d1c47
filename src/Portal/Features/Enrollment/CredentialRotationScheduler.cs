using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Enrollment;

/// <summary>
/// Rotates credentials older than Fleet:Enrollment:CredentialRotationDays (0: no age limit) and those whose certificate
/// is in the last third of its life (Fleet:Tls:DeviceCertificateDays), a batch per check.
/// </summary>
internal sealed class CredentialRotationScheduler(CredentialService credentials, IOptions<EnrollmentOptions> options, TimeProvider time, ILogger<CredentialRotationScheduler> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        TimeSpan? maxAge = o.CredentialRotationDays == 0 ? null : TimeSpan.FromDays(o.CredentialRotationDays);
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(o.RotationCheckMinutes), time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var rotated = await credentials.RotateDueAsync(maxAge, o.RotationBatchSize, stoppingToken);
                if (rotated > 0)
                {
                    logger.LogInformation(
                        "Scheduled rotation: {Count} credentials rotated (older than {Days} days, or certificate in "
                        + "the last third of its life)", rotated, o.CredentialRotationDays);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "Scheduled credential rotation failed; trying again at the next check");
            }
        }
    }
}
