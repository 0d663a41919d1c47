using Fleet.DeviceAgent.State;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;

namespace Fleet.DeviceAgent.Runtime;

// Enrolled life: connect with the device credential, report status, apply settings, send heartbeats.
public sealed partial class DeviceRuntime
{
    private static readonly TimeSpan DeploymentReportRetry = TimeSpan.FromSeconds(60);

    private static readonly byte[] OfflinePayload =
        System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new DeviceStatus(DeviceState.Offline), FleetJson.Default.DeviceStatus);

    /// <summary>
    /// Stays connected (reconnecting with back-off) until the broker refuses the credential, then returns. Health is
    /// sampled all that time, so reports made while the portal is unreachable wait in the queue.
    /// </summary>
    private async Task RunEnrolledAsync(AgentState state, CancellationToken cancellationToken)
    {
        using var enrolled = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sampling = _healthSource is null
            ? Task.CompletedTask
            : Task.Run(() => SampleHealthAsync(enrolled.Token), CancellationToken.None);
        try
        {
            await StayConnectedAsync(state, cancellationToken);
        }
        finally
        {
            await enrolled.CancelAsync();
            await sampling;
        }
    }

    private async Task StayConnectedAsync(AgentState state, CancellationToken cancellationToken)
    {
        var deviceId = state.DeviceId!;
        var backoff = ReconnectBackoff.Default(_random);
        _enrolledState = state;
        while (true)
        {
            string? error = null;
            using (var session = NewSession())
            {
                try
                {
                    if (await RunDeviceSessionAsync(session, deviceId, _enrolledState.Secret!, backoff, cancellationToken))
                    {
                        return;
                    }

                    if (Interlocked.Exchange(ref _rotated, null) is { } rotated)
                    {
                        // Reconnect at once with the new secret: that connection is what makes it the only one.
                        _enrolledState = rotated;
                        continue;
                    }
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    await GoOfflineAsync(session, deviceId);
                    throw;
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    if (Phase != DevicePhase.Connected)
                    {
                        RecordConnectFailure();
                    }

                    error = Describe(ex);
                }
            }

            SetPhase(DevicePhase.Disconnected);
            var delay = backoff.Next();
            if (error is not null)
            {
                _logger.LogWarning(
                    "Connection of device {DeviceId} to {Host}:{Port} failed: {Error}. Retrying in {Delay:0.0} s",
                    deviceId,
                    _options.BrokerHost,
                    _options.BrokerPort,
                    error,
                    delay.TotalSeconds);
            }
            else
            {
                _logger.LogInformation("Device {DeviceId} reconnects in {Delay:0.0} s", deviceId, delay.TotalSeconds);
            }

            await Task.Delay(delay, _time, cancellationToken);
        }
    }

    /// <summary>One connection; returns true when the credential was refused, false when the connection ended otherwise.</summary>
    private async Task<bool> RunDeviceSessionAsync(
        MqttSession session,
        string deviceId,
        string secret,
        ReconnectBackoff backoff,
        CancellationToken cancellationToken)
    {
        var statusTopic = Topics.Status(deviceId);
        var clientOptions = BaseClientOptions()
            .WithClientId(deviceId)
            .WithCredentials(deviceId, secret)
            .WithWillTopic(statusTopic)
            .WithWillPayload(OfflinePayload)
            .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build();
        var result = await session.ConnectAsync(clientOptions, cancellationToken);
        if (result.ResultCode is MqttClientConnectResultCode.BadUserNameOrPassword or MqttClientConnectResultCode.NotAuthorized)
        {
            return true;
        }

        if (result.ResultCode != MqttClientConnectResultCode.Success)
        {
            RecordConnectFailure();
            _logger.LogWarning("The broker refused the connection of device {DeviceId}: {Code} {Reason}", deviceId, result.ResultCode, result.ReasonString);
            return false;
        }

        backoff.Reset();
        _revocationBackoff.Reset();

        // Subscribe before announcing Online (the portal answers Online with the settings), all in one packet.
        var settingsTopic = Topics.Settings(deviceId);
        var policyTopic = Topics.UpdatePolicy(deviceId);
        var subscriptions = new List<(string Topic, string WithoutIt)>
        {
            (settingsTopic, $"keeping a heartbeat interval of {HeartbeatInterval}"),
            (Topics.Credential(deviceId), "credential rotation will not reach this device"),
        };
        if (_updates is not null)
        {
            subscriptions.Add((policyTopic, "OS updates follow the last policy received"));
        }

        if (_config is not null)
        {
            subscriptions.Add((Topics.Config(deviceId), "the last config applied stays"));
        }

        var granted = await session.SubscribeAsync([.. subscriptions.Select(s => s.Topic)], cancellationToken);
        for (var i = 0; i < subscriptions.Count; i++)
        {
            if (!granted[i])
            {
                _logger.LogWarning("The broker refused the subscription to {Topic}; {WithoutIt}", subscriptions[i].Topic, subscriptions[i].WithoutIt);
            }
        }

        if (!await session.PublishAsync(statusTopic, new DeviceStatus(DeviceState.Online), FleetJson.Default.DeviceStatus, cancellationToken))
        {
            _logger.LogWarning("The broker refused the Online status of device {DeviceId}", deviceId);
        }

        SetPhase(DevicePhase.Connected);
        _logger.LogInformation("Device {DeviceId} connected to {Host}:{Port}", deviceId, _options.BrokerHost, _options.BrokerPort);

        void Wake(object? sender, EventArgs e) => session.Wake();
        if (_updates is not null)
        {
            _updates.ReportReady += Wake;
            _updates.OnConnected();
        }

        if (_config is not null)
        {
            _config.ReportReady += Wake;
        }

        _healthOutbox.Enqueued += Wake;
        try
        {
            return await RunConnectedAsync(session, deviceId, settingsTopic, policyTopic, cancellationToken);
        }
        finally
        {
            if (_updates is not null)
            {
                _updates.ReportReady -= Wake;
            }

            if (_config is not null)
            {
                _config.ReportReady -= Wake;
            }

            _healthOutbox.Enqueued -= Wake;
        }
    }

    private async Task<bool> RunConnectedAsync(MqttSession session, string deviceId, string settingsTopic, string policyTopic, CancellationToken cancellationToken)
    {
        var lastHeartbeat = DateTimeOffset.MinValue;
        var reportsRefusedUntil = DateTimeOffset.MinValue;
        var reports = new SessionReports();
        var configTopic = Topics.Config(deviceId);
        while (true)
        {
            var now = _time.GetUtcNow();
            var due = lastHeartbeat == DateTimeOffset.MinValue ? now : lastHeartbeat + HeartbeatInterval;
            if (now >= due)
            {
                // The schedule and the reported time are the same instant, so intervals between reports are exact.
                lastHeartbeat = now;
                await SendHeartbeatAsync(session, deviceId, now, cancellationToken);
                continue;
            }

            if (_updates is not null && now >= reportsRefusedUntil && _updates.NextReport() is { } report)
            {
                if (await session.PublishAsync(Topics.Deployments(deviceId), report, FleetJson.Default.DeploymentReport, cancellationToken))
                {
                    _updates.Delivered(report);
                    continue;
                }

                // An older portal refuses the topic, a busy one answers 0x80: either way, not again at once.
                reportsRefusedUntil = now + DeploymentReportRetry;
                _logger.LogWarning("The broker refused a deployment report of device {DeviceId}; trying again in {Seconds} s", deviceId, DeploymentReportRetry.TotalSeconds);
            }

            if (await SendQueuedHealthAsync(session, deviceId, now, reports, cancellationToken)
                || await SendConfigReportAsync(session, deviceId, now, reports, cancellationToken))
            {
                continue;
            }

            if (reportsRefusedUntil > now && reportsRefusedUntil < due)
            {
                due = reportsRefusedUntil;
            }

            due = reports.Earliest(due, _healthSource is not null && _healthOutbox.Count > 0, now);

            switch (await session.WaitAsync(due, cancellationToken))
            {
                case ConnectionLost lost:
                    _logger.LogWarning("Device {DeviceId} lost its connection: {Reason} {Detail}", deviceId, lost.Reason, lost.Detail);
                    return false;
                case MessageReceived message when message.Topic == settingsTopic:
                    ApplySettings(message);
                    break;
                case MessageReceived message when message.Topic == configTopic && _config is not null:
                    OnDesiredConfig(message);
                    break;
                case MessageReceived message when message.Topic == Topics.Credential(deviceId):
                    if (await AcceptRotationAsync(session, deviceId, message, cancellationToken))
                    {
                        return false;
                    }

                    break;
                case MessageReceived message when message.Topic == policyTopic && _updates is not null:
                    if (MessageJson.TryDeserialize(message.Payload, FleetJson.Default.UpdatePolicy, out var policy))
                    {
                        _updates.OnPolicy(policy);
                    }
                    else
                    {
                        _logger.LogWarning("Ignoring an unreadable update policy on {Topic}", message.Topic);
                    }

                    break;
                default:
                    break;
            }
        }
    }

    /// <summary>Saves a rotated secret and ends this connection so the next one uses it; false when the message is unusable.</summary>
    private async Task<bool> AcceptRotationAsync(MqttSession session, string deviceId, MessageReceived message, CancellationToken cancellationToken)
    {
        if (!MessageJson.TryDeserialize(message.Payload, FleetJson.Default.CredentialRotation, out var rotation)
            || string.IsNullOrEmpty(rotation.Secret) || rotation.Secret.Length > Protocol.MaxFieldLength)
        {
            _logger.LogWarning("Ignoring an unreadable credential rotation on {Topic}", message.Topic);
            return false;
        }

        // Saved first: if the agent dies now, it restarts with the new secret, which the portal accepts.
        var rotated = _enrolledState! with { Secret = rotation.Secret };
        await _store.SaveAsync(rotated, cancellationToken);
        Volatile.Write(ref _rotated, rotated);
        _logger.LogInformation("Credential rotation {RotationId} received; device {DeviceId} reconnects with the new secret", rotation.RotationId, deviceId);
        await GoOfflineAsync(session, deviceId);
        return true;
    }

    private async Task SendHeartbeatAsync(MqttSession session, string deviceId, DateTimeOffset sentAt, CancellationToken cancellationToken)
    {
        var sample = _health.Read();
        var sequence = HeartbeatsSent + 1;
        var heartbeat = new Heartbeat(sequence, sentAt, sample.UptimeSeconds, sample.Load1, sample.Load5, sample.Load15);
        if (await session.PublishAsync(Topics.Heartbeat(deviceId), heartbeat, FleetJson.Default.Heartbeat, cancellationToken))
        {
            Interlocked.Exchange(ref _heartbeatsSent, sequence);
        }
        else
        {
            _logger.LogWarning("The broker refused heartbeat {Sequence} of device {DeviceId}", sequence, deviceId);
        }
    }

    private void ApplySettings(MessageReceived message)
    {
        if (!MessageJson.TryDeserialize(message.Payload, FleetJson.Default.DeviceSettings, out var settings))
        {
            _logger.LogWarning("Ignoring unreadable settings on {Topic}", message.Topic);
            return;
        }

        ApplyHealthInterval(settings.HealthIntervalSeconds);

        if (_options.HeartbeatIntervalOverrideSeconds is { } overridden)
        {
            _logger.LogDebug("Portal asks for heartbeats every {Seconds} s; keeping the configured override of {Override} s", settings.HeartbeatIntervalSeconds, overridden);
            return;
        }

        if (settings.HeartbeatIntervalSeconds is < 1 or > 86_400)
        {
            _logger.LogWarning("Ignoring a heartbeat interval of {Seconds} s from the portal", settings.HeartbeatIntervalSeconds);
            return;
        }

        var interval = TimeSpan.FromSeconds(settings.HeartbeatIntervalSeconds);
        if (interval != HeartbeatInterval)
        {
            _logger.LogInformation("Heartbeat interval is now {Seconds} s", settings.HeartbeatIntervalSeconds);
            HeartbeatInterval = interval;
        }
    }

    /// <summary>Shutdown: say Offline ourselves (a clean DISCONNECT suppresses the will), then disconnect.</summary>
    private async Task GoOfflineAsync(MqttSession session, string deviceId)
    {
        if (!session.IsConnected)
        {
            return;
        }

        // Stopping waits for the operation timeout, not for a busy portal to store the Offline already sent.
        using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(_options.TimeoutSeconds));
        try
        {
            var offline = new DeviceStatus(DeviceState.Offline);
            await session.PublishAsync(
                Topics.Status(deviceId), offline, FleetJson.Default.DeviceStatus, stopping.Token);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _logger.LogDebug("Could not publish Offline for device {DeviceId}: {Error}", deviceId, ex.Message);
        }

        await session.DisconnectQuietlyAsync();
        _logger.LogInformation("Device {DeviceId} went offline", deviceId);
    }
}
