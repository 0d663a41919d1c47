using Fleet.Portal.Features.Api;
using Fleet.Portal.Features.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Fleet.Portal.Features.Commands.Runs;

/// <summary>
/// <c>/api/v1/command-runs</c>: bulk runs. Reads need <see cref="Policies.ViewFleet"/>, starting and changing a run
/// <see cref="Policies.RunCommands"/>; the service checks again (and the command service per device) and audits.
/// </summary>
internal static class CommandRunEndpoints
{
    public static RouteGroupBuilder MapCommandRunEndpoints(this RouteGroupBuilder api)
    {
        var runs = api.MapGroup("/command-runs").WithTags("Commands");
        runs.MapGet("/", async (CommandRunService s, CancellationToken ct, int take = 100) =>
                TypedResults.Ok(await s.ListAsync(take, ct)))
            .RequireAuthorization(Policies.ViewFleet)
            .WithName("command-runs.list")
            .WithSummary("The most recent runs (take, at most 1000) with their commands counted by state");
        runs.MapPost("/", StartAsync)
            .RequireAuthorization(Policies.RunCommands)
            .WithName("command-run.start")
            .WithSummary("Start a run: order, target (deviceIds, groupId or savedFilter), concurrency, "
                + "failureCount or failurePercent");
        runs.MapGet("/{id:guid}", GetAsync)
            .RequireAuthorization(Policies.ViewFleet)
            .WithName("command-run.get")
            .WithSummary("A run with its state, threshold and commands counted by state");
        runs.MapGet("/{id:guid}/results.csv", CommandRunCsv.ExportAsync)
            .RequireAuthorization(Policies.ViewFleet)
            .WithName("command-run.results")
            .WithSummary("A run's per-device results as CSV");
        runs.MapPost("/{id:guid}/pause", (Guid id, CommandRunService s, HttpContext h) =>
                Run(h, a => s.PauseAsync(id, a, h.RequestAborted)))
            .RequireAuthorization(Policies.RunCommands)
            .WithName("command-run.pause")
            .WithSummary("Stop releasing commands; those in flight finish");
        runs.MapPost("/{id:guid}/resume", (Guid id, CommandRunService s, HttpContext h) =>
                Run(h, a => s.ResumeAsync(id, a, h.RequestAborted)))
            .RequireAuthorization(Policies.RunCommands)
            .WithName("command-run.resume")
            .WithSummary("Release again; failures count afresh towards the threshold");
        runs.MapPost("/{id:guid}/cancel", (Guid id, CommandRunService s, HttpContext h) =>
                Run(h, a => s.CancelAsync(id, a, h.RequestAborted)))
            .RequireAuthorization(Policies.RunCommands)
            .WithName("command-run.cancel")
            .WithSummary("Cancel the run and its commands no device has yet");
        return api;
    }

    private static async Task<Results<Created<CommandRunView>, OutcomeProblem>> StartAsync(
        CommandRunInput body, CommandRunService service, HttpContext http)
    {
        var actor = Actor.FromApi(http.User, http.Connection.RemoteIpAddress?.ToString());
        var started = await service.StartAsync(body, actor, http.RequestAborted);
        if (!started.Succeeded)
        {
            return started.Result.ToProblem();
        }

        var view = await service.GetAsync(started.Value, http.RequestAborted);
        return TypedResults.Created($"/api/v1/command-runs/{started.Value:N}", view);
    }

    private static async Task<Results<Ok<CommandRunView>, OutcomeProblem>> GetAsync(
        Guid id, CommandRunService service, CancellationToken cancellationToken) =>
        Outcome.Found(await service.GetAsync(id, cancellationToken), $"There is no command run {id:N}.").ToHttp();

    private static async Task<Results<NoContent, OutcomeProblem>> Run(
        HttpContext http, Func<Actor, Task<Outcome>> change) =>
        (await change(Actor.FromApi(http.User, http.Connection.RemoteIpAddress?.ToString()))).ToHttp();
}
