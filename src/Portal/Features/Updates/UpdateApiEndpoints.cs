using Fleet.Portal.Features.Api;
using Fleet.Portal.Features.Security;
using Fleet.Portal.Features.Updates.FleetLock;
using Fleet.Portal.Features.Updates.Import;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Fleet.Portal.Features.Updates;

/// <summary>
/// <c>/api/v1/updates</c>: streams, releases, groups, device assignments and reboot slots. Reads need
/// <see cref="Policies.ViewFleet"/>, changes <see cref="Policies.ManageDevices"/>; the services check again
/// and audit. Changes answer 204, creations 201, bad input a ValidationProblem naming the fields.
/// </summary>
internal static class UpdateApiEndpoints
{
    public static RouteGroupBuilder MapUpdateEndpoints(this RouteGroupBuilder api)
    {
        var updates = api.MapGroup("/updates").WithTags("Updates");
        updates.MapGet("/settings", async (UpdateService s, CancellationToken ct) =>
                TypedResults.Ok(SettingsDto.From(await s.GetSettingsAsync(ct))))
            .RequireAuthorization(Policies.ViewFleet)
            .WithName("updates.settings")
            .WithSummary("Fleet default stream and the automatic halt threshold");
        updates.MapPut("/settings", (SettingsInput body, UpdateService s, HttpContext h) =>
                Run(h, a => s.UpdateSettingsAsync(body, a, h.RequestAborted)))
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("updates.settings.update")
            .WithSummary("Change the fleet default stream and the automatic halt threshold");

        var streams = updates.MapGroup("/streams");
        streams.MapGet("/", async (UpdateService s, CancellationToken ct) =>
                TypedResults.Ok(await s.ListStreamsAsync(ct)))
            .RequireAuthorization(Policies.ViewFleet)
            .WithName("streams.list")
            .WithSummary("Every stream with its pause and newest release");
        streams.MapPost("/", CreateStreamAsync)
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("stream.create")
            .WithSummary("Create a stream of your own");
        streams.MapGet("/{name}", GetStreamAsync)
            .RequireAuthorization(Policies.ViewFleet)
            .WithName("stream.get")
            .WithSummary("A stream and its releases, newest first");
        streams.MapGet("/{name}/rollout", GetRolloutAsync)
            .RequireAuthorization(Policies.ViewFleet)
            .WithName("stream.rollout")
            .WithSummary("Devices following the stream, by group and by version");
        streams.MapPost("/{name}/pause", (string name, PauseDto body, UpdateService s, HttpContext h) =>
                Run(h, a => s.PauseAsync(UpdateTarget.Stream(name), body.Reason, body.Until, a, h.RequestAborted)))
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("stream.pause")
            .WithSummary("Stop offering updates on a stream (optionally until a time)");
        streams.MapPost("/{name}/unpause", (string name, UpdateService s, HttpContext h) =>
                Run(h, a => s.UnpauseAsync(UpdateTarget.Stream(name), a, h.RequestAborted)))
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("stream.unpause");
        streams.MapPost("/{name}/import", ImportAsync)
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("stream.import")
            .WithSummary("Import releases.json, updates.json and stream metadata, inline or by URL; all or nothing");

        var releases = updates.MapGroup("/releases");
        releases.MapGet("/{id:int}", GetReleaseAsync)
            .RequireAuthorization(Policies.ViewFleet)
            .WithName("release.get");
        releases.MapPost("/{id:int}/halt", (int id, ReasonDto body, UpdateService s, HttpContext h) =>
                Run(h, a => s.HaltReleaseAsync(id, body.Reason, a, h.RequestAborted)))
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("release.halt")
            .WithSummary("Stop offering a release to every device");
        releases.MapPost("/{id:int}/resume", (int id, UpdateService s, HttpContext h) =>
                Run(h, a => s.ResumeReleaseAsync(id, a, h.RequestAborted)))
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("release.resume");
        releases.MapPut("/{id:int}/rollout", (int id, RolloutInput body, UpdateService s, HttpContext h) =>
                Run(h, a => s.SetRolloutAsync(id, body, a, h.RequestAborted)))
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("release.rollout")
            .WithSummary("Start or change a phased rollout (startAt, startPercentage 0–1, durationMinutes)");
        releases.MapDelete("/{id:int}/rollout", (int id, UpdateService s, HttpContext h) =>
                Run(h, a => s.SetRolloutAsync(id, null, a, h.RequestAborted)))
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("release.rollout.delete")
            .WithSummary("End a release's rollout: it is no longer offered unless it is a barrier");

        var groups = updates.MapGroup("/groups");
        groups.MapGet("/", async (UpdateService s, CancellationToken ct) =>
                TypedResults.Ok((await s.ListGroupsAsync(ct)).Select(GroupDto.From).ToList()))
            .RequireAuthorization(Policies.ViewFleet)
            .WithName("groups.list")
            .WithSummary("Every group with its stream, pause, pin, slots, window and reboot-slot holders");
        groups.MapPost("/", CreateGroupAsync)
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("group.create");
        groups.MapGet("/{id:int}", GetGroupAsync)
            .RequireAuthorization(Policies.ViewFleet)
            .WithName("group.get");
        groups.MapPut("/{id:int}", UpdateGroupAsync)
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("group.update");
        groups.MapDelete("/{id:int}", (int id, UpdateService s, HttpContext h) =>
                Run(h, a => s.DeleteGroupAsync(id, a, h.RequestAborted)))
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("group.delete")
            .WithSummary("Delete a group; its devices go back to the default group");
        groups.MapPost("/{id:int}/pause", (int id, PauseDto body, UpdateService s, HttpContext h) =>
                Run(h, a => s.PauseAsync(UpdateTarget.Group(id), body.Reason, body.Until, a, h.RequestAborted)))
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("group.pause");
        groups.MapPost("/{id:int}/unpause", (int id, UpdateService s, HttpContext h) =>
                Run(h, a => s.UnpauseAsync(UpdateTarget.Group(id), a, h.RequestAborted)))
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("group.unpause");
        groups.MapPut("/{id:int}/pin", (int id, PinDto body, UpdateService s, HttpContext h) =>
                Run(h, a => PinAsync(s, UpdateTarget.Group(id), body.Version, a, h.RequestAborted)))
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("group.pin")
            .WithSummary("Offer the group's devices only this version");
        groups.MapDelete("/{id:int}/pin", (int id, UpdateService s, HttpContext h) =>
                Run(h, a => s.PinAsync(UpdateTarget.Group(id), null, a, h.RequestAborted)))
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("group.unpin");
        groups.MapPost("/{id:int}/devices", (int id, DeviceIdsDto body, UpdateService s, HttpContext h) =>
                Run(h, a => s.AssignDevicesAsync(id, body.DeviceIds ?? [], a, h.RequestAborted)))
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("group.devices")
            .WithSummary("Put devices in the group");
        groups.MapGet("/{id:int}/locks", async (int id, FleetLockService locks, CancellationToken ct) =>
                TypedResults.Ok(await locks.ListHoldersAsync(id, ct)))
            .RequireAuthorization(Policies.ViewFleet)
            .WithName("group.locks")
            .WithSummary("Nodes holding a reboot slot of the group");
        groups.MapDelete("/{id:int}/locks/{nodeId}", (int id, string nodeId, FleetLockService locks, HttpContext h) =>
                Run(h, a => locks.ReleaseAsync(id, nodeId, a, h.RequestAborted)))
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("group.lock.release")
            .WithSummary("Free a reboot slot a node holds and will not give back");

        var devices = updates.MapGroup("/devices");
        devices.MapGet("/{id:guid}", GetDevicePlanAsync)
            .RequireAuthorization(Policies.ViewFleet)
            .WithName("device.updates")
            .WithSummary("How the graph is computed for a device: its stream, group, pause and pin, "
                + "and where each comes from");
        devices.MapPut("/{id:guid}/group", (Guid id, DeviceGroupDto body, UpdateService s, HttpContext h) =>
                Run(h, a => s.AssignDevicesAsync(body.GroupId, [id], a, h.RequestAborted)))
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("device.group");
        devices.MapPut("/{id:guid}/stream", (Guid id, DeviceStreamDto body, UpdateService s, HttpContext h) =>
                Run(h, a => s.SetDeviceStreamAsync(id, body.Stream, a, h.RequestAborted)))
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("device.stream");
        devices.MapPost("/{id:guid}/pause", (Guid id, PauseDto body, UpdateService s, HttpContext h) =>
                Run(h, a => s.PauseAsync(UpdateTarget.Device(id), body.Reason, body.Until, a, h.RequestAborted)))
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("device.pause");
        devices.MapPost("/{id:guid}/unpause", (Guid id, UpdateService s, HttpContext h) =>
                Run(h, a => s.UnpauseAsync(UpdateTarget.Device(id), a, h.RequestAborted)))
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("device.unpause");
        devices.MapPut("/{id:guid}/pin", (Guid id, PinDto body, UpdateService s, HttpContext h) =>
                Run(h, a => PinAsync(s, UpdateTarget.Device(id), body.Version, a, h.RequestAborted)))
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("device.pin");
        devices.MapDelete("/{id:guid}/pin", (Guid id, UpdateService s, HttpContext h) =>
                Run(h, a => s.PinAsync(UpdateTarget.Device(id), null, a, h.RequestAborted)))
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("device.unpin");
        devices.MapPost("/{id:guid}/rollback", (Guid id, UpdateService s, HttpContext h) =>
                Run(h, a => s.RequestRollbackAsync(id, a, h.RequestAborted)))
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("device.rollback")
            .WithSummary("Roll the device back to its previous deployment (it reboots through its FleetLock group)");
        return api;
    }

    private static async Task<Results<Created<StreamRow>, OutcomeProblem>> CreateStreamAsync(
        StreamInput body, UpdateService service, HttpContext http)
    {
        var change = await service.CreateStreamAsync(body, ActorOf(http), http.RequestAborted);
        var created = change.Succeeded
            ? Outcome.Of((await service.ListStreamsAsync(http.RequestAborted)).Single(s => s.Name == body.Name.Trim()))
            : change;
        return created.ToHttp(row => TypedResults.Created($"{ApiPrefix}/updates/streams/{row.Name}", row));
    }

    private static async Task<Results<Ok<StreamDetails>, OutcomeProblem>> GetStreamAsync(
        string name, UpdateService service, CancellationToken cancellationToken) =>
        Outcome.Found(await service.GetStreamAsync(name, cancellationToken), $"There is no stream '{name}'.").ToHttp();

    private static async Task<Results<Ok<RolloutView>, OutcomeProblem>> GetRolloutAsync(
        string name, UpdateService service, CancellationToken cancellationToken) =>
        Outcome.Found(await service.GetRolloutAsync(name, cancellationToken), $"There is no stream '{name}'.").ToHttp();

    private static async Task<Results<Ok<ReleaseRow>, OutcomeProblem>> GetReleaseAsync(
        int id, UpdateService service, CancellationToken cancellationToken) =>
        Outcome.Found(await service.GetReleaseAsync(id, cancellationToken), $"There is no release {id}.").ToHttp();

    private static async Task<Results<Ok<GroupDto>, OutcomeProblem>> GetGroupAsync(
        int id, UpdateService service, CancellationToken cancellationToken) =>
        Outcome.Found(await service.GetGroupAsync(id, cancellationToken), $"There is no group {id}.").ToHttp(GroupOk);

    private static async Task<Results<Ok<DeviceUpdatePlan>, OutcomeProblem>> GetDevicePlanAsync(
        Guid id, UpdateService service, CancellationToken cancellationToken) =>
        Outcome.Found(await service.GetDevicePlanAsync(id, cancellationToken), $"There is no device {id:N}.").ToHttp();

    private static async Task<Results<Created<GroupDto>, OutcomeProblem>> CreateGroupAsync(
        GroupInputDto body, UpdateService service, HttpContext http)
    {
        var (input, errors) = body.ToInput();
        var change = input is null
            ? Outcome.Invalid(errors)
            : await service.CreateGroupAsync(input, ActorOf(http), http.RequestAborted);
        var created = change.Succeeded
            ? Outcome.Of((await service.ListGroupsAsync(http.RequestAborted)).Single(g => g.Name == input!.Name.Trim()))
            : change;
        return created.ToHttp(g => TypedResults.Created($"{ApiPrefix}/updates/groups/{g.Id}", GroupDto.From(g)));
    }

    private static async Task<Results<Ok<GroupDto>, OutcomeProblem>> UpdateGroupAsync(
        int id, GroupInputDto body, UpdateService service, HttpContext http)
    {
        var (input, errors) = body.ToInput();
        var change = input is null
            ? Outcome.Invalid(errors)
            : await service.UpdateGroupAsync(id, input, ActorOf(http), http.RequestAborted);
        var updated = change.Succeeded
            ? Outcome.Found(await service.GetGroupAsync(id, http.RequestAborted), $"There is no group {id}.")
            : change;
        return updated.ToHttp(GroupOk);
    }

    private static async Task<Results<Ok<ImportReportDto>, OutcomeProblem>> ImportAsync(
        string name, ImportDto body, ReleaseImportService imports, HttpContext http)
    {
        var actor = ActorOf(http);
        var inline = new[] { body.Releases, body.Updates, body.StreamMetadata }.Any(d => d is not null);
        var urls = new[] { body.ReleasesUrl, body.UpdatesUrl, body.StreamMetadataUrl }
            .Any(u => !string.IsNullOrWhiteSpace(u));
        if (new[] { inline, urls, body.FedoraCoreOs }.Count(x => x) != 1)
        {
            return Outcome.Invalid("", "Give the documents inline (releases, updates, streamMetadata), or their URLs "
                + "(releasesUrl, updatesUrl, streamMetadataUrl), or fedoraCoreOs: true; one of the three.")
                .ToProblem();
        }

        var ct = http.RequestAborted;
        var report = body.FedoraCoreOs ? await imports.ImportFromUrlsAsync(
            name, ReleaseImportUrls.FedoraCoreOs(name), actor, ct)
            : urls ? await imports.ImportFromUrlsAsync(
                name, new ReleaseImportUrls(body.ReleasesUrl, body.UpdatesUrl, body.StreamMetadataUrl), actor, ct)
            : await imports.ImportAsync(name, new ReleaseImportDocuments(body.Releases?.GetRawText(),
                body.Updates?.GetRawText(), body.StreamMetadata?.GetRawText()), actor, ct);
        return (report.Succeeded
            ? Outcome.Of(new ImportReportDto(report.Added, report.Updated, report.Unchanged, report.Removed,
                report.PoliciesApplied, report.Notes))
            : report.Change).ToHttp();
    }

    private static Task<Outcome> PinAsync(
        UpdateService service,
        UpdateTarget target,
        string? version,
        Actor actor,
        CancellationToken cancellationToken) =>
        string.IsNullOrWhiteSpace(version)
            ? Task.FromResult(Outcome.Invalid("version", "Name the version to pin to (DELETE the pin to remove it)."))
            : service.PinAsync(target, version, actor, cancellationToken);

    private static async Task<Results<NoContent, OutcomeProblem>> Run(
        HttpContext http, Func<Actor, Task<Outcome>> change) =>
        (await change(ActorOf(http))).ToHttp();

    private static Ok<GroupDto> GroupOk(GroupRow group) => TypedResults.Ok(GroupDto.From(group));

    private static Actor ActorOf(HttpContext http) => Actor.FromApi(
        http.User, http.Connection.RemoteIpAddress?.ToString());

    private const string ApiPrefix = ApiServiceCollectionExtensions.Prefix;
}
