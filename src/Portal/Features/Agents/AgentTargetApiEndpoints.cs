using Fleet.Portal.Features.Api;
using Fleet.Portal.Features.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Fleet.Portal.Features.Agents;

/// <summary>
/// <c>/api/v1/agents/targets</c>: the agent version the fleet and each group run, and <c>/api/v1/agents/devices</c>:
/// a device's agent. Reads need <see cref="Policies.ViewFleet"/>, changes <see cref="Policies.ManageAgents"/>; the
/// service checks again and audits. Changes answer 204, bad input a ValidationProblem naming the fields.
/// </summary>
internal static class AgentTargetApiEndpoints
{
    public static RouteGroupBuilder MapAgentTargetEndpoints(this RouteGroupBuilder api)
    {
        var agents = api.MapGroup("/agents").WithTags("Agents");
        var targets = agents.MapGroup("/targets");
        targets.MapGet("/", async (AgentTargetService s, CancellationToken ct) =>
                TypedResults.Ok(await s.ListAsync(ct)))
            .RequireAuthorization(Policies.ViewFleet)
            .WithName("agent-targets.list")
            .WithSummary("The fleet default and group overrides: version, percent, state and their devices");
        targets.MapPut("/fleet", (AgentTargetInput body, AgentTargetService s, HttpContext h) =>
                Run(h, a => s.SetAsync(null, body, a, h.RequestAborted)))
            .RequireAuthorization(Policies.ManageAgents)
            .WithName("agent-target.fleet.set")
            .WithSummary("Set the agent version every device runs unless its group overrides it (version, percent)");
        targets.MapPost("/fleet/resume", (AgentTargetService s, HttpContext h) =>
                Run(h, a => s.ResumeAsync(null, a, h.RequestAborted)))
            .RequireAuthorization(Policies.ManageAgents)
            .WithName("agent-target.fleet.resume")
            .WithSummary("Resume the fleet default's halted rollout");
        targets.MapPut("/groups/{id:int}", (int id, AgentTargetInput body, AgentTargetService s, HttpContext h) =>
                Run(h, a => s.SetAsync(id, body, a, h.RequestAborted)))
            .RequireAuthorization(Policies.ManageAgents)
            .WithName("agent-target.group.set")
            .WithSummary("Set the agent version a group's devices run instead of the fleet default (version, percent)");
        targets.MapDelete("/groups/{id:int}", (int id, AgentTargetService s, HttpContext h) =>
                Run(h, a => s.RemoveAsync(id, a, h.RequestAborted)))
            .RequireAuthorization(Policies.ManageAgents)
            .WithName("agent-target.group.remove")
            .WithSummary("Remove a group's override: its devices follow the fleet default");
        targets.MapPost("/groups/{id:int}/resume", (int id, AgentTargetService s, HttpContext h) =>
                Run(h, a => s.ResumeAsync(id, a, h.RequestAborted)))
            .RequireAuthorization(Policies.ManageAgents)
            .WithName("agent-target.group.resume")
            .WithSummary("Resume a group override's halted rollout");
        agents.MapGet("/devices/{id:guid}", GetDeviceAsync)
            .RequireAuthorization(Policies.ViewFleet)
            .WithName("agent.device")
            .WithSummary("A device's agent: running, desired and offered version, last self-update result");
        return api;
    }

    private static async Task<Results<Ok<DeviceAgentView>, OutcomeProblem>> GetDeviceAsync(
        Guid id, AgentTargetService service, CancellationToken cancellationToken) =>
        Outcome.Found(await service.GetDeviceAsync(id, cancellationToken), $"There is no device {id:N}.").ToHttp();

    private static async Task<Results<NoContent, OutcomeProblem>> Run(
        HttpContext http, Func<Actor, Task<Outcome>> change) =>
        (await change(Actor.FromApi(http.User, http.Connection.RemoteIpAddress?.ToString()))).ToHttp();
}
