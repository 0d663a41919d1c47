using System.ComponentModel;
using Fleet.Portal.Features.Alerts;
using Fleet.Portal.Features.Api;
using Fleet.Portal.Features.Security;
using Fleet.Shared.Messages;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Fleet.Portal.Features.Health;

/// <summary>Latest health of a device with the report it came from.</summary>
public sealed record DeviceHealthDto(Guid DeviceId, long Sequence, DateTimeOffset At, DateTimeOffset ReceivedAt, double? CpuPercent, double? MemoryPercent,
    double? SwapPercent, double? DiskPercent, string? FullestMount, double? TemperatureCelsius, double? Load1, double? UptimeSeconds, int? FailedUnits, HealthReport? Report)
{
    public static DeviceHealthDto From(DeviceHealthView v)
    {
        ArgumentNullException.ThrowIfNull(v);
        var h = v.State;
        return new(h.DeviceId, h.Sequence, h.At, h.ReceivedAt, h.CpuPercent, h.MemoryPercent, h.SwapPercent, h.DiskPercent, h.FullestMount, h.TemperatureCelsius, h.Load1, h.UptimeSeconds, h.FailedUnits, v.Report);
    }
}

/// <summary>How long a rule's notifications pause, in minutes (0 ends a snooze).</summary>
public sealed record AlertSnooze(int Minutes);

/// <summary>The id of an alert rule just created.</summary>
public sealed record AlertRuleCreated(int Id);

/// <summary><c>/api/v1</c> health and alerts: latest state, history, alert list, acknowledge/resolve, rules.</summary>
internal static class HealthApiEndpoints
{
    public static RouteGroupBuilder MapHealthApiEndpoints(this RouteGroupBuilder api)
    {
        var health = api.MapGroup("/devices/{id:guid}/health").WithTags("Health");
        health.MapGet("/", LatestAsync)
            .RequireAuthorization(Policies.ViewFleet)
            .WithName("health.latest");
        health.MapGet("/history", HistoryAsync)
            .RequireAuthorization(Policies.ViewFleet)
            .WithName("health.history");

        var alerts = api.MapGroup("/alerts").WithTags("Alerts");
        alerts.MapGet("/", ListAlertsAsync)
            .RequireAuthorization(Policies.ViewFleet)
            .WithName("alerts.list");
        alerts.MapPost("/{id:long}/acknowledge", async (
            long id, AlertService s, HttpContext http, CancellationToken ct) =>
                (await s.AcknowledgeAsync(id, ActorOf(http), ct)).ToHttp())
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("alert.acknowledge")
            .WithSummary("Acknowledge an open alert");
        alerts.MapPost("/{id:long}/resolve", async (long id, AlertService s, HttpContext http, CancellationToken ct) =>
                (await s.ResolveAsync(id, ActorOf(http), ct)).ToHttp())
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("alert.resolve")
            .WithSummary("Resolve an alert; if its condition still holds it fires again after the hold-down");

        var rules = api.MapGroup("/alert-rules").WithTags("Alerts");
        rules.MapGet("/", async (AlertService s, CancellationToken ct) => TypedResults.Ok(await s.RulesAsync(ct)))
            .RequireAuthorization(Policies.ViewFleet)
            .WithName("alert-rules.list")
            .WithSummary("Alert rules");
        rules.MapPost("/", async (AlertRuleInput input, AlertService s, HttpContext http, CancellationToken ct) =>
                (await s.CreateRuleAsync(input, ActorOf(http), ct)).ToHttp(id =>
                    TypedResults.Created(
                        $"{ApiServiceCollectionExtensions.Prefix}/alert-rules/{id}", new AlertRuleCreated(id))))
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("alert-rule.create")
            .WithSummary("Add a rule");
        rules.MapPut("/{id:int}", async (
            int id, AlertRuleInput input, AlertService s, HttpContext http, CancellationToken ct) =>
                (await s.UpdateRuleAsync(id, input, ActorOf(http), ct)).ToHttp())
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("alert-rule.update")
            .WithSummary("Change a rule (its open alerts are closed and judged afresh)");
        rules.MapDelete("/{id:int}", async (int id, AlertService s, HttpContext http, CancellationToken ct) =>
                (await s.DeleteRuleAsync(id, ActorOf(http), ct)).ToHttp())
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("alert-rule.delete")
            .WithSummary("Delete a rule and its alerts");
        rules.MapPost("/{id:int}/snooze", async (
            int id, AlertSnooze input, AlertService s, HttpContext http, CancellationToken ct) =>
                (await s.SnoozeRuleAsync(id, TimeSpan.FromMinutes(input.Minutes), ActorOf(http), ct)).ToHttp())
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("alert-rule.snooze")
            .WithSummary("Snooze a rule's notifications for some minutes (0 ends the snooze)");
        return api;
    }

    [EndpointSummary("The latest health report of a device, validated, with the derived figures")]
    private static async Task<Results<Ok<DeviceHealthDto>, OutcomeProblem>> LatestAsync(
        Guid id, HealthQueryService service, CancellationToken cancellationToken) =>
        (await service.LatestAsync(id, cancellationToken) is { } view
            ? Outcome.Of(DeviceHealthDto.From(view))
            : Outcome.NotFound($"Device {id:N} does not exist or has sent no health report.")).ToHttp();

    [EndpointSummary("Health history of a device in [from, to), oldest first")]
    private static async Task<Results<Ok<IReadOnlyList<HealthPoint>>, OutcomeProblem>> HistoryAsync(
        Guid id,
        HealthQueryService service,
        TimeProvider time,
        [Description("Start (ISO 8601); default: an hour before 'to'")] DateTimeOffset? from = null,
        [Description("End (ISO 8601); default: now")] DateTimeOffset? to = null,
        [Description("raw or 5m")] string resolution = "raw",
        CancellationToken cancellationToken = default)
    {
        var end = to ?? time.GetUtcNow();
        var start = from ?? end.AddHours(-1);
        var errors = new Dictionary<string, string[]>();
        HealthResolution? parsed = resolution switch { "raw" => HealthResolution.Raw, "5m" => HealthResolution.FiveMinutes, _ => null };
        if (parsed is null)
        {
            errors["resolution"] = ["must be raw or 5m"];
        }

        if (start >= end)
        {
            errors["from"] = ["must be before 'to'"];
        }
        else if (end - start > HealthQueryService.MaxRange)
        {
            errors["to"] = [$"the range may span at most {HealthQueryService.MaxRange.TotalDays:0} days"];
        }

        if (errors.Count > 0)
        {
            return Outcome.Invalid(errors).ToProblem();
        }

        return Outcome.Of(
            await service.HistoryAsync(id, start, end, parsed!.Value, cancellationToken)).ToHttp();
    }

    [EndpointSummary("Alerts, newest first: open ones only by default")]
    private static async Task<Ok<IReadOnlyList<AlertView>>> ListAlertsAsync(
        AlertService service,
        [Description("false to include resolved alerts (history)")] bool open = true,
        [Description("Only this device's alerts")] Guid? deviceId = null,
        [Description("1 to 1000, default 200")] int limit = 200,
        CancellationToken cancellationToken = default) =>
        TypedResults.Ok(await service.ListAsync(open, deviceId, limit, cancellationToken));

    private static Actor ActorOf(HttpContext http) => Actor.FromApi(http.User, http.Connection.RemoteIpAddress?.ToString());
}
