using System.Diagnostics;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Configs;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Portal.Tests.Configs;

/// <summary>Devices, configs and the real <c>ignition-validate</c> for the config tests.</summary>
internal static class ConfigTestSupport
{
    public const string IgnitionValidate = "/usr/bin/ignition-validate";

    public static ConfigService Configs(this PortalInstance portal) => portal.Services.GetRequiredService<ConfigService>();

    /// <summary>A device row written straight to the database (the enrolment path is tested elsewhere).</summary>
    public static async Task<(Guid Id, string Mac)> AddDeviceAsync(PortalInstance portal, EnrollmentState state = EnrollmentState.Approved, string? hostname = null, int? groupId = null)
    {
        var id = Guid.NewGuid();
        var bytes = id.ToByteArray();
        var mac = $"52:54:00:{bytes[0]:x2}:{bytes[1]:x2}:{bytes[2]:x2}";
        await using var db = await portal.CreateDbAsync();
        var device = new Device
        {
            Id = id,
            EnrollmentId = "test-" + id.ToString("N"),
            State = state,
            MachineId = id.ToString("N"),
            Hostname = hostname ?? "host-" + id.ToString("N")[..8],
            Architecture = "x86_64",
            Kernel = "6.1",
            OsName = "Fedora CoreOS 42",
            OsReleaseJson = "{}",
            PrimaryMac = mac,
            AgentVersion = "1.0",
            GroupId = groupId,
        };
        device.Macs.Add(new DeviceMac { Mac = mac, InterfaceName = "eth0", IsPrimary = true });
        db.Devices.Add(device);
        await db.SaveChangesAsync();
        return (id, mac);
    }

    public static async Task<int> CreateAsync(PortalInstance portal, string source, ConfigSourceLanguage language = ConfigSourceLanguage.Ignition, string? name = null)
    {
        var result = await portal.Configs().CreateAsync(new ConfigInput(name ?? "cfg-" + Guid.NewGuid().ToString("N")[..10], language, null, source, "first"), TestActors.Operator);
        Assert.True(result.Succeeded, result.Message);
        return result.Value!.ConfigId;
    }

    /// <summary>An Ignition 3.3.0 config with one file (inline, percent-encoded like Butane writes it) and one unit.</summary>
    public static string Ignition(string path, string contents, string unit = "hello.service", string version = "3.3.0") => $$"""
        {
          "ignition": { "version": "{{version}}" },
          "storage": { "files": [ { "path": "{{path}}", "mode": 420, "contents": { "source": "data:,{{Uri.EscapeDataString(contents)}}" } } ] },
          "systemd": { "units": [ { "name": "{{unit}}", "enabled": true, "contents": "[Unit]\nDescription=hello\n[Service]\nExecStart=/usr/bin/true\n[Install]\nWantedBy=multi-user.target\n" } ] }
        }
        """;

    /// <summary>Runs Debian's real <c>ignition-validate</c> (specs up to 3.3.0) on a config; returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> ValidateAsync(string json)
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("fleet-ign-").FullName, "config.ign");
        await File.WriteAllTextAsync(file, json);
        using var process = Process.Start(new ProcessStartInfo(IgnitionValidate, [file]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
