using System.Security.Cryptography;
using System.Text;
using Fleet.DeviceAgent.AgentUpdates;
using Fleet.DeviceAgent.Identity;
using Fleet.DeviceAgent.Tests.Updates;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fleet.Portal.Tests.Agents;

/// <summary>
/// The native agent build's own self-update switches, run for real: <c>--version</c> (how a new build proves it starts)
/// and <c>--rollback-if-pending</c> (the restorer systemd runs as the previous build), with the fake OS's recording
/// <c>systemctl</c> stand-in on its PATH.
/// </summary>
public sealed class NativeRestorerTests
{
    private const string Version = AgentBuilds.Version;

    [Fact]
    public async Task NativeBuild_VersionThenRollbackIfPending_PrintsItsVersionAndPutsItselfBack()
    {
        Assert.SkipWhen(KernelArchitecture.Current != "x86_64", "The native test build is made for x86_64 hosts.");
        var native = await AgentBuilds.PathAsync(Version, "x86_64");
        using var os = new FakeOs();
        var folder = Directory.CreateTempSubdirectory("fleet-native-restorer-").FullName;
        try
        {
            var binary = Path.Combine(folder, "bin", "fleet-agent");
            var stateDirectory = Path.Combine(folder, "state");
            Directory.CreateDirectory(Path.GetDirectoryName(binary)!);
            File.Copy(native, binary + ".previous");
            var broken = Encoding.UTF8.GetBytes("#!/bin/sh\n# Stand-in for a new build that crashes.\nexit 134\n");
            File.WriteAllBytes(binary, broken);
            var store = new SelfUpdateStore(stateDirectory, NullLogger.Instance);
            var deadline = DateTimeOffset.UtcNow.AddSeconds(-1);
            store.Save(new SelfUpdateState(Pending: new PendingSwap(
                Version, "7.7.8", Convert.ToHexStringLower(SHA512.HashData(broken)), binary, deadline, 300)));
            var environment = new Dictionary<string, string> { ["Agent__StateDirectory"] = stateDirectory };
            var timeout = TimeSpan.FromSeconds(60);
            var cancellation = TestContext.Current.CancellationToken;

            var version = await os.Runner.RunAsync(binary + ".previous", ["--version"], timeout, cancellation);
            var rollback = await os.Runner.RunAsync(
                binary + ".previous", ["--rollback-if-pending"], timeout, cancellation, environment);

            Assert.Equal((0, Version + "\n"), (version.ExitCode, version.StandardOutput));
            Assert.True(rollback.Succeeded, rollback.Explanation);
            Assert.Equal(File.ReadAllBytes(native), File.ReadAllBytes(binary));
            Assert.Equal(
                ["systemctl reset-failed fleet-agent.service", "systemctl restart fleet-agent.service"], os.Calls);
            var state = store.Load();
            Assert.Null(state.Pending);
            var report = Assert.Single(state.Unsent!);
            var detail = $"Agent 7.7.8 did not come online within 300 s; {Version} was restored.";
            Assert.Equal(
                ("7.7.8", AgentUpdateResult.RolledBack, detail), (report.Version, report.Result, report.Detail));

            // Run again (the timer after OnFailure= already restored): nothing is pending, nothing is done.
            var again = await os.Runner.RunAsync(
                binary + ".previous", ["--rollback-if-pending"], timeout, cancellation, environment);
            Assert.True(again.Succeeded, again.Explanation);
            Assert.Equal(2, os.Calls.Count);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
