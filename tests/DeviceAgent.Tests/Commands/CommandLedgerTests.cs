using System.Text.Json;
using Fleet.DeviceAgent.Commands;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fleet.DeviceAgent.Tests.Commands;

/// <summary>
/// The agent's command ledger with a recording executor (it counts what it is asked to run and answers at once):
/// each id runs once, late and unknown commands are refused with a reason, and a restart resumes where it stopped.
/// </summary>
public sealed class CommandLedgerTests : IDisposable
{
    private static readonly JsonSerializerOptions FileJson =
        new(JsonSerializerOptions.Web)
        {
            Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
        };

    private readonly TempDirectory _state = new();
    private readonly RecordingExecutor _executor = new();

    public void Dispose() => _state.Dispose();

    [Fact]
    public async Task SameIdTwice_RunsOnce_AndTheSecondIsAnsweredWithItsState()
    {
        var ledger = Ledger();
        using var run = new CancellationTokenSource();
        var loop = ledger.RunAsync(run.Token);
        ledger.Receive(Payload("a1", CommandKinds.RestartUnit, unit: "nginx.service"));
        await WaitAsync(() => ledger.Entries().Single().Result.State == CommandState.Succeeded);
        Drain(ledger);

        ledger.Receive(Payload("a1", CommandKinds.RestartUnit, unit: "nginx.service"));
        Assert.Equal(CommandState.Succeeded, ledger.Next()?.Result?.State);
        Assert.Equal(["a1"], _executor.Ran);
        await run.CancelAsync();
        await loop;
    }

    [Fact]
    public void LateUnknownOrMalformed_RefusedWithAReason_NothingRuns()
    {
        var ledger = Ledger();
        ledger.Receive(Payload(
            "late", CommandKinds.RestartUnit, unit: "a.service", expires: DateTimeOffset.UtcNow.AddSeconds(-1)));
        ledger.Receive(Payload("new", "format-disk"));
        ledger.Receive(Payload("bad", CommandKinds.StopUnit, unit: "rm -rf /"));
        ledger.Receive("{not json"u8.ToArray());

        var results = ledger.Entries().ToDictionary(e => e.Id, e => e.Result);
        Assert.Equal(CommandState.Expired, results["late"].State);
        Assert.Equal(CommandState.Failed, results["new"].State);
        Assert.Contains("'format-disk' is not a command kind", results["new"].Detail, StringComparison.Ordinal);
        Assert.Equal(CommandState.Failed, results["bad"].State);
        Assert.Contains("unit: A systemd unit name", results["bad"].Detail, StringComparison.Ordinal);
        Assert.Empty(_executor.Ran);
    }

    [Fact]
    public async Task Restart_RunsWhatWasDelivered_ReportsWhatWasInterrupted()
    {
        var first = Ledger();
        first.Receive(Payload("reboot", CommandKinds.Reboot));
        first.Receive(Payload("unit", CommandKinds.RestartUnit, unit: "a.service"));
        first.Receive(Payload("later", CommandKinds.StopUnit, unit: "b.service"));
        var file = Path.Combine(_state.Path, "commands.json");
        var saved = JsonSerializer.Deserialize<LedgerFile>(File.ReadAllText(file), FileJson)!;

        // As if the agent had stopped while the first two ran (the reboot did its work; the unit was cut short).
        var running = saved.Entries.Select(e => e.Id == "later" ? e
            : e with { Result = e.Result with { State = CommandState.Running } }).ToList();
        File.WriteAllText(file, JsonSerializer.Serialize(new LedgerFile(running), FileJson));

        var second = Ledger();
        using var run = new CancellationTokenSource();
        var loop = second.RunAsync(run.Token);
        await WaitAsync(() => second.Entries().Single(e => e.Id == "later").Result.State == CommandState.Succeeded);
        var results = second.Entries().ToDictionary(e => e.Id, e => e.Result);
        Assert.Equal(CommandState.Succeeded, results["reboot"].State);
        Assert.Equal(CommandState.Failed, results["unit"].State);
        Assert.Contains("Interrupted", results["unit"].Detail, StringComparison.Ordinal);
        Assert.Equal(["later"], _executor.Ran);
        await run.CancelAsync();
        await loop;
    }

    private CommandLedger Ledger() =>
        new([_executor], _state.Path, TimeProvider.System, NullLogger.Instance);

    private static void Drain(CommandLedger ledger)
    {
        while (ledger.Next() is { } message)
        {
            ledger.Sent(message);
        }
    }

    private static byte[] Payload(string id, string kind, string? unit = null, DateTimeOffset? expires = null) =>
        JsonSerializer.SerializeToUtf8Bytes(
            new CommandRequest(id, kind, expires ?? DateTimeOffset.UtcNow.AddHours(1),
                unit is null ? null : new Dictionary<string, string> { [CommandArguments.Unit] = unit }),
            FleetJson.Default.CommandRequest);

    private static async Task WaitAsync(Func<bool> condition)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            await Task.Delay(20, limit.Token);
        }
    }

    /// <summary>A recording executor for the unit kinds: notes each id it runs and succeeds.</summary>
    private sealed class RecordingExecutor : ICommandExecutor
    {
        public List<string> Ran { get; } = [];

        public IReadOnlyCollection<string> Kinds { get; } =
            [CommandKinds.Reboot, CommandKinds.RestartUnit, CommandKinds.StopUnit];

        public Task<CommandOutcome> ExecuteAsync(CommandRequest command, CancellationToken cancellationToken)
        {
            lock (Ran)
            {
                Ran.Add(command.Id);
            }

            return Task.FromResult(new CommandOutcome(true, 0));
        }
    }
}
