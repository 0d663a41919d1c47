using Fleet.Portal.Features.Api;
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
            .RequireAuthorization(Policies.ViewFleet)
            .WithName("configs.list")
            .WithSummary("Every config with its latest version");
        configs.MapPost("/", CreateAsync)
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("config.create")
            .WithSummary("Create a config (Butane or Ignition); errors come back located (line, column, field)");
        configs.MapPost("/validate", Validate)
            .RequireAuthorization(Policies.ViewFleet)
            .WithName("config.validate")
            .WithSummary("Compile and check a source without saving it");
        configs.MapGet("/{id:int}", async (int id, ConfigService s, CancellationToken ct) =>
                Outcome.Found(await s.GetAsync(id, ct), "There is no such config.").ToHttp())
            .RequireAuthorization(Policies.ViewFleet)
            .WithName("config.get");
        configs.MapPost("/{id:int}/versions", (int id, ConfigSaveDto body, ConfigService s, HttpContext h) =>
                Run(h, a => s.SaveVersionAsync(id, body.Source, body.Message, a, body.BasedOn, h.RequestAborted)))
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("config.save")
            .WithSummary("Save a new version (compiled and validated first; nothing saved on error)");
        configs.MapGet("/{id:int}/versions/{number:int}", async (
                int id, int number, ConfigService s, CancellationToken ct) =>
                Outcome.Found(await s.GetVersionAsync(id, number, ct), "There is no such version.").ToHttp())
            .RequireAuthorization(Policies.ViewFleet)
            .WithName("config.version");
        configs.MapGet("/{id:int}/diff", DiffAsync)
            .RequireAuthorization(Policies.ViewFleet)
            .WithName("config.diff")
            .WithSummary("Line diff of two versions' sources");
        configs.MapPost("/{id:int}/rollback/{number:int}", (int id, int number, ConfigService s, HttpContext h) =>
                Run(h, a => s.RollbackAsync(id, number, a, h.RequestAborted)))
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("config.rollback")
            .WithSummary("New version with the content of an old one");
        configs.MapDelete("/{id:int}", (int id, ConfigService s, HttpContext h) =>
                Run(h, a => s.DeleteAsync(id, a, h.RequestAborted)))
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("config.delete");

        configs.MapGet("/assignments", async (ConfigService s, CancellationToken ct) =>
                TypedResults.Ok(await s.ListAssignmentsAsync(ct)))
            .RequireAuthorization(Policies.ViewFleet)
            .WithName("config.assignments");
        configs.MapPut("/assignments", (AssignDto body, ConfigService s, HttpContext h) =>
                Run(h, a => s.AssignAsync(body.ConfigId, body.Scope, body.GroupId, body.DeviceId, a, h.RequestAborted)))
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("config.assign")
            .WithSummary("Assign a config to the fleet default, a group or a device; answers for how many of the "
                + "target's approved devices it renders and lists those it does not (\"renders for 1 of 29; "
                + "28 lack vars.site\")");
        configs.MapDelete("/assignments", (
                ConfigScope scope, int? groupId, Guid? deviceId, ConfigService s, HttpContext h) =>
                Run(h, a => s.UnassignAsync(scope, groupId, deviceId, a, h.RequestAborted)))
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("config.unassign");

        configs.MapGet("/devices/{deviceId:guid}", DeviceConfigAsync)
            .RequireAuthorization(Policies.ViewFleet)
            .WithName("config.device")
            .WithSummary("A device's merged config (secrets masked), the layer each entry came from, "
                + "and (Operator, Admin) its signed URL");
        configs.MapGet("/devices/{deviceId:guid}/variables", async (Guid deviceId, ConfigService s, HttpContext h) =>
                TypedResults.Ok(await s.ListVariablesAsync(deviceId, ActorOf(h), h.RequestAborted)))
            .RequireAuthorization(Policies.ViewFleet)
            .WithName("config.variables")
            .WithSummary("A device's variables; secret values masked (Operators) or absent (HelpDesk)");
        configs.MapPut("/devices/{deviceId:guid}/variables/{name}", (
                Guid deviceId, string name, VariableDto body, ConfigService s, HttpContext h) =>
                Run(h, a => s.SetVariableAsync(deviceId, name, body.Value, body.Secret, a, h.RequestAborted)))
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("config.variable.set");
        configs.MapDelete("/devices/{deviceId:guid}/variables/{name}", (
                Guid deviceId, string name, ConfigService s, HttpContext h) =>
                Run(h, a => s.DeleteVariableAsync(deviceId, name, a, h.RequestAborted)))
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("config.variable.delete");

        configs.MapGet("/ssh-keys", async (ConfigService s, CancellationToken ct) =>
                TypedResults.Ok(await s.ListSshKeysAsync(ct)))
            .RequireAuthorization(Policies.ViewFleet)
            .WithName("sshkeys.list");
        configs.MapPost("/ssh-keys", (SshKeyDto body, ConfigService s, HttpContext h) =>
                Run(h, a => s.AddSshKeyAsync(body.UserName, body.GroupId, body.PublicKey, a, h.RequestAborted)))
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("sshkey.add")
            .WithSummary("Add a user's key (every device) or a group's key (its devices)");
        configs.MapDelete("/ssh-keys/{id:int}", (int id, ConfigService s, HttpContext h) =>
                Run(h, a => s.DeleteSshKeyAsync(id, a, h.RequestAborted)))
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("sshkey.delete");
        return api;
    }

    private static Ok<ValidationDto> Validate(ValidateDto body, ConfigService service)
    {
        var r = service.Validate(body.Language, body.Source);
        return TypedResults.Ok(new ValidationDto(
            r.Succeeded, [.. r.Errors], [.. r.Warnings], r.Succeeded ? r.Ignition!.ToJsonString() : null));
    }

    private static async Task<Results<Ok<DiffDto>, OutcomeProblem>> DiffAsync(
        int id, int from, int to, ConfigService service, CancellationToken cancellationToken) =>
        (await service.GetVersionAsync(id, from, cancellationToken) is { } a
            && await service.GetVersionAsync(id, to, cancellationToken) is { } b
                ? Outcome.Of(new DiffDto(from, to, LineDiff.Compute(a.Source, b.Source)))
                : Outcome.NotFound("There is no such version.")).ToHttp();

    private static async Task<Results<Ok<DeviceConfigDto>, OutcomeProblem>> DeviceConfigAsync(
        Guid deviceId, ConfigRenderer renderer, ConfigService service, HttpContext http)
    {
        var rendered = await renderer.RenderAsync(deviceId, SecretMode.Mask, http.RequestAborted);
        var signedUrl = rendered is null ? null : await service.SignedUrlAsync(deviceId, ActorOf(http));
        return (rendered is null
            ? Outcome.NotFound("There is no such device.")
            : Outcome.Of(new DeviceConfigDto(deviceId, rendered.Hostname, rendered.Layers, rendered.Origins,
                rendered.Ignition?.ToJsonString(), rendered.Error, signedUrl?.ToString()))).ToHttp();
    }

    private static async Task<Results<Created<ConfigSaved>, OutcomeProblem>> CreateAsync(
        ConfigCreateDto body, ConfigService service, HttpContext http)
    {
        var input = new ConfigInput(body.Name, body.Language, body.Description, body.Source, body.Message);
        return (await service.CreateAsync(input, ActorOf(http), http.RequestAborted))
            .ToHttp(saved => TypedResults.Created($"{Prefix}/configs/{saved.ConfigId}", saved));
    }

    private static async Task<Results<NoContent, OutcomeProblem>> Run(
        HttpContext http, Func<Actor, Task<Outcome>> change) =>
        (await change(ActorOf(http))).ToHttp();

    private static async Task<Results<Ok<T>, OutcomeProblem>> Run<T>(
        HttpContext http, Func<Actor, Task<Outcome<T>>> change) =>
        (await change(ActorOf(http))).ToHttp();

    private static Actor ActorOf(HttpContext http) =>
        Actor.FromApi(http.User, http.Connection.RemoteIpAddress?.ToString());

    private const string Prefix = ApiServiceCollectionExtensions.Prefix;
}
