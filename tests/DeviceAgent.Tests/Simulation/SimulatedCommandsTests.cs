using Fleet.DeviceAgent.Runtime;
using Fleet.DeviceAgent.Simulation;
using Fleet.DeviceAgent.State;
using Fleet.DeviceAgent.Tests.Runtime;
using Fleet.Shared;
using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Tests.Simulation;

/// <summary>Simulated devices answer commands over a real broker connection, run each id once, and fail the
/// devices the failure percent names.</summary>
public sealed class SimulatedCommandsTests
{
    private const string DeviceId = "dev-1";

    private readonly RecordingLogger _logger = new();

    [Theory]
    [InlineData(0, 5, true)]
    [InlineData(4, 5, true)]
    [InlineData(5, 5, false)]
    [InlineData(104, 5, true)]
    [InlineData(199, 100, true)]
    [InlineData(0, 0, false)]
    public void Fails_IndexModuloHundredBelowPercent(int index, int percent, bool fails) =>
        Assert.Equal(fails, SimulatedCommands.Fails(index, percent));

    [Fact]
    public async Task Commands_FailingDevice_AnswersEachIdOnceAndRepeatsOnlyTheFinalResult()
    {
        await using var portal = await FakePortal.StartAsync(p => p.Credentials[DeviceId] = "secret-1");
        var commands = new SimulatedCommands(
            index: 3, new SimulatedCommandBehaviour(TimeSpan.Zero, FailurePercent: 5), TimeProvider.System, _logger);
        var runtime = TestRuntime.Create(Options(portal), Enrolled(), TimeProvider.System, _logger, [commands]);
        using var stop = new CancellationTokenSource();
        var run = runtime.RunAsync(stop.Token);
        await portal.WaitForAsync(p => p.Topic == Topics.Heartbeat(DeviceId));
        var later = DateTimeOffset.UtcNow.AddHours(1);

        await Send(portal, new CommandRequest("c-reboot", CommandKinds.Reboot, later));
        await Send(portal, new CommandRequest("c-ping", CommandKinds.Ping, later));
        await Send(portal, new CommandRequest("c-old", CommandKinds.Reboot, DateTimeOffset.UtcNow.AddMinutes(-1)));
        await Send(portal, new CommandRequest("c-odd", "format-disk", later));
        await WaitForResultAsync(portal, "c-odd", CommandState.Failed);
        await Send(portal, new CommandRequest("c-reboot", CommandKinds.Reboot, later));   // sent again
        await Send(portal, new CommandRequest("c-marker", CommandKinds.Ping, later));
        await WaitForResultAsync(portal, "c-marker", CommandState.Succeeded);
        await stop.CancelAsync();
        await run.Within();

        var results = portal.PublishedTo(Topics.CommandResult(DeviceId))
            .Select(p => p.Read(FleetJson.Default.CommandResult)).ToList();
        Assert.Equal(
            [CommandState.Delivered, CommandState.Running, CommandState.Failed, CommandState.Failed],
            results.Where(r => r.Id == "c-reboot").Select(r => r.State));
        Assert.Equal(1, results.First(r => r.Id == "c-reboot" && r.State == CommandState.Failed).ExitCode);
        Assert.Equal([CommandState.Succeeded], results.Where(r => r.Id == "c-ping").Select(r => r.State));
        Assert.Equal([CommandState.Expired], results.Where(r => r.Id == "c-old").Select(r => r.State));
        Assert.Contains("format-disk", results.Single(r => r.Id == "c-odd").Detail, StringComparison.Ordinal);
        Assert.Empty(_logger.Errors);
    }

    [Fact]
    public void Answer_DeviceOutsideTheFailurePercent_Succeeds()
    {
        var commands = new SimulatedCommands(
            index: 5, new SimulatedCommandBehaviour(TimeSpan.FromSeconds(2), 5), TimeProvider.System, _logger);
        var now = DateTimeOffset.UtcNow;

        var results = commands.Answer(new CommandRequest("c-1", CommandKinds.RestartUnit, now.AddMinutes(5)), now)
            .ToList();

        Assert.Equal(
            [CommandState.Delivered, CommandState.Running, CommandState.Succeeded], results.Select(r => r.State));
        Assert.Equal(now.AddSeconds(2), results[^1].At);
        Assert.Equal(0, results[^1].ExitCode);
    }

    private static Task Send(FakePortal portal, CommandRequest command) =>
        portal.SendAsync(Topics.Commands(DeviceId), command, FleetJson.Default.CommandRequest);

    private static Task<Published> WaitForResultAsync(FakePortal portal, string id, CommandState state) =>
        portal.WaitForAsync(p => p.Topic == Topics.CommandResult(DeviceId)
            && p.Read(FleetJson.Default.CommandResult) is { } r && r.Id == id && r.State == state);

    private static AgentOptions Options(FakePortal portal) =>
        new() { BrokerHost = "127.0.0.1", BrokerPort = portal.Port, PlainMqtt = true, TimeoutSeconds = 5 };

    private static InMemoryStateStore Enrolled() =>
        new(new AgentState("enroll-00112233445566778899aabbccddeeff", DeviceId, "secret-1"));
}
