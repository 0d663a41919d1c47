using System.Diagnostics;
using System.Globalization;
using Fleet.Portal.Features.Enrollment;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Benchmarks;

/// <summary>
/// The native agent's footprint on a device: a portal in this process (token policy, one token), one native agent
/// build as its own process with its default collectors (what <see cref="NativeAgentProcess"/> runs), and, each time a
/// health report from it is stored, the agent's resident set (<c>/proc/PID/status</c>) and the CPU time it used since
/// the previous report. The aarch64 build runs under qemu-user: its figures are the emulator's, labelled as such.
/// </summary>
internal static class AgentFootprintBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var agent = Text(args, "--agent");
        var architecture = Text(args, "--arch") ?? "x86_64";
        var minutes = Number(args, "--minutes", 20);
        var healthSeconds = Number(args, "--health-seconds", 60);
        if (agent is null || !File.Exists(agent))
        {
            Console.Error.WriteLine("agent-footprint: --agent PATH (a build from scripts/build-agent.sh) is required");
            return 2;
        }

        if (NativeAgentProcess.MissingTools(architecture) is { } missing)
        {
            Console.Error.WriteLine($"agent-footprint: {missing}");
            return 2;
        }

        await using var portal = await PortalInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Warning",
            ["Fleet:Health:DefaultIntervalSeconds"] = healthSeconds.ToString(CultureInfo.InvariantCulture),
        });
        var enrollment = portal.Services.GetRequiredService<EnrollmentService>();
        await enrollment.SetPolicyAsync(new EnrollmentPolicyInput(false, true), TestActors.Operator);
        var token = (await enrollment.CreateTokenAsync(new CreateTokenInput("footprint"), TestActors.Operator))
            .Value!.Value;

        var emulated = architecture == "x86_64" ? string.Empty : " under qemu-user (emulated: qemu's own figures)";
        Console.WriteLine($"Agent footprint: {agent} ({new FileInfo(agent).Length / 1024.0 / 1024:0.0} MiB), "
            + $"{architecture}{emulated}, health every {healthSeconds} s, {minutes} min, "
            + $"{Environment.ProcessorCount} cores");
        await using var process = NativeAgentProcess.Start(agent, architecture, portal.MqttPort, token);
        var clock = Stopwatch.StartNew();
        while (!await OnlineAsync(portal))
        {
            if (!process.IsRunning || clock.Elapsed > TimeSpan.FromMinutes(5))
            {
                Console.Error.WriteLine("agent-footprint: the agent did not come online:\n" + process.Output());
                return 1;
            }

            await Task.Delay(200);
        }

        var (rss, anonymous, file) = process.ResidentKiB();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Online after {clock.Elapsed.TotalSeconds:0.0} s: RSS {rss / 1024.0:0.0} MiB "
            + $"(anonymous {anonymous / 1024.0:0.0}, file {file / 1024.0:0.0})"));
        Console.WriteLine("minute  reports  RSS MiB  anon MiB  file MiB  CPU ms since last report");
        var (reports, cpu) = (await ReportsAsync(portal), process.CpuTime());
        var first = (Reports: reports, Cpu: cpu);
        while (clock.Elapsed < TimeSpan.FromMinutes(minutes) && process.IsRunning)
        {
            await Task.Delay(1000);
            var now = await ReportsAsync(portal);
            if (now == reports)
            {
                continue;
            }

            var used = process.CpuTime();
            (rss, anonymous, file) = process.ResidentKiB();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{clock.Elapsed.TotalMinutes,6:0.0}  {now,7}  {rss / 1024.0,7:0.0}  {anonymous / 1024.0,8:0.0}  "
                + $"{file / 1024.0,8:0.0}  {(used - cpu).TotalMilliseconds / (now - reports),6:0}"));
            (reports, cpu) = (now, used);
        }

        if (!process.IsRunning)
        {
            Console.Error.WriteLine("agent-footprint: the agent exited:\n" + process.Output());
            return 1;
        }

        var perReport = (cpu - first.Cpu).TotalMilliseconds / Math.Max(1, reports - first.Reports);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"CPU per health report (heartbeats and the rest included): {perReport:0} ms "
            + $"over {reports - first.Reports}"));
        return 0;
    }

    private static async Task<bool> OnlineAsync(PortalInstance portal)
    {
        await using var db = await portal.CreateDbAsync();
        return await db.Devices.AnyAsync(d => d.IsOnline);
    }

    private static async Task<int> ReportsAsync(PortalInstance portal)
    {
        await using var db = await portal.CreateDbAsync();
        return await db.HealthSamples.CountAsync();
    }

    private static string? Text(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static int Number(string[] args, string name, int fallback) =>
        int.TryParse(Text(args, name), CultureInfo.InvariantCulture, out var value) && value > 0 ? value : fallback;
}
