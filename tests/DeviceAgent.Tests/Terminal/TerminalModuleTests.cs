using System.Text.RegularExpressions;
using Fleet.DeviceAgent.Runtime;
using Fleet.DeviceAgent.State;
using Fleet.DeviceAgent.Terminal;
using Fleet.DeviceAgent.Tests.Runtime;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.DeviceAgent.Tests.Terminal;

/// <summary>
/// The agent's terminal module against a real broker, with a real shell through util-linux <c>script</c>: it runs
/// what is typed, drops what is out of bounds, and ends sessions at their limits.
/// </summary>
public sealed partial class TerminalModuleTests : IAsyncDisposable
{
    private const string Device = "dev-1";
    private readonly RecordingLogger _logger = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly CancellationTokenSource _stop = new();
    private FakePortal? _portal;
    private Task? _run;
    private TerminalModule? _module;

    [Fact]
    public async Task Data_Arithmetic_ShellAnswersOnItsOwnLine()
    {
        await StartAsync(new TerminalAgentOptions());
        var session = NewSession();

        await OpenAsync(session);
        await WaitForOutputAsync(session, text => text.Length > 0);   // the prompt, as a person waits for it
        await TypeAsync(session, "echo $((6*7))\n");

        await WaitForOutputAsync(session, text => AnswerLine().IsMatch(text));
        Assert.Empty(_logger.Errors);
    }

    [Fact]
    public async Task Data_OverTheLimit_DroppedWithReasonAndNeverTyped()
    {
        await StartAsync(new TerminalAgentOptions());
        var session = NewSession();
        await OpenAsync(session);

        await TypeAsync(session, "echo " + new string('x', Protocol.MaxTerminalDataLength) + "\n");
        await TypeAsync(session, "echo marker-$((1+1))\n");

        var output = await WaitForOutputAsync(session, text => text.Contains("marker-2", StringComparison.Ordinal));
        Assert.DoesNotContain("xxxx", output, StringComparison.Ordinal);
        Assert.Contains(_logger.Entries, e => e.Message.Contains(
            $"over the {Protocol.MaxTerminalDataLength}-character limit", StringComparison.Ordinal));
        Assert.Empty(_logger.Errors);
    }

    [Fact]
    public async Task Open_TimeLimitPasses_ClosedWithTimeLimit()
    {
        var module = await StartAsync(new TerminalAgentOptions { MaxSessionSeconds = 60 });
        var session = NewSession();

        // The portal asks for two hours; the device's own cap (60 s) wins.
        await OpenAsync(session, timeLimitSeconds: 7200, idleLimitSeconds: 7200);
        var closed = WaitForAsync(session, TerminalOutputKind.Closed);
        await Eventually.AdvanceUntilAsync(_time, closed, TimeSpan.FromSeconds(5));

        Assert.Equal("time limit", (await closed).Reason);
        Assert.True(_time.GetUtcNow() >= new DateTimeOffset(2026, 1, 1, 0, 1, 0, TimeSpan.Zero));
        await Eventually.TrueAsync(() => module.OpenSessions == 0);
        Assert.Empty(_logger.Errors);
    }

    [Fact]
    public async Task Open_OneOverMaxSessions_RefusedWithReason()
    {
        var module = await StartAsync(new TerminalAgentOptions { MaxSessions = 1 });
        var first = NewSession();
        var second = NewSession();
        await OpenAsync(first);

        await _portal!.SendAsync(Topics.TerminalInput(Device, second), Open(), FleetJson.Default.TerminalInput);

        var refused = await WaitForAsync(second, TerminalOutputKind.Closed);
        Assert.StartsWith("refused: 1 sessions are open already", refused.Reason, StringComparison.Ordinal);
        Assert.Equal(1, module.OpenSessions);

        await _portal.SendAsync(Topics.TerminalInput(Device, first), new TerminalInput(TerminalInputKind.Close),
            FleetJson.Default.TerminalInput);
        Assert.Equal("closed", (await WaitForAsync(first, TerminalOutputKind.Closed)).Reason);
        Assert.Empty(_logger.Errors);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_run is not null)
        {
            await _run.Within();
        }

        if (_portal is not null)
        {
            await _portal.DisposeAsync();
        }

        _module?.Dispose();
        _stop.Dispose();
    }

    private static string NewSession() => Guid.NewGuid().ToString("N");

    private static TerminalInput Open(int timeLimitSeconds = 600, int idleLimitSeconds = 600) =>
        new(TerminalInputKind.Open, Columns: 80, Rows: 24, TimeLimitSeconds: timeLimitSeconds,
            IdleLimitSeconds: idleLimitSeconds);

    private async Task<TerminalModule> StartAsync(TerminalAgentOptions options)
    {
        _portal = await FakePortal.StartAsync(p => p.Credentials[Device] = "secret-1");
        var module = _module = new TerminalModule(options, _time, _logger);
        var agent = new AgentOptions
        {
            BrokerHost = "127.0.0.1", BrokerPort = _portal.Port, PlainMqtt = true, TimeoutSeconds = 5,
        };
        var store = new InMemoryStateStore(
            new AgentState("enroll-00112233445566778899aabbccddeeff", Device, "secret-1"));
        _run = TestRuntime.Create(agent, store, _time, _logger, [module]).RunAsync(_stop.Token);
        await _portal.WaitForAsync(p => p.Topic == Topics.Status(Device));   // subscribed by then
        return module;
    }

    private async Task OpenAsync(string session, int timeLimitSeconds = 600, int idleLimitSeconds = 600)
    {
        await _portal!.SendAsync(Topics.TerminalInput(Device, session), Open(timeLimitSeconds, idleLimitSeconds),
            FleetJson.Default.TerminalInput);
        await WaitForAsync(session, TerminalOutputKind.Opened);
    }

    private Task TypeAsync(string session, string keys) => _portal!.SendAsync(
        Topics.TerminalInput(Device, session), new TerminalInput(TerminalInputKind.Data, keys),
        FleetJson.Default.TerminalInput);

    private async Task<TerminalOutput> WaitForAsync(string session, TerminalOutputKind kind) =>
        (await _portal!.WaitForAsync(p => p.Topic == Topics.TerminalOutput(Device, session)
            && p.Read(FleetJson.Default.TerminalOutput).Kind == kind)).Read(FleetJson.Default.TerminalOutput);

    /// <summary>The session's output so far once <paramref name="done"/> holds for it.</summary>
    private async Task<string> WaitForOutputAsync(string session, Func<string, bool> done)
    {
        var topic = Topics.TerminalOutput(Device, session);
        string Output() => string.Concat(_portal!.PublishedTo(topic)
            .Select(p => p.Read(FleetJson.Default.TerminalOutput))
            .Where(o => o.Kind == TerminalOutputKind.Data)
            .OrderBy(o => o.Sequence)
            .Select(o => o.Data));
        await Eventually.TrueAsync(() => done(Output()));
        return Output();
    }

    // "42" alone on a line (after the prompt, when the shell printed it late): the shell's answer, not the echoed
    // command (which shows "$((6*7))").
    [GeneratedRegex(@"(^|\n)([#$] )?42\r?\n")]
    private static partial Regex AnswerLine();
}
