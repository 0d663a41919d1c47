using Fleet.DeviceAgent;
using Fleet.DeviceAgent.Runtime;
using Fleet.DeviceAgent.Simulation;
using Fleet.DeviceAgent.State;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Enrollment;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Portal.Tests.Messaging;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet;

namespace Fleet.Portal.Tests.Enrollment;

/// <summary>
/// A roll-out through one address, as docs/operations.md sizes it for large sites: the agent's own runtime (with its
/// default timeouts) for every device, the token policy approving them, all from 127.0.0.1 as a site behind NAT.
/// </summary>
[Collection(MeasuredAlone.Name)]
public sealed class MassEnrolmentTests
{
    private const int Devices = 5_000;

    /// <summary>The highest rate operations.md gives settings for (its "Mass enrolment through one address").</summary>
    private const int StartsPerSecond = 500;

    [Fact]
    public async Task Enrol_FiveThousandFromOneAddressAtTheLargeSiteRate_AllOnlineEachCredentialIssuedOnceNoLockout()
    {
        await using var portal = await PortalInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Warning",
            ["Fleet:Mqtt:EnrollmentRequestsPerAddressPerSecond"] = "2000",
            ["Fleet:Mqtt:EnrollmentBurstPerAddress"] = "5000",
            ["Fleet:Mqtt:MaxBootstrapSessionsPerAddress"] = "5000",
            ["Fleet:Mqtt:MaxPendingConnectionsPerAddress"] = "2000",
        });
        var meters = portal.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var credentials = new MetricCollector<long>(
            meters, EnrollmentMetrics.MeterName, EnrollmentMetrics.CredentialsName);
        using var lockouts = new MetricCollector<long>(
            meters, EnrollmentMetrics.MeterName, EnrollmentMetrics.LockoutsName);
        var enrollment = portal.Services.GetRequiredService<EnrollmentService>();
        var ct = TestContext.Current.CancellationToken;
        await enrollment.SetPolicyAsync(new EnrollmentPolicyInput(false, true), TestActors.Operator, ct);
        var created = await enrollment.CreateTokenAsync(new CreateTokenInput("roll-out"), TestActors.Operator, ct);
        var token = created.Value!.Value;

        var options = new AgentOptions
        {
            BrokerHost = "127.0.0.1", BrokerPort = portal.MqttPort, PlainMqtt = true, EnrollmentToken = token,
            ClaimBanner = false,
        };
        var factory = new MqttClientFactory();
        var runtimes = SimulatedFleet.Create(Devices, seed: 41, TimeProvider.System)
            .Select(d => new DeviceRuntime(
                d,
                d,
                new InMemoryStateStore(new AgentState(d.EnrollmentId)),
                options,
                factory.CreateMqttClient,
                TimeProvider.System,
                NullLogger.Instance))
            .ToList();
        using var stop = new CancellationTokenSource();
        var running = new List<Task>(Devices);
        var started = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < runtimes.Count; i++)
        {
            var due = TimeSpan.FromSeconds((double)i / StartsPerSecond) - started.Elapsed;
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due, ct);
            }

            var runtime = runtimes[i];
            running.Add(Task.Run(() => runtime.RunAsync(stop.Token), CancellationToken.None));
        }

        try
        {
            await portal.WaitForAsync(
                async () => await OnlineAsync(portal) is Devices ? "all online" : null,
                TimeSpan.FromMinutes(5),
                $"{Devices} devices online");
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(running);
        }

        var answers = credentials.GetMeasurementSnapshot()
            .GroupBy(m => (string)m.Tags["answer"]!)
            .ToDictionary(g => g.Key, g => g.Sum(m => m.Value));
        Assert.Equal(Devices, answers.GetValueOrDefault("issued"));
        Assert.Equal(0, answers.GetValueOrDefault("reissued"));
        Assert.Empty(lockouts.GetMeasurementSnapshot());
        Assert.DoesNotContain(portal.Logs.Entries, e => e.Message.Contains("locked out", StringComparison.Ordinal));
    }

    private static async Task<int> OnlineAsync(PortalInstance portal)
    {
        await using var db = await portal.CreateDbAsync();
        return await db.Devices.CountAsync(
            d => d.IsOnline && d.State == EnrollmentState.Approved && d.ApprovedBy == "token:roll-out");
    }
}
