using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Fleet.DeviceAgent.Tests.Updates;
using Fleet.DeviceAgent.Updates;
using Fleet.Portal.Data;
using Fleet.Portal.Features;
using Fleet.Portal.Features.Commands;
using Fleet.Portal.Features.Security;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Tests.Commands;

/// <summary>
/// The real portal and the real agent host, with the recording <c>systemctl</c> and <c>journalctl</c> stand-ins of
/// the fake OS on the agent's PATH (tests/DeviceAgent.Tests/Fixtures/fake-os): commands run through the agent's
/// process runner, and their results reach the portal's service and API.
/// </summary>
public sealed class CommandsEndToEndTests : IAsyncLifetime
{
    private readonly FakeOs _os = new("42.1", 1_000);
    private readonly string _machineId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
    private readonly string _data = Directory.CreateTempSubdirectory("fleet-portal-").FullName;
    private PortalInstance _portal = null!;

    private CommandService Commands => _portal.Services.GetRequiredService<CommandService>();

    public async ValueTask InitializeAsync()
    {
        _portal = await StartPortalAsync();
        _os.WriteHostIdentity(_machineId, TestMqttClient.RandomMac());
        File.WriteAllLines(Path.Combine(_os.Directory, "journal"),
            Enumerable.Range(1, 3000).Select(i => $"2026-12-07T10:00:00+0000 host sshd[1]: line {i}"));
        File.WriteAllText(Path.Combine(_os.Directory, "missing-units"), "ghost.service\n");
    }

    public async ValueTask DisposeAsync()
    {
        await _portal.DisposeAsync();
        _os.Dispose();
    }

    [Fact]
    public async Task RebootUnitsAndJournal_RunThroughTheAgentsRunner_ResultsReachServiceAndApi()
    {
        await using var agent = await StartAgentAsync();
        var device = await ApproveAsync();
        await WaitOnlineAsync(device.Id);

        var restart = await QueueAsync(device.Id, CommandKinds.RestartUnit, (CommandArguments.Unit, "nginx.service"));
        var ghost = await QueueAsync(device.Id, CommandKinds.RestartUnit, (CommandArguments.Unit, "ghost.service"));
        var journal = await QueueAsync(device.Id, CommandKinds.Journal,
            (CommandArguments.Unit, "sshd.service"), (CommandArguments.Since, "-1h"), (CommandArguments.Lines, "2000"));
        var reboot = await QueueAsync(device.Id, CommandKinds.Reboot);
        var ping = await QueueAsync(device.Id, CommandKinds.Ping);

        var done = await WaitFinishedAsync(restart, ghost, journal, reboot, ping);
        Assert.Equal(CommandState.Succeeded, done[restart].State);
        Assert.Equal((CommandState.Failed, 5), (done[ghost].State, done[ghost].ExitCode));
        Assert.Contains("Unit ghost.service not found", done[ghost].Error, StringComparison.Ordinal);
        Assert.Equal(CommandState.Succeeded, done[journal].State);
        Assert.True(done[journal].HasUpload);
        Assert.Equal(CommandState.Succeeded, done[reboot].State);
        Assert.Equal((CommandState.Succeeded, "pong"), (done[ping].State, done[ping].Detail));
        Assert.NotNull(done[ping].RoundTripMilliseconds);

        // The journal, downloaded: the last 2000 lines, as journalctl printed them.
        var file = await Commands.UploadAsync(journal);
        Assert.True(file.Succeeded, file.Message);
        var lines = System.Text.Encoding.UTF8.GetString(file.Value!.Content)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2000, lines.Length);
        Assert.EndsWith("line 1001", lines[0], StringComparison.Ordinal);
        Assert.EndsWith("line 3000", lines[^1], StringComparison.Ordinal);

        // In order, each once, through the stand-ins on the agent's PATH.
        Assert.Equal(
            [
                "systemctl restart -- nginx.service", "systemctl restart -- ghost.service",
                "journalctl --no-pager --output=short-iso --lines=2000 --unit=sshd.service --since=-1h",
                "systemctl reboot",
            ],
            _os.Calls.Where(c => c.StartsWith("systemctl re", StringComparison.Ordinal)
                || c.StartsWith("journalctl", StringComparison.Ordinal)).ToList());

        // The API shows the same, to every role; the file downloads through it.
        var token = await ApiTokens.GetTokenAsync(_portal, Roles.HelpDesk);
        using var http = ApiTokens.Http(_portal, token);
        var listed = await http.GetFromJsonAsync<List<CommandView>>($"/api/v1/devices/{device.Id}/commands");
        Assert.Equal(5, listed!.Count);
        Assert.Equal(CommandState.Failed, listed.Single(c => c.Id == ghost).State);
        var download = await http.GetStringAsync($"/api/v1/commands/{journal:N}/upload");
        Assert.EndsWith("line 3000\n", download, StringComparison.Ordinal);

        // HelpDesk changes nothing: refused by the API and by the service, and audited.
        using var refused = await http.PostAsJsonAsync($"/api/v1/devices/{device.Id}/commands",
            new CommandOrder(CommandKinds.Reboot));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        var denied = await Commands.QueueAsync([device.Id], new CommandOrder(CommandKinds.Ping), TestActors.HelpDesk);
        Assert.Equal(OutcomeKind.Forbidden, denied.Kind);

        // An Operator may not power off here: the default group does not let Operators run privileged commands.
        var powerOff = await Commands.QueueAsync(
            [device.Id], new CommandOrder(CommandKinds.PowerOff), TestActors.Operator);
        Assert.Equal(OutcomeKind.Forbidden, powerOff.Kind);

        // Until an Admin lets Operators run them on the group (an Operator may not change that).
        var groupId = Fleet.Portal.Features.Updates.DeviceGroup.DefaultId;
        Assert.Equal(
            OutcomeKind.Forbidden, (await Commands.SetGroupOperatorsAsync(groupId, true, TestActors.Operator)).Kind);
        Assert.True((await Commands.SetGroupOperatorsAsync(groupId, true, TestActors.Admin)).Succeeded);
        var allowed = await Commands.QueueAsync(
            [device.Id], new CommandOrder(CommandKinds.PowerOff), TestActors.Operator);
        Assert.True(allowed.Succeeded, allowed.Message);
        Assert.Equal(CommandState.Succeeded, (await WaitFinishedAsync(allowed.Value![0]))[allowed.Value[0]].State);
        Assert.Contains("systemctl poweroff", _os.Calls);
    }

    [Fact]
    public async Task QueuedWhileOffline_DeliveredOnceAfterAPortalRestart_AnExpiredOneNeverRuns()
    {
        var agent = await StartAgentAsync();
        var device = await ApproveAsync();
        await WaitOnlineAsync(device.Id);
        var state = agent.StateDirectory;
        await agent.DisposeAsync();
        await _portal.WaitForAsync(
            () => _portal.FindDeviceAsync(d => d.Id == device.Id && !d.IsOnline), what: "offline");

        var first = await QueueAsync(device.Id, CommandKinds.RestartUnit, (CommandArguments.Unit, "first.service"));
        var expired = await QueueAsync(device.Id, CommandKinds.RestartUnit, (CommandArguments.Unit, "expired.service"));
        var second = await QueueAsync(device.Id, CommandKinds.StopUnit, (CommandArguments.Unit, "second.service"));
        var cancelled = await QueueAsync(
            device.Id, CommandKinds.StartUnit, (CommandArguments.Unit, "cancelled.service"));
        Assert.True((await Commands.CancelAsync(cancelled, TestActors.Operator)).Succeeded);
        await using (var db = await _portal.CreateDbAsync())
        {
            // Its time to live runs out while the device is away.
            await db.DeviceCommands.Where(c => c.Id == expired)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.ExpiresAt, DateTimeOffset.UtcNow.AddSeconds(-1)));
        }

        // The portal restarts before the device comes back: the queue is in the database.
        var port = _portal.MqttPort;
        await _portal.DisposeAsync();
        _portal = await StartPortalAsync(port);
        await using (var again = await StartAgentAsync(state))
        {
            var done = await WaitFinishedAsync(first, second, expired);
            Assert.Equal(CommandState.Succeeded, done[first].State);
            Assert.Equal(CommandState.Succeeded, done[second].State);
            Assert.Equal(CommandState.Expired, done[expired].State);
            Assert.Equal(CommandState.Cancelled, (await Commands.GetAsync(cancelled))!.State);
        }

        // Once more online (the portal sends what it has not heard delivered; the agent answers, never reruns).
        await using (var third = await StartAgentAsync(state))
        {
            await WaitOnlineAsync(device.Id);
            await WaitFinishedAsync(await QueueAsync(device.Id, CommandKinds.Ping));
        }

        var units = _os.Calls.Where(c => c.Contains(".service", StringComparison.Ordinal)
            && !c.Contains("try-restart", StringComparison.Ordinal)
            && !c.Contains("is-", StringComparison.Ordinal)).ToList();
        Assert.Equal(["systemctl restart -- first.service", "systemctl stop -- second.service"], units);
    }

    private async Task<Guid> QueueAsync(Guid deviceId, string kind, params (string Name, string Value)[] arguments)
    {
        var order = new CommandOrder(kind, arguments.ToDictionary(a => a.Name, a => a.Value), "test");
        var queued = await Commands.QueueAsync([deviceId], order, TestActors.Operator);
        Assert.True(queued.Succeeded, queued.Message);
        return queued.Value![0];
    }

    private async Task<Dictionary<Guid, CommandView>> WaitFinishedAsync(params Guid[] ids) =>
        await _portal.WaitForAsync(async () =>
        {
            var views = new Dictionary<Guid, CommandView>();
            foreach (var id in ids)
            {
                if (await Commands.GetAsync(id) is { } view && CommandStates.IsFinal(view.State))
                {
                    views[id] = view;
                }
            }

            return views.Count == ids.Length ? views : null;
        }, TimeSpan.FromSeconds(60), "every command finished");

    private async Task<Device> ApproveAsync()
    {
        var device = await _portal.WaitForAsync(
            () => _portal.FindDeviceAsync(d => d.MachineId == _machineId), what: "pending device");
        await _portal.Devices.ApproveAsync(device.Id, TestActors.Operator);
        return device;
    }

    private Task<Device> WaitOnlineAsync(Guid id) =>
        _portal.WaitForAsync(() => _portal.FindDeviceAsync(d => d.Id == id && d.IsOnline), what: "online");

    private Task<PortalInstance> StartPortalAsync(int? mqttPort = null) => PortalInstance.StartAsync(
        new Dictionary<string, string?>
        {
            ["Fleet:Devices:HeartbeatIntervalSeconds"] = "1",
            ["Fleet:Devices:PendingRetrySeconds"] = "1",
            ["Fleet:Commands:SweepSeconds"] = "1",
        },
        _data,
        mqttPort);

    private Task<AgentHost> StartAgentAsync(string? stateDirectory = null) => AgentHost.StartAsync(
        _portal.MqttPort, stateDirectory, _os.Root, services: s => s.AddSingleton<IProcessRunner>(_os.Runner));
}
