using Fleet.Portal.Features.Api;
using Fleet.Portal.Features.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Fleet.Portal.Features.Power;

/// <summary>
/// <c>/api/v1/groups/{id}/power</c>: a group's power plan and its planned and actual on-counts, and
/// <c>/api/v1/devices/{id}/wake</c>. Reads need <see cref="Policies.ViewFleet"/>; plans
/// <see cref="Policies.ManagePower"/>, waking <see cref="Policies.RunCommands"/>; the services check again and audit.
/// </summary>
internal static class PowerApiEndpoints
{
    public static RouteGroupBuilder MapPowerEndpoints(this RouteGroupBuilder api)
    {
        var power = api.MapGroup("/groups/{id:int}/power").WithTags("Power");
        power.MapGet("/", GetAsync)
            .RequireAuthorization(Policies.ViewFleet)
            .WithName("power-plan.get")
            .WithSummary("A group's power plan and what its last evaluation decided");
        power.MapPut("/", (int id, PowerPlanInput body, PowerPlanService s, HttpContext h) =>
                Run(h, a => s.SetAsync(id, body, a, h.RequestAborted)))
            .RequireAuthorization(Policies.ManagePower)
            .WithName("power-plan.set")
            .WithSummary("Set a group's power plan (mode, minOn, thresholds and hold time, or schedule and time zone)");
        power.MapDelete("/", (int id, PowerPlanService s, HttpContext h) =>
                Run(h, a => s.RemoveAsync(id, a, h.RequestAborted)))
            .RequireAuthorization(Policies.ManagePower)
            .WithName("power-plan.remove")
            .WithSummary("Remove a group's power plan: nothing is powered off or woken for it any more");
        power.MapGet("/history", HistoryAsync)
            .RequireAuthorization(Policies.ViewFleet)
            .WithName("power-plan.history")
            .WithSummary("Planned and actual on-counts of a group over the last hours (24 by default)");
        api.MapPost("/devices/{id:guid}/wake", WakeAsync)
            .RequireAuthorization(Policies.RunCommands)
            .WithTags("Power")
            .WithName("device.wake")
            .WithSummary("Wake an offline device: a device on its segment sends the Wake-on-LAN magic packet");
        return api;
    }

    private static async Task<Results<Ok<PowerPlanView>, OutcomeProblem>> GetAsync(
        int id, PowerPlanService service, CancellationToken cancellationToken) =>
        Outcome.Found(await service.GetAsync(id, cancellationToken), $"Group {id} has no power plan.").ToHttp();

    /// <summary>The last <paramref name="hours"/> (24 by default, at most 90 days) of evaluations.</summary>
    private static async Task<Ok<IReadOnlyList<PowerPoint>>> HistoryAsync(
        int id, int? hours, PowerPlanService service, TimeProvider time, CancellationToken cancellationToken) =>
        TypedResults.Ok(await service.HistoryAsync(
            id, time.GetUtcNow().AddHours(-Math.Clamp(hours ?? 24, 1, 24 * 90)), cancellationToken));

    private static async Task<Results<Ok<WakeResult>, OutcomeProblem>> WakeAsync(
        Guid id, WakeService service, HttpContext http) =>
        (await service.WakeAsync(id, Actor.FromApi(http.User, http.Connection.RemoteIpAddress?.ToString()),
            cancellationToken: http.RequestAborted)).ToHttp();

    private static async Task<Results<NoContent, OutcomeProblem>> Run(
        HttpContext http, Func<Actor, Task<Outcome>> change) =>
        (await change(Actor.FromApi(http.User, http.Connection.RemoteIpAddress?.ToString()))).ToHttp();
}
