using Fleet.Portal.Features.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Fleet.Portal.Features.Configs;

public sealed record ConfigCreateDto(string Name, ConfigSourceLanguage Language, string? Description, string Source, string? Message);

public sealed record ConfigSaveDto(string Source, string? Message, int? BasedOn);

public sealed record ValidateDto(ConfigSourceLanguage Language, string Source);

public sealed record ValidationDto(bool Succeeded, IReadOnlyList<ConfigProblem> Errors, IReadOnlyList<ConfigProblem> Warnings, string? Ignition);

public sealed record AssignDto(int ConfigId, ConfigScope Scope, int? GroupId, Guid? DeviceId);

public sealed record VariableDto(string Value, bool Secret);

public sealed record SshKeyDto(string? UserName, int? GroupId, string PublicKey);

/// <summary>
/// A device's merged config with secrets masked; <see cref="SignedUrl"/> (which serves the secrets) only for roles that
/// may manage devices.
/// </summary>
public sealed record DeviceConfigDto(
    Guid DeviceId,
    string Hostname,
    IReadOnlyList<string> Layers,
    IReadOnlyDictionary<string, string> Origins,
    string? Ignition,
    string? Error,
    string? SignedUrl);

public sealed record DiffDto(int From, int To, IReadOnlyList<DiffLine> Lines);

/// <summary>
/// <c>/api/v1/configs</c>: the library, versions, diffs, roll back, assignments, device variables and SSH keys.
/// Reads need <see cref="Policies.ViewFleet"/>, changes <see cref="Policies.ManageDevices"/>; the service checks again and audits.
/// </summary>
internal static class ConfigApiEndpoints
{
    public static RouteGroupBuilder MapConfigEndpoints(this RouteGroupBuilder api)
    {
        var configs = api.MapGroup("/configs").WithTags("Configs");
        configs.MapGet("/", async (ConfigService s, CancellationToken ct) => TypedResults.Ok(await s.ListAsync(ct)))
            .RequireAuthorization(Policies.ViewFleet).WithName("configs.list").WithSummary("Every config with its latest version");
        configs.MapPost("/", CreateAsync).RequireAuthorization(Policies.ManageDevices).WithName("config.create")
            .WithSummary("Create a config (Butane or Ignition); errors come back located (line, column, field)");
        configs.MapPost("/validate", (ValidateDto body, ConfigService s) =>
        {
            var r = s.Validate(body.Language, body.Source);
            return TypedResults.Ok(new ValidationDto(r.Succeeded, [.. r.Errors], [.. r.Warnings], r.Succeeded ? r.Ignition!.ToJsonString() : null));
        }).RequireAuthorization(Policies.ViewFleet).WithName("config.validate").WithSummary("Compile and check a source without saving it");
        configs.MapGet("/{id:int}", async Task<Results<Ok<ConfigDetails>, ProblemHttpResult>> (int id, ConfigService s, CancellationToken ct) =>
            await s.GetAsync(id, ct) is { } d ? TypedResults.Ok(d) : NotFound("There is no such config.")).RequireAuthorization(Policies.ViewFleet).WithName("config.get");
        configs.MapPost("/{id:int}/versions", (int id, ConfigSaveDto body, ConfigService s, HttpContext h) => Run(h, a => s.SaveVersionAsync(id, body.Source, body.Message, a, body.BasedOn, h.RequestAborted)))
            .RequireAuthorization(Policies.ManageDevices).WithName("config.save").WithSummary("Save a new version (compiled and validated first; nothing saved on error)");
        configs.MapGet("/{id:int}/versions/{number:int}", async Task<Results<Ok<VersionDetails>, ProblemHttpResult>> (int id, int number, ConfigService s, CancellationToken ct) =>
            await s.GetVersionAsync(id, number, ct) is { } v ? TypedResults.Ok(v) : NotFound("There is no such version.")).RequireAuthorization(Policies.ViewFleet).WithName("config.version");
        configs.MapGet("/{id:int}/diff", async Task<Results<Ok<DiffDto>, ProblemHttpResult>> (int id, int from, int to, ConfigService s, CancellationToken ct) =>
            await s.GetVersionAsync(id, from, ct) is { } a && await s.GetVersionAsync(id, to, ct) is { } b
                ? TypedResults.Ok(new DiffDto(from, to, LineDiff.Compute(a.Source, b.Source)))
                : NotFound("There is no such version.")).RequireAuthorization(Policies.ViewFleet).WithName("config.diff").WithSummary("Line diff of two versions' sources");
        configs.MapPost("/{id:int}/rollback/{number:int}", (int id, int number, ConfigService s, HttpContext h) => Run(h, a => s.RollbackAsync(id, number, a, h.RequestAborted)))
            .RequireAuthorization(Policies.ManageDevices).WithName("config.rollback").WithSummary("New version with the content of an old one");
        configs.MapDelete("/{id:int}", (int id, ConfigService s, HttpContext h) => Run(h, a => s.DeleteAsync(id, a, h.RequestAborted)))
            .RequireAuthorization(Policies.ManageDevices).WithName("config.delete");

        configs.MapGet("/assignments", async (ConfigService s, CancellationToken ct) => TypedResults.Ok(await s.ListAssignmentsAsync(ct)))
            .RequireAuthorization(Policies.ViewFleet).WithName("config.assignments");
        configs.MapPut("/assignments", (AssignDto body, ConfigService s, HttpContext h) => Run(h, a => s.AssignAsync(body.ConfigId, body.Scope, body.GroupId, body.DeviceId, a, h.RequestAborted)))
            .RequireAuthorization(Policies.ManageDevices).WithName("config.assign").WithSummary("Assign a config to the fleet default, a group or a device");
        configs.MapDelete("/assignments", (ConfigScope scope, int? groupId, Guid? deviceId, ConfigService s, HttpContext h) => Run(h, a => s.UnassignAsync(scope, groupId, deviceId, a, h.RequestAborted)))
            .RequireAuthorization(Policies.ManageDevices).WithName("config.unassign");

        configs.MapGet("/devices/{deviceId:guid}", DeviceConfigAsync).RequireAuthorization(Policies.ViewFleet).WithName("config.device")
            .WithSummary("A device's merged config (secrets masked), the layer each entry came from, "
                + "and (Operator, Admin) its signed URL");
        configs.MapGet("/devices/{deviceId:guid}/variables", async (Guid deviceId, ConfigService s, HttpContext h) => TypedResults.Ok(await s.ListVariablesAsync(deviceId, ActorOf(h), h.RequestAborted)))
            .RequireAuthorization(Policies.ViewFleet).WithName("config.variables").WithSummary("A device's variables; secret values masked (Operators) or absent (HelpDesk)");
        configs.MapPut("/devices/{deviceId:guid}/variables/{name}", (Guid deviceId, string name, VariableDto body, ConfigService s, HttpContext h) =>
            Run(h, a => s.SetVariableAsync(deviceId, name, body.Value, body.Secret, a, h.RequestAborted))).RequireAuthorization(Policies.ManageDevices).WithName("config.variable.set");
        configs.MapDelete("/devices/{deviceId:guid}/variables/{name}", (Guid deviceId, string name, ConfigService s, HttpContext h) =>
            Run(h, a => s.DeleteVariableAsync(deviceId, name, a, h.RequestAborted))).RequireAuthorization(Policies.ManageDevices).WithName("config.variable.delete");

        configs.MapGet("/ssh-keys", async (ConfigService s, CancellationToken ct) => TypedResults.Ok(await s.ListSshKeysAsync(ct)))
            .RequireAuthorization(Policies.ViewFleet).WithName("sshkeys.list");
        configs.MapPost("/ssh-keys", (SshKeyDto body, ConfigService s, HttpContext h) => Run(h, a => s.AddSshKeyAsync(body.UserName, body.GroupId, body.PublicKey, a, h.RequestAborted)))
            .RequireAuthorization(Policies.ManageDevices).WithName("sshkey.add").WithSummary("Add a user's key (every device) or a group's key (its devices)");
        configs.MapDelete("/ssh-keys/{id:int}", (int id, ConfigService s, HttpContext h) => Run(h, a => s.DeleteSshKeyAsync(id, a, h.RequestAborted)))
            .RequireAuthorization(Policies.ManageDevices).WithName("sshkey.delete");
        return api;
    }

    private static async Task<Results<Ok<DeviceConfigDto>, ProblemHttpResult>> DeviceConfigAsync(
        Guid deviceId, ConfigRenderer renderer, ConfigService service, HttpContext http)
    {
        var rendered = await renderer.RenderAsync(deviceId, SecretMode.Mask, http.RequestAborted);
        if (rendered is null)
        {
            return NotFound("There is no such device.");
        }

        var signedUrl = await service.SignedUrlAsync(deviceId, ActorOf(http));
        return TypedResults.Ok(new DeviceConfigDto(deviceId, rendered.Hostname, rendered.Layers, rendered.Origins,
            rendered.Ignition?.ToJsonString(), rendered.Error, signedUrl?.ToString()));
    }

    private static async Task<Results<Created<ConfigResult>, ValidationProblem, ProblemHttpResult, ForbidHttpResult>> CreateAsync(ConfigCreateDto body, ConfigService service, HttpContext http)
    {
        var result = await service.CreateAsync(new ConfigInput(body.Name, body.Language, body.Description, body.Source, body.Message), ActorOf(http), http.RequestAborted);
        return result.Succeeded ? TypedResults.Created($"/api/v1/configs/{result.ConfigId}", result) : Failure<Created<ConfigResult>>(result);
    }

    private static async Task<Results<Ok<ConfigResult>, ValidationProblem, ProblemHttpResult, ForbidHttpResult>> Run(HttpContext http, Func<Actor, Task<ConfigResult>> change)
    {
        var result = await change(ActorOf(http));
        return result.Succeeded ? TypedResults.Ok(result) : Failure<Ok<ConfigResult>>(result);
    }

    private static Actor ActorOf(HttpContext http) => Actor.FromApi(http.User, http.Connection.RemoteIpAddress?.ToString());

    private static Results<T, ValidationProblem, ProblemHttpResult, ForbidHttpResult> Failure<T>(ConfigResult result)
        where T : IResult => result.Outcome switch
    {
        ConfigOutcome.Invalid => TypedResults.ValidationProblem(result.ByField()),
        ConfigOutcome.NotFound => NotFound(result.Message),
        ConfigOutcome.Conflict => TypedResults.Problem(title: "Conflict", detail: result.Message, statusCode: StatusCodes.Status409Conflict),
        _ => TypedResults.Forbid(),
    };

    private static ProblemHttpResult NotFound(string detail) => TypedResults.Problem(title: "Not found", detail: detail, statusCode: StatusCodes.Status404NotFound);
}
