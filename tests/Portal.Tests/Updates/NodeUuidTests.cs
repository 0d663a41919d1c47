using System.Diagnostics;
using Fleet.Portal.Features.Updates;

namespace Fleet.Portal.Tests.Updates;

/// <summary>Zincati's node UUID: systemd's app-specific machine id.</summary>
public sealed class NodeUuidTests
{
    private static readonly string[] Tools = ["/usr/bin/systemd-id128", "/bin/systemd-id128"];

    [Fact]
    public void AppSpecific_SystemdTestVector_Matches()
    {
        // systemd src/test/test-id128.c: "systemd-id128 -a f03daaeb1c334b43a732172944bf772e show 51df0b4bc3b04c9780e299b98ca373b8"
        Assert.Equal("1dee5954e75c4d6fb96cc6c04ca18a86", NodeUuid.AppSpecific("51df0b4bc3b04c9780e299b98ca373b8", "f03daaeb1c334b43a732172944bf772e"));
    }

    [Fact]
    public void FromMachineId_KnownMachineId_ZincatiNodeUuid()
    {
        // python3: hmac.new(bytes.fromhex(machine_id), bytes.fromhex(app_id), sha256).digest()[:16] with the v4/variant bits set
        Assert.Equal("501ec20cfa2540778193fbc73db10236", NodeUuid.FromMachineId("c988d2509fdf4cdcbed39037c56406fb"));
        Assert.Equal("501ec20cfa2540778193fbc73db10236", NodeUuid.FromMachineId("C988D250-9FDF-4CDC-BED3-9037C56406FB\n"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not-a-machine-id")]
    [InlineData("c988d2509fdf4cdcbed39037c56406")]
    public void FromMachineId_NotAnId128_Null(string? machineId) => Assert.Null(NodeUuid.FromMachineId(machineId));

    [Fact]
    public void FromMachineId_ThisMachine_SameAsSystemdId128()
    {
        const string machineIdFile = "/etc/machine-id";
        var tool = Tools.FirstOrDefault(File.Exists);
        if (tool is null || !File.Exists(machineIdFile) || NodeUuid.Normalize(File.ReadAllText(machineIdFile)) is null)
        {
            Assert.Skip("needs systemd-id128 and a machine-id");
        }

        using var process = Process.Start(new ProcessStartInfo(tool, ["machine-id", $"--app-specific={NodeUuid.ZincatiAppId}"]) { RedirectStandardOutput = true })!;
        var expected = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();

        Assert.Equal(expected, NodeUuid.FromMachineId(File.ReadAllText(machineIdFile)));
    }

    [Fact]
    public void FromMachineId_Result_IsAVersion4Uuid()
    {
        var uuid = NodeUuid.FromMachineId(Guid.NewGuid().ToString("N"))!;

        Assert.Equal('4', uuid[12]);
        Assert.Contains(uuid[16], "89ab");
    }
}
