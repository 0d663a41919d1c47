using System.Collections.Concurrent;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;
using MQTTnet;

namespace Fleet.Portal.Tests.Health;

/// <summary>
/// Must show #1: many devices send QoS 1 health reports while the portal is stopped and started
/// again on the same data folder and MQTT port; every acknowledged report is stored exactly once.
/// </summary>
public sealed class HealthRestartTests
{
    private const int Devices = 12;
    private const int ReportsPerDevice = 60;

    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Fleet:Health:MaxReportsPerMinute"] = "60000",
        ["Fleet:Health:ReportBurst"] = "10000",
        ["Logging:LogLevel:Default"] = "Warning",
    };

    [Fact]
    public async Task Reports_PortalRestartedMidStream_EveryAcknowledgedReportStoredExactlyOnce()
    {
        var portal = await PortalInstance.StartAsync(Settings);
        var dataDirectory = portal.DataDirectory;
        var port = portal.MqttPort;
        var devices = new List<(string Id, string Secret)>();
        for (var i = 0; i < Devices; i++)
        {
            devices.Add(await ApprovedDevice.EnrolAsync(portal, $"restart-{i}"));
        }

        var acknowledged = new ConcurrentDictionary<(Guid, long), bool>();
        var halfway = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var senders = devices.Select(d => Task.Run(() => SendAllAsync(port, d.Id, d.Secret, acknowledged, halfway, cts.Token))).ToList();

        await halfway.Task.WaitAsync(cts.Token);
        await portal.DisposeAsync(); // mid-stream: in-flight reports are not acknowledged, their senders re-send
        var ackedBeforeRestart = acknowledged.Count;
        portal = await PortalInstance.StartAsync(Settings, dataDirectory, port);
        await using var _ = portal;
        await Task.WhenAll(senders);

        await using var db = await portal.CreateDbAsync();
        var stored = await db.HealthSamples.AsNoTracking().Select(s => new { s.DeviceId, s.Sequence }).ToListAsync();
        Assert.InRange(ackedBeforeRestart, 1, (Devices * ReportsPerDevice) - 1);
        Assert.Equal(Devices * ReportsPerDevice, acknowledged.Count);
        Assert.Equal(stored.Count, stored.Distinct().Count());
        Assert.Equal(acknowledged.Keys.Order(), stored.Select(s => (s.DeviceId, s.Sequence)).Order());
    }

    /// <summary>
    /// Sends sequence 1..N; a report counts as acknowledged only on PUBACK success. On a lost
    /// connection it reconnects and re-sends the same report (same sequence and SentAt), as the agent does.
    /// </summary>
    private static async Task SendAllAsync(int port, string id, string secret, ConcurrentDictionary<(Guid, long), bool> acknowledged, TaskCompletionSource halfway, CancellationToken cancellationToken)
    {
        var deviceId = Guid.ParseExact(id, "N");
        var start = DateTimeOffset.UtcNow;
        TestMqttClient? client = null;
        try
        {
            for (long sequence = 1; sequence <= ReportsPerDevice; sequence++)
            {
                var report = HealthIngestTests.Report(sequence, start.AddMilliseconds(sequence));
                while (true)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    try
                    {
                        if (client is not { IsConnected: true })
                        {
                            if (client is not null)
                            {
                                await client.DisposeAsync();
                            }

                            client = null;
                            (client, _) = await TestMqttClient.ConnectAsync(port, id, id, secret);
                        }

                        if (await client.PublishAsync(Topics.Health(id), report, FleetJson.Default.HealthReport) == MqttClientPublishReasonCode.Success)
                        {
                            acknowledged[(deviceId, sequence)] = true;
                            if (acknowledged.Count >= Devices * ReportsPerDevice / 3)
                            {
                                halfway.TrySetResult();
                            }

                            break;
                        }
                    }
                    catch (Exception ex) when (Restarting(ex, client) && !cancellationToken.IsCancellationRequested)
                    {
                        // The portal is restarting: wait for it to listen again, then re-send the same report.
                        await Task.Delay(100, cancellationToken);
                    }
                }
            }
        }
        finally
        {
            if (client is not null)
            {
                await client.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// What a publish throws while the portal restarts under it. MQTTnet's client throws a NullReferenceException
    /// from inside its request when the connection is torn down mid-publish; only then is it taken for a restart.
    /// </summary>
    private static bool Restarting(Exception ex, TestMqttClient? client) =>
        ex is InvalidOperationException or MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException
        || (ex is NullReferenceException && client is not { IsConnected: true });
}
