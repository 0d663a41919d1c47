using Fleet.Portal.Features.Api;
using Fleet.Portal.Features.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Fleet.Portal.Features.Commands;

/// <summary>
/// <c>/api/v1/devices/{id}/commands</c> and <c>/api/v1/commands/{id}</c>: queue a command for a device, read where a
/// device's commands stand, cancel one it does not have yet, download the file one uploaded. Reads need
/// <see cref="Policies.ViewFleet"/>, changes <see cref="Policies.RunCommands"/>; the service checks again (power off
/// and diagnostics need more) and audits.
/// </summary>
internal static class CommandApiEndpoints
{
    public static RouteGroupBuilder MapCommandEndpoints(this RouteGroupBuilder api)
    {
        var device = api.MapGroup("/devices/{id:guid}/commands").WithTags("Commands");
        device.MapGet("/", async (Guid id, CommandService s, CancellationToken ct, int? take) =>
                TypedResults.Ok(await s.ListForDeviceAsync(id, take ?? 50, ct)))
            .RequireAuthorization(Policies.ViewFleet)
            .WithName("commands.device.list")
            .WithSummary("A device's commands, newest first (take: at most 1000, 50 unless given)");
        device.MapPost("/", QueueAsync)
            .RequireAuthorization(Policies.RunCommands)
            .WithName("commands.device.queue")
            .WithSummary("Queue a command for a device (kind, arguments, reason, timeToLiveMinutes, timeoutSeconds, "
                + "diagnosticId); it is sent when the device is online");
        var commands = api.MapGroup("/commands").WithTags("Commands");
        commands.MapGet("/{id:guid}", async (Guid id, CommandService s, CancellationToken ct) =>
                Outcome.Found(await s.GetAsync(id, ct), $"There is no command {id:N}.").ToHttp())
            .RequireAuthorization(Policies.ViewFleet)
            .WithName("command.get")
            .WithSummary("A command: state, times, exit code, output and error tails");
        commands.MapPost("/{id:guid}/cancel", async (Guid id, CommandService s, HttpContext h) =>
                (await s.CancelAsync(id, ActorOf(h), h.RequestAborted)).ToHttp())
            .RequireAuthorization(Policies.RunCommands)
            .WithName("command.cancel")
            .WithSummary("Cancel a command the device does not have yet (held or queued)");
        commands.MapGet("/{id:guid}/upload", DownloadAsync)
            .RequireAuthorization(Policies.ViewFleet)
            .WithName("command.upload")
            .WithSummary("The file a command uploaded (a journal), as text");
        return api;
    }

    /// <summary>The browser's download of a command's file (cookie sign-in), beside the API's.</summary>
    public static void MapCommandDownloads(this WebApplication app) =>
        app.MapGet("/commands/{id:guid}/upload", DownloadAsync)
            .RequireAuthorization(Policies.ViewFleet)
            .DisableCookieRedirect();

    private static async Task<Results<Created<IReadOnlyList<Guid>>, OutcomeProblem>> QueueAsync(
        Guid id, CommandOrder body, CommandService service, HttpContext http) =>
        (await service.QueueAsync([id], body, ActorOf(http), cancellationToken: http.RequestAborted))
            .ToHttp(ids => TypedResults.Created($"{ApiServiceCollectionExtensions.Prefix}/commands/{ids[0]:N}", ids));

    private static async Task<Results<FileContentHttpResult, OutcomeProblem>> DownloadAsync(
        Guid id, CommandService service, CancellationToken cancellationToken) =>
        (await service.UploadAsync(id, cancellationToken))
            .ToHttp(file => TypedResults.File(file.Content, "text/plain; charset=utf-8", file.FileName));

    private static Actor ActorOf(HttpContext http) =>
        Actor.FromApi(http.User, http.Connection.RemoteIpAddress?.ToString());
}
