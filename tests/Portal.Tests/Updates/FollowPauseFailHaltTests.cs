using System.Security.Cryptography;
using Fleet.DeviceAgent.Tests.Updates;
using Fleet.DeviceAgent.Updates;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Updates;
using Fleet.Portal.Features.Updates.Import;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Tests.Updates;

/// <summary>
/// Issue 6's story end to end, with nothing stood in on the portal side: the real agent host (bash
/// rpm-ostree/systemctl stand-ins as its OS) asks the portal's own Cincinnati graph and FleetLock. It
/// follows a release, is paused (offered nothing), is unpaused and updates, then a release fails to boot
/// and the rollout guard halts it.
/// </summary>
public sealed class FollowPauseFailHaltTests : IAsyncLifetime
{
    private readonly FakeOs _os = new("42.1", 1_000);
    private readonly string _machineId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
    private PortalInstance _portal = null!;

    public async ValueTask InitializeAsync()
    {
        _portal = await PortalInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Fleet:Devices:HeartbeatIntervalSeconds"] = "1",
            ["Fleet:Devices:PendingRetrySeconds"] = "1",
        });
        _os.WriteHostIdentity(_machineId, TestMqttClient.RandomMac());
    }

    public async ValueTask DisposeAsync()
    {
        await _portal.DisposeAsync();
        _os.Dispose();
    }

    [Fact]
    public async Task Agent_FollowsPausedUnpausedUpdatesThenFailedReleaseHalts()
    {
        var updates = _portal.Services.GetRequiredService<UpdateService>();
        var imports = _portal.Services.GetRequiredService<ReleaseImportService>();
        var v421 = FakeOs.ReleaseOf("42.1", 1_000);
        var v422 = _os.AddRelease("42.2", 2_000);
        await ImportAsync(imports, v421, v422);
        Assert.True((await updates.UpdateSettingsAsync(new SettingsInput("stable", 50, 1), TestActors.Operator)).Succeeded);

        // Paused before it ever comes online: the device is offered nothing and deploys nothing.
        var agent = await StartAgentAsync();
        var device = await _portal.WaitForAsync(() => _portal.FindDeviceAsync(d => d.MachineId == _machineId), what: "pending device");
        Assert.True((await updates.PauseAsync(UpdateTarget.Device(device.Id), "change freeze", null, TestActors.Operator)).Succeeded);
        await _portal.Devices.ApproveAsync(device.Id, TestActors.Operator);
        await _portal.WaitForAsync(() => _portal.FindDeviceAsync(d => d.Id == device.Id && d.BootedVersion == "42.1"), what: "first deployment report");
        using (var http = new HttpClient { BaseAddress = _portal.BaseAddress })
        {
            var graph = await http.GetStringAsync(new Uri($"/v1/graph?basearch=x86_64&stream=stable&os_version=42.1&os_checksum={v421.Checksum}&group=default&node_uuid={Shared.NodeUuid.FromMachineId(_machineId)}&platform=metal", UriKind.Relative));
            Assert.Contains("\"edges\":[]", graph, StringComparison.Ordinal);
        }

        Assert.DoesNotContain(_os.Calls, c => c.StartsWith("rpm-ostree deploy", StringComparison.Ordinal));

        // Unpaused: the portal pushes the new policy, the agent asks the graph at once, deploys, takes the lock, reboots.
        Assert.True((await updates.UnpauseAsync(UpdateTarget.Device(device.Id), TestActors.Operator)).Succeeded);
        await _portal.WaitForAsync(() => Task.FromResult(_os.Calls.Contains("systemctl reboot") ? "rebooted" : null), what: "deploy, lock and reboot into 42.2");
        await agent.DisposeAsync();
        agent = await StartAgentAsync(agent.StateDirectory);
        await _portal.WaitForAsync(() => _portal.FindDeviceAsync(d => d.Id == device.Id && d.UpdateStatus == DeviceUpdateStatus.Updated && d.BootedVersion == "42.2"), what: "updated to 42.2");

        // 42.3 fails to boot (greenboot red, back to 42.2): the device reports it and the guard halts 42.3.
        var v423 = _os.AddRelease("42.3", 3_000);
        _os.FailNextBoot();
        await ImportAsync(imports, v421, v422, v423);
        await _portal.WaitForAsync(() => Task.FromResult(_os.Calls.Count(c => c == "systemctl reboot") >= 2 ? "rebooted" : null), what: "reboot into 42.3", timeout: TimeSpan.FromSeconds(90));
        await agent.DisposeAsync();
        await using var afterFailure = await StartAgentAsync(agent.StateDirectory);
        var rolledBack = await _portal.WaitForAsync(() => _portal.FindDeviceAsync(d => d.Id == device.Id && d.UpdateStatus == DeviceUpdateStatus.RolledBack), what: "rolled back");
        Assert.Equal("42.2", rolledBack.BootedVersion);
        var halted = await _portal.WaitForAsync(async () =>
        {
            await using var db = await _portal.CreateDbAsync();
            return await db.Releases.AsNoTracking().SingleOrDefaultAsync(r => r.Version == "42.3" && r.HaltedAt != null);
        }, what: "42.3 halted by the rollout guard");
        Assert.Equal(RolloutGuard.HaltedBy, halted.HaltedBy);

        // The rollout view tells the same story in numbers.
        var view = (await updates.GetRolloutAsync("stable"))!;
        Assert.Equal((1, 0), view.ByVersion.Where(v => v.Version == "42.2").Select(v => (v.Succeeded, v.Failed)).Single());
        Assert.Equal((0, 1, true), view.ByVersion.Where(v => v.Version == "42.3").Select(v => (v.Succeeded, v.Failed, v.IsHalted)).Single());
        Assert.Equal(1, view.ByVersion.Single(v => v.Version == "42.2").Devices);
        Assert.Equal(1, view.ByStatus!.Values.Sum());
        Assert.DoesNotContain(_os.Calls.Where(c => c.StartsWith("rpm-ostree deploy", StringComparison.Ordinal)).Skip(2), _ => true);   // 42.2 and 42.3 once each: no retry of the release that failed to boot
    }

    /// <summary>Release documents in Fedora's own formats: releases.json and updates/stable.json (every release fully rolled out).</summary>
    private static async Task ImportAsync(ReleaseImportService imports, params FakeOs.Release[] releases)
    {
        var releasesJson = "{\"releases\":[" + string.Join(',', releases.Select(r =>
            $"{{\"version\":\"{r.Version}\",\"commits\":[{{\"architecture\":\"x86_64\",\"checksum\":\"{r.Checksum}\"}}]}}")) + "]}";
        var updatesJson = "{\"stream\":\"stable\",\"releases\":[" + string.Join(',', releases.Select(r =>
            $"{{\"version\":\"{r.Version}\",\"metadata\":{{\"rollout\":{{\"start_percentage\":1.0}}}}}}")) + "]}";
        var report = await imports.ImportAsync("stable", new ReleaseImportDocuments(releasesJson, updatesJson, null), TestActors.Operator);
        Assert.True(report.Change.Succeeded, string.Join("; ", report.Change.Errors.Select(e => $"{e.Field}: {e.Message}")));
    }

    private Task<AgentHost> StartAgentAsync(string? stateDirectory = null) => AgentHost.StartAsync(
        _portal.MqttPort,
        stateDirectory,
        _os.Root,
        new Dictionary<string, string?> { ["Agent:Updates:CheckIntervalMinutes"] = "1" },
        s => s.AddSingleton<IProcessRunner>(_os.Runner));
}
