using System.ComponentModel;
using Fleet.Portal.Features.Devices;
using Fleet.Portal.Features.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Fleet.Portal.Features.Api;

/// <summary><c>/api/v1/devices</c>: the fleet list, one device, and enrolment decisions.</summary>
internal static class DeviceEndpoints
{
    public static RouteGroupBuilder MapDeviceEndpoints(this RouteGroupBuilder api)
    {
        var devices = api.MapGroup("/devices").WithTags("Devices");
        devices.MapGet("/", ListAsync)
            .RequireAuthorization(Policies.ViewFleet)
            .WithName("devices.list");
        devices.MapGet("/export.csv", DeviceCsv.ExportAsync)
            .RequireAuthorization(Policies.ViewFleet)
            .WithName("devices.export")
            .WithSummary("Every device the filter matches, as CSV: q, status, arch, label, sort, dir (as on the page)");
        devices.MapPost("/labels", ChangeLabelsAsync)
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("devices.labels");
        devices.MapGet("/counts", CountAsync)
            .RequireAuthorization(Policies.ViewFleet)
            .WithName("devices.counts");
        devices.MapGet("/{id:guid}", GetAsync)
            .RequireAuthorization(Policies.ViewFleet)
            .WithName("device.get");
        devices.MapPost("/{id:guid}/approve", ApproveAsync)
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("device.approve");
        devices.MapPost("/{id:guid}/reject", RejectAsync)
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("device.reject");
        devices.MapPost("/{id:guid}/undo-reject", UndoRejectAsync)
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("device.reject.undo");
        return api;
    }

    [EndpointSummary("List devices, newest first, a page at a time")]
    private static async Task<Results<Ok<PageDto<DeviceDto>>, OutcomeProblem>> ListAsync(
        DeviceService service,
        [Description("Text matched against MAC (any notation), hostname, machine-id, serial, OS and last IP address")] string? search = null,
        [Description("Any, Pending, Rejected, Online or Offline")] string? status = null,
        [Description("x86_64, aarch64, …")] string? architecture = null,
        [Description("1 to 500, default 50")] int limit = 50,
        [Description("The nextCursor of the previous page")] string? cursor = null,
        [Description("Only devices with this label: NAME (any value) or NAME=VALUE")] string? label = null,
        CancellationToken cancellationToken = default)
    {
        var errors = new Dictionary<string, string[]>();
        var statusFilter = DeviceStatusFilter.Any;
        if (status is not null && !Enum.TryParse(status, ignoreCase: true, out statusFilter))
        {
            errors["status"] = [$"'{Shorten(status)}' is not one of {string.Join(", ", Enum.GetNames<DeviceStatusFilter>())}"];
        }

        if (limit is < 1 or > 500)
        {
            errors["limit"] = ["must be between 1 and 500"];
        }

        DeviceCursor? after = null;
        if (cursor is not null)
        {
            if (DeviceCursor.TryDecode(cursor, out var decoded))
            {
                after = decoded;
            }
            else
            {
                errors["cursor"] = ["not a cursor this API issued"];
            }
        }

        if (search?.Length > 256)
        {
            errors["search"] = ["at most 256 characters"];
        }

        if (errors.Count > 0)
        {
            return Outcome.Invalid(errors).ToProblem();
        }

        var (rows, next) = await service.ListAfterAsync(
            new DeviceQuery(search, statusFilter, architecture, Label: label), after, limit, cancellationToken);
        return Outcome.Of(new PageDto<DeviceDto>([.. rows.Select(DeviceDto.From)], next?.Encode())).ToHttp();
    }

    [EndpointSummary("How many devices are pending, online, offline and rejected")]
    private static async Task<Ok<FleetCounts>> CountAsync(DeviceService service, CancellationToken cancellationToken) =>
        TypedResults.Ok(await service.CountAsync(cancellationToken));

    [EndpointSummary("One device: identity, every MAC seen, status and recent events")]
    private static async Task<Results<Ok<DeviceDetailDto>, OutcomeProblem>> GetAsync(
        Guid id,
        DeviceService service,
        IAuthorizationService authorization,
        HttpContext http,
        CancellationToken cancellationToken)
    {
        var mayManage = (await authorization.AuthorizeAsync(http.User, Policies.ManageDevices)).Succeeded;
        return (await DetailAsync(id, service, mayManage, cancellationToken)).ToHttp();
    }

    [EndpointSummary("Approve a pending device: it receives its own credential")]
    private static async Task<Results<Ok<DeviceDetailDto>, OutcomeProblem>> ApproveAsync(
        Guid id, DeviceService service, HttpContext http, CancellationToken cancellationToken) =>
        (await AfterChangeAsync(
            await service.ApproveAsync(id, ActorOf(http), cancellationToken), id, service, cancellationToken)).ToHttp();

    [EndpointSummary("Reject a pending device: it is told so and never gets a credential")]
    private static async Task<Results<Ok<DeviceDetailDto>, OutcomeProblem>> RejectAsync(
        Guid id, DeviceService service, HttpContext http, CancellationToken cancellationToken) =>
        (await AfterChangeAsync(
            await service.RejectAsync(id, ActorOf(http), cancellationToken), id, service, cancellationToken)).ToHttp();

    [EndpointSummary("Undo a rejection: the device is Pending again, waiting for a person")]
    private static async Task<Results<Ok<DeviceDetailDto>, OutcomeProblem>> UndoRejectAsync(
        Guid id, DeviceService service, HttpContext http, CancellationToken cancellationToken) =>
        (await AfterChangeAsync(
            await service.UndoRejectAsync(id, ActorOf(http), cancellationToken), id, service, cancellationToken))
            .ToHttp();

    [EndpointSummary("Add labels (NAME or NAME=VALUE) to devices and remove labels (by NAME) from them")]
    private static async Task<Results<Ok<int>, OutcomeProblem>> ChangeLabelsAsync(
        LabelChangeDto change, DeviceLabelService labels, HttpContext http, CancellationToken cancellationToken)
    {
        var (add, errors) = DeviceLabels.ParseList(string.Join(',', change.Add ?? []));
        if (errors.Count > 0)
        {
            return Outcome.Invalid(new Dictionary<string, string[]> { ["add"] = [.. errors] }).ToProblem();
        }

        var remove = (change.Remove ?? []).Select(r => r.Trim()).Where(r => r.Length > 0).ToList();
        var changed = await labels.ChangeAsync(change.DeviceIds ?? [], add, remove, ActorOf(http), cancellationToken);
        return changed.ToHttp();
    }

    /// <summary>The device as it is after a successful decision; the refusal otherwise.</summary>
    private static async Task<Outcome<DeviceDetailDto>> AfterChangeAsync(
        Outcome change, Guid id, DeviceService service, CancellationToken cancellationToken) =>
        change.Succeeded ? await DetailAsync(id, service, mayManage: true, cancellationToken) : change;

    private static async Task<Outcome<DeviceDetailDto>> DetailAsync(
        Guid id, DeviceService service, bool mayManage, CancellationToken cancellationToken) =>
        await service.GetAsync(id, cancellationToken) is { } details
            ? DeviceDetailDto.From(details, mayManage)
            : Outcome.NotFound($"There is no device with id {id:N}.");

    private static Actor ActorOf(HttpContext http) =>
        Actor.FromApi(http.User, http.Connection.RemoteIpAddress?.ToString());

    private static string Shorten(string value) => value.Length <= 40 ? value : string.Concat(value.AsSpan(0, 40), "…");
}
