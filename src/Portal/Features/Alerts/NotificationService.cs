using System.Globalization;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Security;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Alerts;

/// <summary>A channel as entered: a webhook URL (http or https) or e-mail recipients separated by commas.</summary>
public sealed record ChannelInput(string Name, ChannelKind Kind, string Target, bool Enabled = true);

/// <summary>A channel as listed (never its secret).</summary>
public sealed record ChannelView(int Id, string Name, ChannelKind Kind, string Target, bool Enabled);

/// <summary>A channel just created; <see cref="Secret"/> is the webhook's signing key (null for e-mail).</summary>
public sealed record ChannelCreated(int Id, string? Secret);

/// <summary>A webhook's signing key, shown to Admins on request.</summary>
public sealed record ChannelSecret(string Secret);

/// <summary>One line of the delivery log.</summary>
public sealed record DeliveryView(long Id, long AlertId, string Channel, AlertEvent Event, DeliveryStatus Status,
    int Attempts, DateTimeOffset CreatedAt, DateTimeOffset? DeliveredAt, DateTimeOffset NextAttemptAt,
    string? LastError, string Alert);

/// <summary>Notification channels and the delivery log (Admin); rules name channels by id.</summary>
public sealed class NotificationService(
    IDbContextFactory<FleetDbContext> dbFactory,
    ActorAuthorizer authorizer,
    AuditLog audit,
    ChannelSecrets secrets,
    TimeProvider time)
{
    /// <summary>Ids and names only: what a rule form needs to attach channels (every role that edits rules).</summary>
    public async Task<IReadOnlyList<(int Id, string Name)>> NamesAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return (await db.NotificationChannels.AsNoTracking().OrderBy(c => c.Name)
                .Select(c => new { c.Id, c.Name }).ToListAsync(cancellationToken))
            .Select(c => (c.Id, c.Name)).ToList();
    }

    [RequiresPolicy(Policies.ManageNotifications)]
    public async Task<Outcome<IReadOnlyList<ChannelView>>> ListAsync(
        Actor actor, CancellationToken cancellationToken = default)
    {
        if (!await AllowedAsync(actor, "notification-channel.list", null, cancellationToken))
        {
            return Outcome.Forbidden("Your role may not see notification channels.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        IReadOnlyList<ChannelView> channels = await db.NotificationChannels.AsNoTracking().OrderBy(c => c.Name)
            .Select(c => new ChannelView(c.Id, c.Name, c.Kind, c.Target, c.Enabled)).ToListAsync(cancellationToken);
        return Outcome.Of(channels);
    }

    [RequiresPolicy(Policies.ManageNotifications)]
    public async Task<Outcome<ChannelCreated>> CreateAsync(
        ChannelInput input, Actor actor, CancellationToken cancellationToken = default)
    {
        if (!await AllowedAsync(actor, "notification-channel.create", null, cancellationToken))
        {
            return Outcome.Forbidden("Your role may not change notification channels.");
        }

        if (Validate(input) is { } invalid)
        {
            return invalid;
        }

        var secret = input.Kind == ChannelKind.Webhook ? ChannelSecrets.NewSecret() : null;
        var channel = new NotificationChannel
        {
            Name = input.Name.Trim(),
            Kind = input.Kind,
            Target = input.Target.Trim(),
            Enabled = input.Enabled,
            ProtectedSecret = secret is null ? null : secrets.Protect(secret),
            CreatedAt = time.GetUtcNow(),
        };
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        db.NotificationChannels.Add(channel);
        await db.SaveChangesAsync(cancellationToken);
        audit.Add(db, actor, "notification-channel.create", "notification-channel", Key(channel.Id), null,
            Summary(channel));
        await db.SaveChangesAsync(cancellationToken);
        return Outcome.Of(new ChannelCreated(channel.Id, secret));
    }

    /// <summary>Changes name, target and enabled; the kind and the secret stay.</summary>
    [RequiresPolicy(Policies.ManageNotifications)]
    public async Task<Outcome> UpdateAsync(
        int channelId, ChannelInput input, Actor actor, CancellationToken cancellationToken = default)
    {
        if (!await AllowedAsync(actor, "notification-channel.update", Key(channelId), cancellationToken))
        {
            return Outcome.Forbidden("Your role may not change notification channels.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await db.NotificationChannels.SingleOrDefaultAsync(c => c.Id == channelId, cancellationToken)
            is not { } channel)
        {
            return Outcome.NotFound("No such channel.");
        }

        if (Validate(input) is { } invalid)
        {
            return invalid;
        }

        if (input.Kind != channel.Kind)
        {
            return Outcome.Invalid("kind", "A channel's kind cannot change; add a new channel instead.");
        }

        var before = Summary(channel);
        channel.Name = input.Name.Trim();
        channel.Target = input.Target.Trim();
        channel.Enabled = input.Enabled;
        audit.Add(db, actor, "notification-channel.update", "notification-channel", Key(channelId), before,
            Summary(channel));
        await db.SaveChangesAsync(cancellationToken);
        return Outcome.Done;
    }

    /// <summary>Deletes a channel, its delivery log lines, and its place in every rule.</summary>
    [RequiresPolicy(Policies.ManageNotifications)]
    public async Task<Outcome> DeleteAsync(int channelId, Actor actor, CancellationToken cancellationToken = default)
    {
        if (!await AllowedAsync(actor, "notification-channel.delete", Key(channelId), cancellationToken))
        {
            return Outcome.Forbidden("Your role may not change notification channels.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await db.NotificationChannels.SingleOrDefaultAsync(c => c.Id == channelId, cancellationToken)
            is not { } channel)
        {
            return Outcome.NotFound("No such channel.");
        }

        var rules = await db.AlertRules.ToListAsync(cancellationToken);
        foreach (var rule in rules.Where(r => r.ChannelIds.Contains(channelId)))
        {
            rule.ChannelIds = rule.ChannelIds.Where(id => id != channelId).ToList();
        }

        db.NotificationChannels.Remove(channel);
        audit.Add(db, actor, "notification-channel.delete", "notification-channel", Key(channelId), Summary(channel));
        await db.SaveChangesAsync(cancellationToken);
        return Outcome.Done;
    }

    /// <summary>A webhook's signing key, for an Admin configuring the receiver; the viewing is audited.</summary>
    [RequiresPolicy(Policies.ManageNotifications)]
    public async Task<Outcome<ChannelSecret>> RevealSecretAsync(
        int channelId, Actor actor, CancellationToken cancellationToken = default)
    {
        if (!await AllowedAsync(actor, "notification-channel.secret", Key(channelId), cancellationToken))
        {
            return Outcome.Forbidden("Your role may not see channel secrets.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await db.NotificationChannels.SingleOrDefaultAsync(c => c.Id == channelId, cancellationToken)
            is not { ProtectedSecret: { } protectedSecret } channel)
        {
            return Outcome.NotFound("No such webhook channel.");
        }

        audit.Add(db, actor, "notification-channel.secret", "notification-channel", Key(channelId),
            detail: "signing secret shown");
        await db.SaveChangesAsync(cancellationToken);
        return Outcome.Of(new ChannelSecret(secrets.Unprotect(protectedSecret)));
    }

    /// <summary>The delivery log, newest first.</summary>
    [RequiresPolicy(Policies.ManageNotifications)]
    public async Task<Outcome<IReadOnlyList<DeliveryView>>> DeliveriesAsync(
        Actor actor, int limit = 100, CancellationToken cancellationToken = default)
    {
        if (!await AllowedAsync(actor, "notification-delivery.list", null, cancellationToken))
        {
            return Outcome.Forbidden("Your role may not see the delivery log.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        IReadOnlyList<DeliveryView> log = await (
                from d in db.AlertDeliveries.AsNoTracking()
                join c in db.NotificationChannels on d.ChannelId equals c.Id
                join a in db.Alerts on d.AlertId equals a.Id
                orderby d.CreatedAt descending, d.Id descending
                select new DeliveryView(d.Id, d.AlertId, c.Name, d.Event, d.Status, d.Attempts, d.CreatedAt,
                    d.DeliveredAt, d.NextAttemptAt, d.LastError, a.Message))
            .Take(Math.Clamp(limit, 1, 1000)).ToListAsync(cancellationToken);
        return Outcome.Of(log);
    }

    private async Task<bool> AllowedAsync(Actor actor, string action, string? key, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return await authorizer.AllowedAsync(actor, Policies.ManageNotifications, action, "notification-channel", key,
            ct);
    }

    private static Outcome? Validate(ChannelInput? input)
    {
        if (input is null)
        {
            return Outcome.Invalid("", "A channel is required.");
        }

        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(input.Name) || input.Name.Trim().Length > NotificationChannel.MaxNameLength)
        {
            errors["name"] = [$"Name is required, at most {NotificationChannel.MaxNameLength} characters."];
        }

        var target = input.Target?.Trim() ?? string.Empty;
        if (target.Length is 0 or > NotificationChannel.MaxTargetLength)
        {
            errors["target"] = ["A URL or recipients are required."];
        }
        else if (input.Kind == ChannelKind.Webhook
                 && !(Uri.TryCreate(target, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
        {
            errors["target"] = ["A webhook needs an absolute http or https URL."];
        }
        else if (input.Kind == ChannelKind.Email && !target.Split(',', StringSplitOptions.TrimEntries)
                     .All(a => MimeKit.MailboxAddress.TryParse(a, out var m) && m.Address.Contains('@')))
        {
            errors["target"] = ["E-mail recipients are addresses separated by commas."];
        }

        if (!Enum.IsDefined(input.Kind))
        {
            errors["kind"] = ["Kind must be Webhook or Email."];
        }

        return errors.Count == 0 ? null : Outcome.Invalid(errors);
    }

    private static string Key(int id) => id.ToString(CultureInfo.InvariantCulture);

    private static string Summary(NotificationChannel c) =>
        $"{c.Name}: {c.Kind.Label()} {c.Target} enabled={c.Enabled}";
}
