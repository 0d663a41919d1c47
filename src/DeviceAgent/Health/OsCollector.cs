using Fleet.DeviceAgent.Identity;
using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Health;

/// <summary>
/// <c>/etc/os-release</c> (falling back to <c>/usr/lib/os-release</c>, as os-release(5) says) and the kernel
/// release from <c>/proc/sys/kernel/osrelease</c>, which is what <c>uname -r</c> prints, without a process.
/// </summary>
public sealed class OsCollector(HostFiles files) : IHealthCollector
{
    public string Name => "os";

    public Task CollectAsync(HealthDraft draft, CancellationToken cancellationToken)
    {
        var release = files.ReadOrNull("/etc/os-release") ?? files.ReadOrNull("/usr/lib/os-release");
        var fields = release is null ? null : OsReleaseParser.Parse(release);
        var kernel = files.ReadOrNull("/proc/sys/kernel/osrelease")?.Trim();
        if (fields is null && string.IsNullOrEmpty(kernel))
        {
            return Task.CompletedTask;
        }

        draft.Os = new OsInfo(
            fields?.GetValueOrDefault("PRETTY_NAME"),
            fields?.GetValueOrDefault("VERSION_ID"),
            string.IsNullOrEmpty(kernel) ? null : kernel);
        return Task.CompletedTask;
    }
}
