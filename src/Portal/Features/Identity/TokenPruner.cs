using OpenIddict.Abstractions;

namespace Fleet.Portal.Features.Identity;

/// <summary>
/// Every token is stored (that is what makes revocation work), so scripts that fetch a token per run
/// would grow the table without end. Hourly, expired, revoked and redeemed tokens and authorizations
/// older than a day are deleted.
/// </summary>
internal sealed class TokenPruner(IServiceScopeFactory scopes, TimeProvider time, ILogger<TokenPruner> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var threshold = time.GetUtcNow().AddDays(-1);
                var tokens = await scope.ServiceProvider.GetRequiredService<IOpenIddictTokenManager>().PruneAsync(threshold, stoppingToken);
                var authorizations = await scope.ServiceProvider.GetRequiredService<IOpenIddictAuthorizationManager>().PruneAsync(threshold, stoppingToken);
                if (tokens + authorizations > 0)
                {
                    logger.LogInformation("Pruned {Tokens} tokens and {Authorizations} authorizations", tokens, authorizations);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The next hour tries again; a failed prune only means a bigger table meanwhile.
                logger.LogError(ex, "Pruning tokens failed");
            }
        }
    }
}
