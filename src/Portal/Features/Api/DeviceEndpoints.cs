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
        devices.MapGet("/", ListAsync).RequireAuthorization(Policies.ViewFleet).WithName("devices.list");
        devices.MapGet("/counts", CountAsync).RequireAuthorization(Policies.ViewFleet).WithName("devices.counts");
        devices.MapGet("/{id:guid}", GetAsync).RequireAuthorization(Policies.ViewFleet).WithName("device.get")
            .ProducesProblem(StatusCodes.Status404NotFound);
        devices.MapPost("/{id:guid}/approve", ApproveAsync).RequireAuthorization(Policies.ManageDevices).WithName("device.approve")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        devices.MapPost("/{id:guid}/reject", RejectAsync).RequireAuthorization(Policies.ManageDevices).WithName("device.reject")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return api;
    }

    [EndpointSummary("List devices, newest first, a page at a time")]
    private static async Task<Results<Ok<PageDto<DeviceDto>>, ValidationProblem>> ListAsync(
        DeviceService service,
        [Description("Text matched against MAC (any notation), hostname, machine-id, serial, OS and last IP address")] string? search = null,
        [Description("Any, Pending, Rejected, Online or Offline")] string? status = null,
        [Description("x86_64, aarch64, …")] string? architecture = null,
        [Description("1 to 500, default 50")] int limit = 50,
        [Description("The nextCursor of the previous page")] string? cursor = null,
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
            return TypedResults.ValidationProblem(errors);
        }

        var (rows, next) = await service.ListAfterAsync(new DeviceQuery(search, statusFilter, architecture), after, limit, cancellationToken);
        return TypedResults.Ok(new PageDto<DeviceDto>(rows.Select(DeviceDto.From).ToList(), next?.Encode()));
    }

    [EndpointSummary("How many devices are pending, online, offline and rejected")]
    private static async Task<Ok<FleetCounts>> CountAsync(DeviceService service, CancellationToken cancellationToken) =>
        TypedResults.Ok(await service.CountAsync(cancellationToken));

    [EndpointSummary("One device: identity, every MAC seen, status and recent events")]
    private static async Task<Results<Ok<DeviceDetailDto>, ProblemHttpResult>> GetAsync(
        Guid id,
        DeviceService service,
        IAuthorizationService authorization,
        HttpContext http,
        CancellationToken cancellationToken)
    {
        if (await service.GetAsync(id, cancellationToken) is not { } details)
        {
            return NotFound(id);
        }

        var mayManage = (await authorization.AuthorizeAsync(http.User, Policies.ManageDevices)).Succeeded;
        return TypedResults.Ok(DeviceDetailDto.From(details, mayManage));
    }

    [EndpointSummary("Approve a pending device: it receives its own credential")]
    private static Task<Results<Ok<DeviceDetailDto>, ProblemHttpResult, ForbidHttpResult>> ApproveAsync(
        Guid id, DeviceService service, HttpContext http, CancellationToken cancellationToken) =>
        DecideAsync(id, service, http, approve: true, cancellationToken);

    [EndpointSummary("Reject a pending device: it is told so and never gets a credential")]
    private static Task<Results<Ok<DeviceDetailDto>, ProblemHttpResult, ForbidHttpResult>> RejectAsync(
        Guid id, DeviceService service, HttpContext http, CancellationToken cancellationToken) =>
        DecideAsync(id, service, http, approve: false, cancellationToken);

    private static async Task<Results<Ok<DeviceDetailDto>, ProblemHttpResult, ForbidHttpResult>> DecideAsync(
        Guid id, DeviceService service, HttpContext http, bool approve, CancellationToken cancellationToken)
    {
        var actor = Actor.FromApi(http.User, http.Connection.RemoteIpAddress?.ToString());
        var result = approve ? await service.ApproveAsync(id, actor, cancellationToken) : await service.RejectAsync(id, actor, cancellationToken);
        return result switch
        {
            DecisionResult.Done => TypedResults.Ok(
                DeviceDetailDto.From((await service.GetAsync(id, cancellationToken))!, mayManage: true)),
            DecisionResult.NotFound => NotFound(id),
            DecisionResult.NotPending => TypedResults.Problem(
                title: "Device is not pending",
                detail: $"Device {id:N} was already approved or rejected; decisions are made once.",
                statusCode: StatusCodes.Status409Conflict),
            _ => TypedResults.Forbid(),
        };
    }

    // TypedResults.Problem, not NotFound(ProblemDetails): only the former answers application/problem+json.
    private static ProblemHttpResult NotFound(Guid id) =>
        TypedResults.Problem(title: "No such device", detail: $"There is no device with id {id:N}.", statusCode: StatusCodes.Status404NotFound);

    private static string Shorten(string value) => value.Length <= 40 ? value : string.Concat(value.AsSpan(0, 40), "…");
}
