using Fleet.Portal.Data;
using Fleet.Portal.Features.Enrollment;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Tests.Agents;

/// <summary>
/// The native (AOT) agent builds that devices run, each started as its own process with nothing but environment
/// variables (as <c>/etc/fleet-agent/agent.env</c> gives them), against a real portal whose policy approves enrolment
/// tokens: the aarch64 build is cross-compiled here and runs under qemu-user.
/// </summary>
public sealed class NativeAgentTests
{
    private const string Version = AgentBuilds.Version;

    [Theory]
    [InlineData("x86_64")]
    [InlineData("aarch64")]
    public async Task NativeBuild_StartedWithEnvironmentOnly_EnrolsByTokenComesOnlineAndReportsHealth(
        string architecture)
    {
        var missing = NativeAgentProcess.MissingTools(architecture);
        Assert.SkipWhen(missing is not null, $"The {architecture} agent cannot be built or run here: {missing}");
        var binary = await AgentBuilds.PathAsync(Version, architecture);
        await using var portal = await PortalInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Fleet:Health:DefaultIntervalSeconds"] = "5",
        });
        var ct = TestContext.Current.CancellationToken;
        var enrollment = portal.Services.GetRequiredService<EnrollmentService>();
        Assert.True((await enrollment.SetPolicyAsync(new EnrollmentPolicyInput(false, true), TestActors.Operator, ct))
            .Succeeded);
        var token = await enrollment.CreateTokenAsync(
            new CreateTokenInput("native-" + architecture), TestActors.Operator, ct);

        await using var agent = NativeAgentProcess.Start(binary, architecture, portal.MqttPort, token.Value!.Value);

        var device = await UntilAsync(
            agent, "comes online", async () => await portal.FindDeviceAsync(d => d.IsOnline));
        Assert.Equal(EnrollmentState.Approved, device.State);
        Assert.Equal("token:native-" + architecture, device.ApprovedBy);
        Assert.Equal(Version, device.AgentVersion);
        await UntilAsync(agent, "reports health", async () =>
        {
            await using var db = await portal.CreateDbAsync();
            return await db.HealthSamples.AnyAsync(s => s.DeviceId == device.Id, ct) ? device : null;
        });
        Assert.True(agent.IsRunning, agent.Output());
    }

    [Fact]
    public async Task NativeBuild_OptionOfTheWrongType_ExitsWithTheKeyAndTheValue()
    {
        var missing = NativeAgentProcess.MissingTools("x86_64");
        Assert.SkipWhen(missing is not null, $"The x86_64 agent cannot be built here: {missing}");
        var binary = await AgentBuilds.PathAsync(Version, "x86_64");

        // Options bind through generated code in the native build: its conversion error must still be a clear one.
        await using var agent = NativeAgentProcess.Start(binary, "x86_64", 1883, "unused",
            new Dictionary<string, string> { ["Agent__BrokerPort"] = "abc" });

        Assert.Equal(2, await agent.ExitCodeAsync());
        Assert.Contains("fleet-agent: Failed to convert configuration value 'abc' at 'Agent:BrokerPort'",
            agent.Output(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NativeBuild_Simulate_ItsDevicesAskToEnrol()
    {
        var missing = NativeAgentProcess.MissingTools("x86_64");
        Assert.SkipWhen(missing is not null, $"The x86_64 agent cannot be built here: {missing}");
        var binary = await AgentBuilds.PathAsync(Version, "x86_64");
        await using var portal = await PortalInstance.StartAsync();

        await using var agent = NativeAgentProcess.Start(binary, "x86_64", portal.MqttPort, "unused",
            arguments: ["simulate", "--count", "3", "--broker", $"127.0.0.1:{portal.MqttPort}", "--plain"]);

        await UntilAsync(agent, "simulates three devices asking to enrol", async () =>
        {
            await using var db = await portal.CreateDbAsync();
            var pending = await db.Devices.CountAsync(d => d.State == EnrollmentState.Pending,
                TestContext.Current.CancellationToken);
            return pending == 3 ? (object)pending : null;
        });
    }

    /// <summary>Polls <paramref name="probe"/> until it finds something; fails with the agent's output after two
    /// minutes (the aarch64 build starts slowly under emulation) or when the agent exits.</summary>
    private static async Task<T> UntilAsync<T>(NativeAgentProcess agent, string what, Func<Task<T?>> probe)
        where T : class
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        while (true)
        {
            if (await probe() is { } found)
            {
                return found;
            }

            if (!agent.IsRunning || timeout.IsCancellationRequested)
            {
                Assert.Fail($"The agent never {what}; its output:\n{agent.Output()}");
            }

            await Task.Delay(200, CancellationToken.None);
        }
    }
}
