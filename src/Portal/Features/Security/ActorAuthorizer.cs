using Fleet.Portal.Features.Audit;
using Microsoft.AspNetCore.Authorization;

namespace Fleet.Portal.Features.Security;

/// <summary>
/// The check every mutating service method starts with: does this actor satisfy the policy? A refusal
/// is audited (who tried what, from where) so attempts show up next to the changes.
/// </summary>
public sealed class ActorAuthorizer(IAuthorizationService authorization, AuditLog audit)
{
    public async Task<bool> AllowedAsync(Actor actor, string policy, string action, string entityType, string? entityId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (actor.Source == AuditSource.System || (await authorization.AuthorizeAsync(actor.Principal, policy)).Succeeded)
        {
            return true;
        }

        await audit.RecordAsync(actor, action, entityType, entityId, AuditOutcome.Denied, $"policy {policy} not satisfied by role {actor.Role ?? "(none)"}", cancellationToken);
        return false;
    }
}
