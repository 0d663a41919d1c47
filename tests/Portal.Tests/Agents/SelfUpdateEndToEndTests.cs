using System.Diagnostics;
using System.Security.Cryptography;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Agents;
using Fleet.Portal.Features.Enrollment;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Tests.Agents;

/// <summary>
/// Must-show 3 of issue 16 with real native builds and the real portal: an agent at version A, run by a recording
/// stand-in for systemd (<see cref="AgentServiceStandIn"/>), is offered B by the portal's rollout, replaces itself and
/// comes back online reporting B; a build whose hash or signature does not match is refused, A keeps running, and the
/// refusal is on the device page; a build that cannot start is rolled back to A by the restorer and reported.
/// </summary>
public sealed class SelfUpdateEndToEndTests
{
    private const string A = AgentBuilds.Version;
    private const string B = AgentBuilds.NextVersion;
    private const string Broken = "3.2.0";
    private const string Architecture = "x86_64";

    [Fact]
    public async Task OfferedB_ReplacesItselfAndComesBackOnlineReportingB()
    {
        await using var rig = await Rig.StartAsync(await AgentBuilds.PathAsync(B, Architecture));

        await rig.TargetAsync(B);

        var state = await rig.WaitForResultAsync(AgentUpdateResult.Installed, B);
        Assert.Equal(B, state.ReportedVersion);
        var device = await rig.WaitForOnlineAsync(B);
        Assert.Equal(B, device.AgentVersion);
        Assert.Equal(rig.Sha512Of(B), Sha512(rig.Binary));
        Assert.Equal(rig.Sha512Of(A), Sha512(rig.Binary + ".previous"));
        Assert.False(File.Exists(rig.Binary + ".new"), rig.Service.Describe());
    }

    [Fact]
    public async Task BuildWhoseFileChanged_RefusedOnHash_AKeepsRunning_RefusalOnDevicePage()
    {
        await using var rig = await Rig.StartAsync(await AgentBuilds.PathAsync(B, Architecture));
        await File.AppendAllTextAsync(rig.Catalogued(B), "tampered after the portal signed it");

        await rig.TargetAsync(B);

        var state = await rig.WaitForResultAsync(AgentUpdateResult.Refused, B);
        Assert.Contains("SHA-512", state.LastDetail, StringComparison.OrdinalIgnoreCase);
        await rig.AssertStillRunningAAsync();
        using var browser = await BrowserSession.SignInAsync(rig.Portal);
        var page = await browser.Http.GetStringAsync(new Uri($"/devices/{rig.DeviceId:N}", UriKind.Relative));
        Assert.Contains("data-testid=\"device-agent\"", page, StringComparison.Ordinal);
        Assert.Contains($"Refused {B}", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BuildSignedWithAnotherKey_RefusedOnSignature_AKeepsRunning()
    {
        await using var rig = await Rig.StartAsync(await AgentBuilds.PathAsync(B, Architecture));
        await using (var db = await rig.Portal.CreateDbAsync())
        {
            var build = await db.AgentBuilds.SingleAsync(b => b.Version == B);
            build.Signature = AgentSignature.Sign(AgentSignature.NewPrivateKey(), B, Architecture, build.Sha512);
            await db.SaveChangesAsync();
        }

        await rig.TargetAsync(B);

        var state = await rig.WaitForResultAsync(AgentUpdateResult.Refused, B);
        Assert.Contains("signature", state.LastDetail, StringComparison.OrdinalIgnoreCase);
        await rig.AssertStillRunningAAsync();
    }

    [Fact]
    public async Task BuildThatCannotStart_RolledBackToAByTheRestorer_AndReported()
    {
        var work = Directory.CreateTempSubdirectory("fleet-broken-build-").FullName;
        try
        {
            await using var rig = await Rig.StartAsync(await BrokenBuildAsync(work));

            await rig.TargetAsync(Broken);

            var state = await rig.WaitForResultAsync(AgentUpdateResult.RolledBack, Broken);
            Assert.Contains("crash", state.LastDetail, StringComparison.OrdinalIgnoreCase);
            var device = await rig.WaitForOnlineAsync(A);
            Assert.Equal(A, device.AgentVersion);
            Assert.Equal(rig.Sha512Of(A), Sha512(rig.Binary));
            Assert.Contains(rig.Service.Journal, l => l.Contains("start limit hit", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>
    /// A stand-in for a build that cannot start, compiled here: a real x86_64 executable that prints its version for
    /// <c>--version</c> (so it passes the agent's trial run) and fails at every other start.
    /// </summary>
    private static async Task<string> BrokenBuildAsync(string work)
    {
        var source = Path.Combine(work, "broken.c");
        var binary = Path.Combine(work, "fleet-agent");
        await File.WriteAllTextAsync(source, $$"""
            #include <stdio.h>
            #include <string.h>
            int main(int argc, char **argv) {
                if (argc > 1 && strcmp(argv[1], "--version") == 0) { puts("{{Broken}}"); return 0; }
                fputs("fleet-agent {{Broken}}: cannot start\n", stderr);
                return 1;
            }
            """);
        using var cc = Process.Start(new ProcessStartInfo("cc", ["-O2", "-o", binary, source])
        {
            RedirectStandardError = true,
        })!;
        var errors = await cc.StandardError.ReadToEndAsync();
        await cc.WaitForExitAsync();
        Assert.True(cc.ExitCode == 0, "cc failed: " + errors);
        return binary;
    }

    private static string Sha512(string path) => Convert.ToHexStringLower(SHA512.HashData(File.ReadAllBytes(path)));

    /// <summary>A portal holding A and one other build, and the native agent A enrolled and online under the stand-in.
    /// </summary>
    private sealed class Rig : IAsyncDisposable
    {
        private readonly string _data;
        private readonly string _work;

        private Rig(PortalInstance portal, AgentServiceStandIn service, string data, string work, Guid deviceId)
        {
            Portal = portal;
            Service = service;
            _data = data;
            _work = work;
            DeviceId = deviceId;
        }

        public PortalInstance Portal { get; }

        public AgentServiceStandIn Service { get; }

        public Guid DeviceId { get; }

        public string Binary => Path.Combine(_work, "bin", "fleet-agent");

        public string Catalogued(string version) =>
            Path.Combine(_data, "agents", version, Architecture, AgentCatalog.FileName);

        public string Sha512Of(string version)
        {
            using var db = Portal.Services.GetRequiredService<IDbContextFactory<FleetDbContext>>().CreateDbContext();
            return db.AgentBuilds.AsNoTracking().Single(b => b.Version == version).Sha512;
        }

        public static async Task<Rig> StartAsync(string otherBuild)
        {
            var buildA = await AgentBuilds.PathAsync(A, Architecture);
            var data = Directory.CreateTempSubdirectory("fleet-portal-").FullName;
            var work = Directory.CreateTempSubdirectory("fleet-self-update-").FullName;
            var other = (await ReadVersionAsync(otherBuild), otherBuild);
            foreach (var (version, file) in new[] { (A, buildA), other })
            {
                var catalogued = Path.Combine(data, "agents", version, Architecture, AgentCatalog.FileName);
                Directory.CreateDirectory(Path.GetDirectoryName(catalogued)!);
                File.Copy(file, catalogued);
            }

            var portal = await PortalInstance.StartAsync(dataDirectory: data);
            var enrollment = portal.Services.GetRequiredService<EnrollmentService>();
            Assert.True((await enrollment.SetPolicyAsync(new EnrollmentPolicyInput(false, true), TestActors.Admin))
                .Succeeded);
            var token = await enrollment.CreateTokenAsync(new CreateTokenInput("self-update"), TestActors.Admin);
            Assert.True(token.Succeeded, token.Message);
            var target = await portal.Targets().SetAsync(null, new AgentTargetInput(A), TestActors.Admin);
            Assert.True(target.Succeeded, target.Message);

            var binary = Path.Combine(work, "bin", "fleet-agent");
            Directory.CreateDirectory(Path.GetDirectoryName(binary)!);
            File.Copy(buildA, binary);
            File.SetUnixFileMode(binary, (UnixFileMode)0b111_101_101);
            var host = Path.Combine(work, "host");
            FakeHost.Write(host, "52:54:00:16:03:" + Random.Shared.Next(16, 255).ToString("x2",
                System.Globalization.CultureInfo.InvariantCulture));
            var service = AgentServiceStandIn.Start(binary, new Dictionary<string, string>
            {
                ["Agent__BrokerHost"] = "127.0.0.1",
                ["Agent__BrokerPort"] = portal.MqttPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Agent__PlainMqtt"] = "true",
                ["Agent__EnrollmentToken"] = token.Value!.Value,
                ["Agent__StateDirectory"] = Path.Combine(work, "state"),
                ["Agent__HostRoot"] = host,
                ["Agent__ClaimBannerRoot"] = Path.Combine(work, "banner"),
                ["Agent__SelfUpdate__BinaryPath"] = binary,
                ["Agent__SelfUpdate__ComeOnlineSeconds"] = "30",
            }, work);
            Device device;
            try
            {
                device = await portal.WaitForAsync(async () =>
                {
                    await using var db = await portal.CreateDbAsync();
                    return await db.Devices.AsNoTracking().SingleOrDefaultAsync(
                        d => d.IsOnline && d.State == EnrollmentState.Approved && d.AgentVersion == A);
                }, TimeSpan.FromSeconds(90), "the native agent A enrolled and Online\n" + service.Describe());
            }
            catch
            {
                await service.DisposeAsync();
                await portal.DisposeAsync();
                throw;
            }

            return new Rig(portal, service, data, work, device.Id);
        }

        public async Task TargetAsync(string version)
        {
            var set = await Portal.Targets().SetAsync(null, new AgentTargetInput(version), TestActors.Admin);
            Assert.True(set.Succeeded, set.Message);
        }

        public async Task<DeviceAgentState> WaitForResultAsync(AgentUpdateResult result, string version) =>
            await Portal.WaitForAsync(async () =>
            {
                var state = await Portal.AgentStateAsync(DeviceId.ToString("N"));
                return state is { } s && s.LastResult == result && s.ReportedVersion == version ? s : null;
            }, TimeSpan.FromSeconds(120), $"the agent reporting {result} {version}\n" + Service.Describe());

        public async Task<Device> WaitForOnlineAsync(string version) =>
            await Portal.WaitForAsync(async () =>
            {
                await using var db = await Portal.CreateDbAsync();
                return await db.Devices.AsNoTracking()
                    .SingleOrDefaultAsync(d => d.Id == DeviceId && d.IsOnline && d.AgentVersion == version);
            }, TimeSpan.FromSeconds(90), $"the device Online with agent {version}\n" + Service.Describe());

        /// <summary>A is still the binary, still the one process the stand-in started, and the device is online.
        /// </summary>
        public async Task AssertStillRunningAAsync()
        {
            Assert.Equal(Sha512Of(A), Sha512(Binary));
            Assert.False(File.Exists(Binary + ".new"), Service.Describe());
            Assert.Single(Service.Journal, l => l.Contains(" started ", StringComparison.Ordinal));
            await WaitForOnlineAsync(A);
        }

        public async ValueTask DisposeAsync()
        {
            await Service.DisposeAsync();
            await Portal.DisposeAsync();
            Directory.Delete(_work, recursive: true);
            Directory.Delete(_data, recursive: true);
        }

        private static async Task<string> ReadVersionAsync(string build)
        {
            using var process = Process.Start(new ProcessStartInfo(build, ["--version"])
            {
                RedirectStandardOutput = true,
            })!;
            var version = (await process.StandardOutput.ReadToEndAsync()).Trim();
            await process.WaitForExitAsync();
            return version;
        }
    }
}
