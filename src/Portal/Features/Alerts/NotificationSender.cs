using System.Text.Json;
using Fleet.Portal.Data;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Fleet.Portal.Features.Alerts;

/// <summary>The JSON body of a webhook notification (and the facts of an e-mail).</summary>
public sealed record AlertNotification(
    long DeliveryId,
    AlertEvent Event,
    long AlertId,
    int RuleId,
    string Rule,
    AlertKind Kind,
    AlertSeverity Severity,
    Guid DeviceId,
    string Hostname,
    string Message,
    double? Value,
    DateTimeOffset FiredAt,
    DateTimeOffset? ResolvedAt);

/// <summary>Sends one delivery over its channel: a signed webhook POST or an e-mail through MailKit.</summary>
public sealed class NotificationSender(
    IHttpClientFactory httpClients,
    ChannelSecrets secrets,
    IOptions<AlertOptions> options)
{
    public const string HttpClientName = "alert-webhooks";

    /// <summary>Header carrying <c>sha256=</c> + hex HMAC-SHA256 of the body under the channel's secret.</summary>
    public const string SignatureHeader = "X-Fleet-Signature";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Null when delivered; else why not.</summary>
    public async Task<string?> SendAsync(FleetDbContext db, AlertDelivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(delivery);
        var channel = await db.NotificationChannels.AsNoTracking()
            .SingleOrDefaultAsync(c => c.Id == delivery.ChannelId, cancellationToken);
        var notification = await (from a in db.Alerts.AsNoTracking()
                                  where a.Id == delivery.AlertId
                                  join r in db.AlertRules on a.RuleId equals r.Id
                                  join d in db.Devices on a.DeviceId equals d.Id
                                  select new AlertNotification(delivery.Id, delivery.Event, a.Id, r.Id, r.Name, r.Kind,
                                      a.Severity, d.Id, d.Hostname, a.Message, a.Value, a.FiredAt, a.ResolvedAt))
            .SingleOrDefaultAsync(cancellationToken);
        if (channel is null || notification is null)
        {
            return "The channel or the alert no longer exists.";
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(options.Value.DeliveryTimeoutSeconds));
        try
        {
            return channel.Kind == ChannelKind.Webhook
                ? await PostAsync(channel, notification, timeout.Token)
                : await MailAsync(channel, notification, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"No answer within {options.Value.DeliveryTimeoutSeconds} s.";
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Whatever the receiver or the network did, this attempt failed: the reason goes to the delivery log.
            return ex.Message;
        }
    }

    private async Task<string?> PostAsync(
        NotificationChannel channel, AlertNotification notification, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(notification, Json);
        using var request = new HttpRequestMessage(HttpMethod.Post, channel.Target)
        {
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new("application/json") { CharSet = "utf-8" };
        request.Headers.Add(SignatureHeader, ChannelSecrets.Sign(secrets.Unprotect(channel.ProtectedSecret!), body));
        request.Headers.Add("X-Fleet-Event", notification.Event.ToString());
        request.Headers.Add("X-Fleet-Delivery", notification.DeliveryId.ToString(
            System.Globalization.CultureInfo.InvariantCulture));
        using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
        return response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}";
    }

    private async Task<string?> MailAsync(
        NotificationChannel channel, AlertNotification notification, CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (string.IsNullOrWhiteSpace(o.SmtpHost))
        {
            return "No SMTP server is configured (Fleet:Alerts:SmtpHost).";
        }

        using var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(o.SmtpFrom));
        var recipients = channel.Target.Split(',',
            StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var to in recipients)
        {
            message.To.Add(MailboxAddress.Parse(to));
        }

        var what = notification.Event == AlertEvent.Fired ? "fired" : "resolved";
        message.Subject = $"[Fleet] {notification.Severity} alert {what}: {notification.Message}";
        message.Body = new TextPart("plain")
        {
            Text = $"""
                {notification.Message}

                Rule:     {notification.Rule} ({AlertKinds.Label(notification.Kind)})
                Device:   {notification.Hostname} ({notification.DeviceId:N})
                Severity: {notification.Severity}
                Fired:    {notification.FiredAt:u}
                Resolved: {(notification.ResolvedAt is { } r ? r.ToString("u") : "not yet")}
                """,
        };

        using var smtp = new SmtpClient();
        await smtp.ConnectAsync(o.SmtpHost, o.SmtpPort, SocketOptions(o.SmtpSecurity), cancellationToken);
        if (!string.IsNullOrEmpty(o.SmtpUserName))
        {
            await smtp.AuthenticateAsync(o.SmtpUserName, o.SmtpPassword ?? string.Empty, cancellationToken);
        }

        await smtp.SendAsync(message, cancellationToken);
        await smtp.DisconnectAsync(true, cancellationToken);
        return null;
    }

    private static SecureSocketOptions SocketOptions(SmtpSecurity security) => security switch
    {
        SmtpSecurity.None => SecureSocketOptions.None,
        SmtpSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
        SmtpSecurity.StartTls => SecureSocketOptions.StartTls,
        _ => SecureSocketOptions.Auto,
    };
}
