using System.Diagnostics;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Agents;
using Fleet.Portal.Features.Enrollment;
using Fleet.Portal.Features.Security;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Portal.Tests.Updates;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Tests.Agents;

/// <summary>
/// Must-show 1 of issue 16, with real tools: a machine whose MAC an Admin pre-registered in a group with an Ignition
/// enrolment token runs the real <c>ignition</c> (fetch and files stages into a fake root) against the URL the portal
/// hands out for that MAC; the native agent build the portal served lands in the root with its SHA-512 and mode 0755,
/// with its units and settings; that very binary, started with those settings, enrols, is approved by the token into
/// the group, and is Online: no person involved after the pre-registration.
/// </summary>
public sealed class PowerOnToOnlineTests
{
    private const string Version = AgentBuilds.Version;
    private const string Mac = "52:54:00:16:00:01";

    [Fact]
    public async Task PreRegisteredMac_RealIgnitionThenServedAgent_OnlineApprovedByTokenInGroup()
    {
        Assert.SkipUnless(File.Exists(IgnitionRun.Binary), $"the real Ignition ({IgnitionRun.Binary}) is absent");
        var build = await AgentBuilds.PathAsync(Version, "x86_64");
        var data = Directory.CreateTempSubdirectory("fleet-portal-").FullName;
        var catalogued = Path.Combine(data, "agents", Version, "x86_64", AgentCatalog.FileName);
        Directory.CreateDirectory(Path.GetDirectoryName(catalogued)!);
        File.Copy(build, catalogued);
        await using var portal = await PortalInstance.StartAsync(dataDirectory: data);
        var work = Directory.CreateTempSubdirectory("fleet-power-on-").FullName;
        Process? agent = null;
        try
        {
            var served = Assert.Single(await portal.Services.GetRequiredService<AgentCatalog>().ListAsync());
            Assert.Equal(AgentCatalog.FromDataDirectory, served.AddedBy);
            var enrollment = portal.Services.GetRequiredService<EnrollmentService>();
            var groupId = await UpdateTestSupport.CreateGroupAsync(portal);
            var group = await UpdateTestSupport.GroupNameAsync(portal, groupId);
            Assert.True((await enrollment.SetPolicyAsync(new EnrollmentPolicyInput(false, true), TestActors.Admin))
                .Succeeded);
            var token = await enrollment.CreateTokenAsync(
                new CreateTokenInput("power-on", group, ForIgnition: true), TestActors.Admin);
            Assert.True(token.Succeeded, token.Message);
            var registration = await enrollment.AddPreRegistrationAsync(
                new PreRegistrationInput(Mac, Hostname: "edge-power-on", Group: group), TestActors.Admin);
            Assert.True(registration.Succeeded, registration.Message);

            // The URL an Admin gets for the MAC (what goes into the PXE menu or the install command).
            using var api = ApiTokens.Http(portal, await ApiTokens.GetTokenAsync(portal, Roles.Admin));
            using var answer = await api.PostAsync(
                new Uri($"/api/v1/enrollment/pre-registrations/{registration.Value!.Id}/ignition-url",
                    UriKind.Relative),
                null);
            Assert.True(answer.IsSuccessStatusCode, await answer.Content.ReadAsStringAsync());
            var handed = (await answer.Content.ReadFromJsonAsync<PreRegistrationIgnitionUrl>())!;

            var root = Path.Combine(work, "root");
            var log = await IgnitionRun.FetchAndWriteAsync(work, new Uri(handed.Url));
            Assert.Contains("Ignition finished successfully", log, StringComparison.Ordinal);

            var binary = Path.Combine(root, "usr", "local", "bin", "fleet-agent");
            Assert.True(File.Exists(binary), log);
            Assert.Equal(served.Sha512,
                Convert.ToHexStringLower(SHA512.HashData(await File.ReadAllBytesAsync(binary))));
            Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(binary));
            foreach (var (unit, _) in AgentLayer.Units)
            {
                Assert.True(File.Exists(Path.Combine(root, "etc", "systemd", "system", unit)), unit + "\n" + log);
            }

            Assert.Contains("enable fleet-agent.service",
                await File.ReadAllTextAsync(
                    Path.Combine(root, "etc", "systemd", "system-preset", "20-ignition.preset")),
                StringComparison.Ordinal);
            var envFile = Path.Combine(root, "etc", "fleet-agent", "agent.env");
            Assert.Equal((UnixFileMode)0b110_000_000, File.GetUnixFileMode(envFile));
            var settings = (await File.ReadAllLinesAsync(envFile)).Select(l => l.Split('=', 2))
                .Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
            Assert.Equal(token.Value!.Value, settings["Agent__EnrollmentToken"]);
            Assert.Equal(portal.MqttTlsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                settings["Agent__BrokerPort"]);

            // The CA file Ignition wrote, under the fake root (agent.env names it as on the device); until agent.env
            // names one, the portal's chain as the admin would hand it over.
            if (settings.TryGetValue("Agent__CaCertificateFile", out var onDevice))
            {
                settings["Agent__CaCertificateFile"] = Path.Combine(root, onDevice.TrimStart('/'));
            }
            else
            {
                settings["Agent__CaCertificateFile"] = Path.Combine(work, "ca.pem");
                await File.WriteAllTextAsync(settings["Agent__CaCertificateFile"], portal.Services
                    .GetRequiredService<Fleet.Portal.Features.Certificates.PortalCertificateAuthority>().ChainPem);
            }

            // That very binary, with the env file's settings; the machine it reads is a fake host with the MAC.
            agent = StartAgent(binary, settings, work);
            var device = await portal.WaitForAsync(async () =>
            {
                await using var db = await portal.CreateDbAsync();
                return await db.Devices.AsNoTracking()
                    .SingleOrDefaultAsync(
                        d => d.Id == handed.DeviceId && d.IsOnline && d.State == EnrollmentState.Approved);
            }, TimeSpan.FromSeconds(90), "the pre-registered device Online and approved");

            Assert.Equal(groupId, device.GroupId);
            Assert.Equal("policy (token:power-on)", device.DecidedBy);
            Assert.StartsWith(Version, device.AgentVersion, StringComparison.Ordinal);
            await using var check = await portal.CreateDbAsync();
            Assert.Equal(1, await check.DeviceMacs.CountAsync(m => m.Mac == Mac));
        }
        finally
        {
            if (agent is { HasExited: false })
            {
                agent.Kill();
                await agent.WaitForExitAsync();
            }

            agent?.Dispose();
            Directory.Delete(work, recursive: true);
        }
    }

    private static Process StartAgent(string binary, Dictionary<string, string> settings, string work)
    {
        var host = Path.Combine(work, "host");
        FakeHost.Write(host, Mac);
        var start = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in settings)
        {
            start.Environment[name] = value;
        }

        start.Environment["Agent__StateDirectory"] = Path.Combine(work, "state");
        start.Environment["Agent__HostRoot"] = host;
        start.Environment["Agent__ClaimBannerRoot"] = Path.Combine(work, "banner");
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
