using System.Diagnostics;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared;

namespace Fleet.Portal.Tests.Enrollment;

/// <summary>
/// The broker's per-device ACLs seen by a plain MQTT client: the real <c>mosquitto_sub</c>/<c>mosquitto_pub</c>
/// binaries against the embedded broker, as an attacker holding one device's credential would use them.
/// </summary>
public sealed class MosquittoAclTests(PortalFixture fixture) : IClassFixture<PortalFixture>
{
    private PortalInstance Portal => fixture.Portal;

    [Fact]
    public async Task ApprovedDevice_OtherDevicesTopicsAndHash_RefusedOwnTopicAccepted()
    {
        var (deviceA, secretA) = await ApprovedDevice.EnrolAsync(Portal, "mosquitto-a");
        var (deviceB, _) = await ApprovedDevice.EnrolAsync(Portal, "mosquitto-b");
        string[] auth = ["-i", deviceA, "-u", deviceA, "-P", secretA];

        var hash = await RunAsync("mosquitto_sub", [.. auth, "-t", "#", "-W", "3", "-C", "1"]);
        var other = await RunAsync("mosquitto_sub", [.. auth, "-t", Topics.Settings(deviceB), "-W", "3", "-C", "1"]);
        var wildcard = await RunAsync("mosquitto_sub", [.. auth, "-t", "fleet/devices/+/settings", "-W", "3", "-C", "1"]);
        var publish = await RunAsync("mosquitto_pub", [.. auth, "-q", "1", "-t", Topics.Heartbeat(deviceB), "-m", "{}"]);
        var own = await RunAsync("mosquitto_pub", [.. auth, "-q", "1", "-t", Topics.Status(deviceA), "-m", """{"state":"online"}"""]);

        Assert.Contains("denied", hash.Output, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("denied", other.Output, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("denied", wildcard.Output, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("not authorized", publish.Output, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, own.ExitCode);
        Assert.DoesNotContain("failed", own.Output, StringComparison.OrdinalIgnoreCase);
        await Portal.Logs.WaitForAsync(e => e.Message.Contains("Subscription to # refused", StringComparison.Ordinal) && e.Message.Contains(deviceA, StringComparison.Ordinal));
        await Portal.Logs.WaitForAsync(e => e.Message.Contains($"Publish to {Topics.Heartbeat(deviceB)} refused", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Bootstrap_OutsideEnrolmentTopics_Refused()
    {
        var enrollmentId = TestMqttClient.NewEnrollmentId();
        var someDevice = Guid.NewGuid().ToString("N");
        string[] auth = ["-i", enrollmentId, "-u", Topics.BootstrapUserName, "-P", string.Empty];

        var hash = await RunAsync("mosquitto_sub", [.. auth, "-t", "#", "-W", "3", "-C", "1"]);
        var others = await RunAsync("mosquitto_sub", [.. auth, "-t", "fleet/enroll/+/response", "-W", "3", "-C", "1"]);
        var publish = await RunAsync("mosquitto_pub", [.. auth, "-q", "1", "-t", Topics.Heartbeat(someDevice), "-m", "{}"]);

        Assert.Contains("denied", hash.Output, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("denied", others.Output, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("not authorized", publish.Output, StringComparison.OrdinalIgnoreCase);
        await Portal.Logs.WaitForAsync(e => e.Message.Contains($"Publish to {Topics.Heartbeat(someDevice)} refused", StringComparison.Ordinal));
    }

    private async Task<(int ExitCode, string Output)> RunAsync(string tool, string[] arguments)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])["-h", "127.0.0.1", "-p", Portal.MqttPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "-V", "mqttv5", .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
