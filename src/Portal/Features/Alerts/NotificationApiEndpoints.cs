using Fleet.Portal.Features.Api;
using Fleet.Portal.Features.Security;

namespace Fleet.Portal.Features.Alerts;

/// <summary><c>/api/v1</c> notification channels, their signing secrets and the delivery log (Admin).</summary>
internal static class NotificationApiEndpoints
{
    public static RouteGroupBuilder MapNotificationEndpoints(this RouteGroupBuilder api)
    {
        var channels = api.MapGroup("/notification-channels").WithTags("Alerts");
        channels.MapGet("/", async (NotificationService s, HttpContext http, CancellationToken ct) =>
                (await s.ListAsync(ActorOf(http), ct)).ToHttp())
            .RequireAuthorization(Policies.ManageNotifications)
            .WithName("notification-channels.list")
            .WithSummary("Notification channels (webhooks, e-mail)");
        channels.MapPost("/", async (ChannelInput input, NotificationService s, HttpContext http,
                CancellationToken ct) =>
                (await s.CreateAsync(input, ActorOf(http), ct)).ToHttp(created =>
                    TypedResults.Created(
                        $"{ApiServiceCollectionExtensions.Prefix}/notification-channels/{created.Id}", created)))
            .RequireAuthorization(Policies.ManageNotifications)
            .WithName("notification-channel.create")
            .WithSummary("Add a channel; a webhook's signing secret is in the answer");
        channels.MapPut("/{id:int}", async (int id, ChannelInput input, NotificationService s, HttpContext http,
                CancellationToken ct) =>
                (await s.UpdateAsync(id, input, ActorOf(http), ct)).ToHttp())
            .RequireAuthorization(Policies.ManageNotifications)
            .WithName("notification-channel.update")
            .WithSummary("Change a channel's name, target or enabled");
        channels.MapDelete("/{id:int}", async (int id, NotificationService s, HttpContext http,
                CancellationToken ct) =>
                (await s.DeleteAsync(id, ActorOf(http), ct)).ToHttp())
            .RequireAuthorization(Policies.ManageNotifications)
            .WithName("notification-channel.delete")
            .WithSummary("Delete a channel (rules stop naming it)");
        channels.MapGet("/{id:int}/secret", async (int id, NotificationService s, HttpContext http,
                CancellationToken ct) =>
                (await s.RevealSecretAsync(id, ActorOf(http), ct)).ToHttp())
            .RequireAuthorization(Policies.ManageNotifications)
            .WithName("notification-channel.secret")
            .WithSummary("A webhook's signing secret (the viewing is audited)");
        api.MapGet("/alert-deliveries", async (NotificationService s, HttpContext http, CancellationToken ct,
                int limit = 100) =>
                (await s.DeliveriesAsync(ActorOf(http), limit, ct)).ToHttp())
            .RequireAuthorization(Policies.ManageNotifications)
            .WithTags("Alerts")
            .WithName("alert-deliveries.list")
            .WithSummary("The notification delivery log, newest first");
        return api;
    }

    private static Actor ActorOf(HttpContext http) =>
        Actor.FromApi(http.User, http.Connection.RemoteIpAddress?.ToString());
}
