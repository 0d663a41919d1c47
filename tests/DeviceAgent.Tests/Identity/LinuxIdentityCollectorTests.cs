using Fleet.DeviceAgent.Identity;
using Fleet.Shared;
using Microsoft.Extensions.Options;

namespace Fleet.DeviceAgent.Tests.Identity;

public sealed class LinuxIdentityCollectorTests : IDisposable
{
    private const string RouteHeader = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n";

    private readonly TempDirectory _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public void Collect_FullTree_ReadsEveryField()
    {
        AddNic("eth0", "52:54:00:AB:CD:EF", physical: true);
        _root.Write("etc/machine-id", "0123456789abcdef0123456789abcdef\n");
        _root.Write("proc/sys/kernel/hostname", "edge-17\n");
        _root.Write("proc/sys/kernel/osrelease", "6.15.9-201.fc42.x86_64\n");
        _root.Write("etc/os-release", "ID=fedora\nVARIANT_ID=coreos\n");

        var identity = Collector().Collect();

        Assert.Equal("0123456789abcdef0123456789abcdef", identity.MachineId);
        Assert.Equal("edge-17", identity.Hostname);
        Assert.Equal("6.15.9-201.fc42.x86_64", identity.Kernel);
        Assert.Equal(KernelArchitecture.Current, identity.Architecture);
        Assert.Equal("coreos", identity.OsRelease["VARIANT_ID"]);
        var nic = Assert.Single(identity.Interfaces);
        Assert.Equal(("eth0", "52:54:00:ab:cd:ef", true), (nic.Name, nic.Mac, nic.IsPrimary));
    }

    [Fact]
    public void ReadInterfaces_LoopbackZeroAndMissingAddress_AreSkipped()
    {
        AddNic("lo", "00:00:00:00:00:00", physical: false);
        AddNic("lo2", "11:22:33:44:55:66", physical: false);
        AddNic("dummy0", "00:00:00:00:00:00", physical: false);
        AddNic("ib0", "80:00:02:08:fe:80:00:00:00:00:00:00:00:02:c9:03:00:1e:d1:31", physical: true);
        Directory.CreateDirectory(_root.Combine("sys/class/net/tun0"));

        var interfaces = Collector().ReadInterfaces();

        var only = Assert.Single(interfaces);
        Assert.Equal("lo2", only.Name);
    }

    [Fact]
    public void ReadInterfaces_DefaultRoute_MarksThatInterfacePrimary()
    {
        AddNic("eth0", "52:54:00:00:00:01", physical: true);
        AddNic("wlan0", "52:54:00:00:00:02", physical: true);
        AddNic("docker0", "02:42:00:00:00:03", physical: false);
        _root.Write("proc/net/route", RouteHeader
            + "eth0\t0000A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n"
            + "wlan0\t00000000\t0102A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n");

        var interfaces = Collector().ReadInterfaces();

        Assert.Equal(3, interfaces.Count);
        Assert.Equal("wlan0", Assert.Single(interfaces, i => i.IsPrimary).Name);
    }

    [Fact]
    public void ReadDefaultRouteInterface_SeveralDefaultRoutes_PicksLowestMetricThatIsUp()
    {
        _root.Write("proc/net/route", RouteHeader
            + "eth0\t00000000\t0102A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n"
            + "eth1\t00000000\t0102A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
            + "eth2\t00000000\t0102A8C0\t0002\t0\t0\t10\t00000000\t0\t0\t0\n");

        Assert.Equal("eth1", Collector().ReadDefaultRouteInterface());
    }

    [Fact]
    public void ReadInterfaces_NoDefaultRoute_MarksFirstPhysicalPrimary()
    {
        AddNic("br0", "02:00:00:00:00:01", physical: false);
        AddNic("enp2s0", "52:54:00:00:00:03", physical: true);
        AddNic("enp1s0", "52:54:00:00:00:02", physical: true);
        _root.Write("proc/net/route", RouteHeader + "br0\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n");

        var interfaces = Collector().ReadInterfaces();

        Assert.Equal("enp1s0", Assert.Single(interfaces, i => i.IsPrimary).Name);
        Assert.Equal(["enp1s0", "enp2s0", "br0"], interfaces.Select(i => i.Name));
    }

    [Fact]
    public void ReadInterfaces_OnlyVirtual_MarksFirstByNamePrimary()
    {
        AddNic("veth9", "02:00:00:00:00:09", physical: false);
        AddNic("veth1", "02:00:00:00:00:01", physical: false);

        var interfaces = Collector().ReadInterfaces();

        Assert.Equal("veth1", Assert.Single(interfaces, i => i.IsPrimary).Name);
    }

    [Fact]
    public void ReadInterfaces_MoreThanMaximum_KeepsPrimaryAndPhysicalFirst()
    {
        for (var i = 0; i < Protocol.MaxInterfaces + 10; i++)
        {
            AddNic($"veth{i:D3}", MacAddress.Format([2, 0, 0, 0, 1, (byte)i]), physical: false);
        }

        AddNic("zz-physical", "52:54:00:00:00:01", physical: true);

        var interfaces = Collector().ReadInterfaces();

        Assert.Equal(Protocol.MaxInterfaces, interfaces.Count);
        Assert.Equal("zz-physical", interfaces[0].Name);
        Assert.True(interfaces[0].IsPrimary);
    }

    [Fact]
    public void Collect_NoEtcOsRelease_FallsBackToUsrLib()
    {
        _root.Write("usr/lib/os-release", "ID=\"fedora\"\n");

        Assert.Equal("fedora", Collector().Collect().OsRelease["ID"]);
    }

    [Fact]
    public void Collect_EmptyRoot_UsesFallbacks()
    {
        var identity = Collector().Collect();

        Assert.Equal(string.Empty, identity.MachineId);
        Assert.Equal(Environment.MachineName, identity.Hostname);
        Assert.Equal("unknown", identity.Kernel);
        Assert.Empty(identity.Interfaces);
        Assert.Empty(identity.OsRelease);
    }

    [Fact]
    public void Collect_OverlongHostname_IsTruncated()
    {
        _root.Write("proc/sys/kernel/hostname", new string('h', Protocol.MaxFieldLength + 50));

        Assert.Equal(Protocol.MaxFieldLength, Collector().Collect().Hostname.Length);
    }

    [Fact]
    public void ReadSerialNumber_DmiSerial_Trimmed()
    {
        _root.Write("sys/class/dmi/id/product_serial", "  PF3ABC12  \n");

        Assert.Equal("PF3ABC12", Collector().Collect().SerialNumber);
    }

    [Fact]
    public void ReadSerialNumber_DeviceTreeSerialWithNul_Read()
    {
        _root.Write("sys/firmware/devicetree/base/serial-number", "10000000a1b2c3d4\0");

        Assert.Equal("10000000a1b2c3d4", Collector().Collect().SerialNumber);
    }

    [Theory]
    [InlineData("To Be Filled By O.E.M.")]
    [InlineData("Default string")]
    [InlineData("0000000000")]
    [InlineData("")]
    public void ReadSerialNumber_PlaceholderOrMissing_Absent(string value)
    {
        _root.Write("sys/class/dmi/id/product_serial", value + "\n");

        Assert.Null(Collector().Collect().SerialNumber);
    }

    private LinuxIdentityCollector Collector() => new(Options.Create(new AgentOptions { HostRoot = _root.Path }));

    private void AddNic(string name, string address, bool physical)
    {
        _root.Write($"sys/class/net/{name}/address", address + "\n");
        if (physical)
        {
            Directory.CreateDirectory(_root.Combine($"sys/class/net/{name}/device"));
        }
    }
}
