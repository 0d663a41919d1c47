using System.Security.Claims;
using Fleet.Portal.Features.Audit;

namespace Fleet.Portal.Features.Security;

/// <summary>
/// Who is asking a feature service to do something, and through which door (UI, API, device,
/// system). Services authorize and audit with it, so the UI and the API cannot differ.
/// </summary>
public sealed record Actor(ClaimsPrincipal Principal, AuditSource Source, string? RemoteAddress = null)
{
    /// <summary>The portal itself (background jobs, device-driven changes).</summary>
    public static Actor System { get; } = new(new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, "system"), new Claim(ClaimTypes.Role, Roles.Admin)], "system")), AuditSource.System);

    /// <summary>User name, API client id, or device id.</summary>
    public string Name => Principal.Identity?.Name
        ?? Principal.FindFirstValue("client_id")
        ?? Principal.FindFirstValue("sub")
        ?? "anonymous";

    /// <summary>The highest role the principal holds, for the audit record.</summary>
    public string? Role => Roles.All.FirstOrDefault(Principal.IsInRole);

    public static Actor FromUser(ClaimsPrincipal user, string? remoteAddress = null) => new(user, AuditSource.Ui, remoteAddress);

    public static Actor FromApi(ClaimsPrincipal user, string? remoteAddress = null) => new(user, AuditSource.Api, remoteAddress);

    /// <summary>A device (or an enrolling agent) whose message caused a change.</summary>
    public static Actor FromDevice(string id, string? remoteAddress = null) =>
        new(new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, id)], "mqtt")), AuditSource.Device, remoteAddress);
}
