using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Enrollment;

/// <summary>Rotates credentials older than Fleet:Enrollment:CredentialRotationDays, a batch per check; off when 0.</summary>
internal sealed class CredentialRotationScheduler(CredentialService credentials, IOptions<EnrollmentOptions> options, TimeProvider time, ILogger<CredentialRotationScheduler> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        if (o.CredentialRotationDays == 0)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(o.RotationCheckMinutes), time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var rotated = await credentials.RotateDueAsync(TimeSpan.FromDays(o.CredentialRotationDays), o.RotationBatchSize, stoppingToken);
                if (rotated > 0)
                {
                    logger.LogInformation("Scheduled rotation: {Count} credentials older than {Days} days rotated", rotated, o.CredentialRotationDays);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "Scheduled credential rotation failed; trying again at the next check");
            }
        }
    }
}
