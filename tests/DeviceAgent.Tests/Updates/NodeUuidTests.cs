using Fleet.Shared;

namespace Fleet.DeviceAgent.Tests.Updates;

public sealed class NodeUuidTests
{
    /// <summary>
    /// The first vector is what <c>systemd-id128 machine-id -a de35106b6ec24688b63afddaa156679b</c> (systemd 252)
    /// printed on a machine with that machine-id; the others were computed by the same formula
    /// (sd-id128.c get_app_specific: HMAC-SHA256(key = machine-id bytes, data = app-id bytes), first 16 bytes, v4/variant bits).
    /// </summary>
    [Theory]
    [InlineData("3d1219c7c4c5404aaa1f6d2a48adfda4", "975228d46dc94622b9bbe16671e2b58d")]
    [InlineData("e0f3745b108f471cbd4883c6fbed8cdd", "8f040e49ad9a45a8b0c617313becf153")]
    [InlineData("00000000000000000000000000000001", "a2a5385f64d54b22b0eca8f3deb0cd10")]
    public void FromMachineId_KnownVectors_ZincatisNodeId(string machineId, string expected)
    {
        Assert.Equal(expected, NodeUuid.FromMachineId(machineId));
        Assert.Equal(expected, NodeUuid.FromMachineId(machineId.ToUpperInvariant() + "\n"));
    }

    [Fact]
    public void FromMachineId_Any_Version4Variant1()
    {
        var id = NodeUuid.FromMachineId("0123456789abcdef0123456789abcdef");

        Assert.Equal('4', id[12]);
        Assert.Contains(id[16], "89ab");
        Assert.True(UpdateRules.IsNodeUuid(id));
    }

    [Fact]
    public void FromMachineId_NotHex_Refused() =>
        Assert.Throws<ArgumentException>(() => NodeUuid.FromMachineId("not-a-machine-id"));
}
