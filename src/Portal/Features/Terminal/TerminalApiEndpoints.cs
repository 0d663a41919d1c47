using Fleet.Portal.Features.Api;
using Fleet.Portal.Features.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Fleet.Portal.Features.Terminal;

/// <summary>Whether a group's devices may have a browser terminal opened on them.</summary>
/// <param name="Enabled">On or off.</param>
public sealed record TerminalSwitchDto(bool Enabled);

/// <summary>
/// <c>/api/v1/updates/groups/{id}/terminal</c>: the group's terminal switch, read by anyone who sees the fleet, set by
/// an Admin (<see cref="Policies.RunPrivilegedCommands"/>). No API opens a terminal: a session lives in the Admin's
/// browser page.
/// </summary>
internal static class TerminalApiEndpoints
{
    public static RouteGroupBuilder MapTerminalEndpoints(this RouteGroupBuilder api)
    {
        var terminal = api.MapGroup("/updates/groups/{id:int}/terminal").WithTags("Terminal");
        terminal.MapGet("/", GetAsync)
            .RequireAuthorization(Policies.ViewFleet)
            .WithName("group.terminal")
            .WithSummary("Whether an Admin may open a browser terminal on the group's devices");
        terminal.MapPut("/", SetAsync)
            .RequireAuthorization(Policies.RunPrivilegedCommands)
            .WithName("group.terminal.set")
            .WithSummary("Turn the browser terminal on or off for the group's devices (Admin)");
        return api;
    }

    private static async Task<Ok<TerminalSwitchDto>> GetAsync(int id, TerminalService service, CancellationToken ct) =>
        TypedResults.Ok(new TerminalSwitchDto(await service.EnabledForGroupAsync(id, ct)));

    private static async Task<Results<NoContent, OutcomeProblem>> SetAsync(
        int id, TerminalSwitchDto body, TerminalService service, HttpContext http) =>
        (await service.SetGroupTerminalAsync(id, body.Enabled, Actor.FromApi(
            http.User, http.Connection.RemoteIpAddress?.ToString()), http.RequestAborted)).ToHttp();
}
