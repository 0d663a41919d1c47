using Fleet.DeviceAgent.Identity;
using Microsoft.Extensions.Options;

namespace Fleet.DeviceAgent.Tests.Identity;

public sealed class LinuxHealthReaderTests : IDisposable
{
    private readonly TempDirectory _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public void Read_ProcFiles_ParsesUptimeAndLoad()
    {
        _root.Write("proc/uptime", "35026.47 140011.82\n");
        _root.Write("proc/loadavg", "0.52 0.58 0.59 2/1234 56789\n");

        var sample = Reader().Read();

        Assert.Equal(new UptimeAndLoad(35026.47, 0.52, 0.58, 0.59), sample);
    }

    [Fact]
    public void Read_MissingFiles_ReturnsZeros()
    {
        Assert.Equal(default, Reader().Read());
    }

    private LinuxHealthReader Reader() => new(Options.Create(new AgentOptions { HostRoot = _root.Path }));
}
