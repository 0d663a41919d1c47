using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;

namespace Fleet.DeviceAgent.Runtime;

/// <summary>
/// One connection of an enrolled device: connect with its credential (Offline as the will), subscribe to the modules'
/// topics, announce Online, then publish what the modules have due and hand them the messages until it ends.
/// </summary>
internal sealed class OnlineLoop(
    DeviceRuntime runtime,
    BrokerAccess broker,
    IDeviceModule[] modules,
    ILogger logger)
{
    private static readonly byte[] OfflinePayload = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(
        new DeviceStatus(DeviceState.Offline), FleetJson.Default.DeviceStatus);

    /// <summary>
    /// One connection; returns true when the credential was refused, false when the connection ended otherwise.
    /// </summary>
    public async Task<bool> RunAsync(
        DeviceSession session, ReconnectBackoff backoff, CancellationToken cancellationToken)
    {
        var deviceId = session.DeviceId;
        var statusTopic = Topics.Status(deviceId);
        // Its certificate while it is valid (and the password, which the portal then needs only for a rotation).
        var certificate = broker.Trust is null ? null
            : DeviceCertificate.Load(session.State.ClientCertificate, session.State.ClientKey, broker.Time.GetUtcNow());
        var clientOptions = broker.ClientOptions(certificate)
            .WithClientId(deviceId)
            .WithCredentials(deviceId, session.State.Secret!)
            .WithWillTopic(statusTopic)
            .WithWillPayload(OfflinePayload)
            .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build();
        var result = await session.Mqtt.ConnectAsync(clientOptions, cancellationToken);
        if (result.ResultCode
            is MqttClientConnectResultCode.BadUserNameOrPassword or MqttClientConnectResultCode.NotAuthorized)
        {
            return true;
        }

        if (result.ResultCode != MqttClientConnectResultCode.Success)
        {
            runtime.RecordConnectFailure();
            logger.LogWarning(
                "The broker refused the connection of device {DeviceId}: {Code} {Reason}",
                deviceId,
                result.ResultCode,
                result.ReasonString);
            return false;
        }

        backoff.Reset();
        runtime.Connected();

        // Subscribe before announcing Online (the portal answers Online with the settings), all in one packet.
        await SubscribeAsync(session, cancellationToken);
        if (!await session.PublishAsync(
            statusTopic,
            new DeviceStatus(DeviceState.Online, AgentVersion.Current),
            FleetJson.Default.DeviceStatus,
            cancellationToken))
        {
            logger.LogWarning("The broker refused the Online status of device {DeviceId}", deviceId);
        }

        runtime.SetPhase(DevicePhase.Connected);
        logger.LogInformation(
            "Device {DeviceId} connected to {Host}:{Port}",
            deviceId,
            broker.Options.BrokerHost,
            broker.Options.BrokerPort);
        var online = 0;
        try
        {
            for (; online < modules.Length; online++)
            {
                modules[online].OnOnline(session);
            }

            return await RunConnectedAsync(session, cancellationToken);
        }
        finally
        {
            for (var i = 0; i < online; i++)
            {
                modules[i].OnOffline(session);
            }
        }
    }

    /// <summary>The modules' topics, each once, in one SUBSCRIBE; a refusal is logged with what it costs.</summary>
    private async Task SubscribeAsync(DeviceSession session, CancellationToken cancellationToken)
    {
        var subscriptions = new List<ModuleTopic>(4);
        var topics = new List<string>(4);
        foreach (var module in modules)
        {
            module.AddTopics(session.DeviceId, subscriptions);
        }

        for (var i = 0; i < subscriptions.Count; i++)
        {
            if (topics.Contains(subscriptions[i].Topic))
            {
                subscriptions.RemoveAt(i--);
            }
            else
            {
                topics.Add(subscriptions[i].Topic);
            }
        }

        if (topics.Count == 0)
        {
            return;
        }

        var granted = await session.Mqtt.SubscribeAsync(topics, cancellationToken);
        for (var i = 0; i < subscriptions.Count; i++)
        {
            if (!granted[i])
            {
                logger.LogWarning(
                    "The broker refused the subscription to {Topic}; {WithoutIt}",
                    subscriptions[i].Topic,
                    subscriptions[i].WithoutIt);
            }
        }
    }

    /// <summary>
    /// Publishes what the modules have due, one at a time and looking at the clock again after each, then waits for
    /// the earliest module's next due time, a message or a wake-up. Returns false when the connection ended.
    /// </summary>
    private async Task<bool> RunConnectedAsync(DeviceSession session, CancellationToken cancellationToken)
    {
        while (true)
        {
            var now = broker.Time.GetUtcNow();
            if (await SendOneDueAsync(session, now, cancellationToken))
            {
                continue;
            }

            var due = DateTimeOffset.MaxValue;
            foreach (var module in modules)
            {
                var next = module.NextDue(now);
                due = next < due ? next : due;
            }

            switch (await session.Mqtt.WaitAsync(due, cancellationToken))
            {
                case ConnectionLost lost:
                    logger.LogWarning(
                        "Device {DeviceId} lost its connection: {Reason} {Detail}",
                        session.DeviceId,
                        lost.Reason,
                        lost.Detail);
                    return false;
                case MessageReceived message:
                    foreach (var module in modules)
                    {
                        if (await module.OnMessageAsync(session, message.Topic, message.Payload, cancellationToken))
                        {
                            return false;
                        }
                    }

                    break;
                default:
                    break;
            }
        }
    }

    private async ValueTask<bool> SendOneDueAsync(
        DeviceSession session,
        DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        foreach (var module in modules)
        {
            if (await module.TrySendAsync(session, now, cancellationToken))
            {
                return true;
            }
        }

        return false;
    }
}
