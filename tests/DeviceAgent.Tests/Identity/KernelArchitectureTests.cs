using System.Runtime.InteropServices;
using Fleet.DeviceAgent.Identity;

namespace Fleet.DeviceAgent.Tests.Identity;

public sealed class KernelArchitectureTests
{
    [Theory]
    [InlineData(Architecture.X64, "x86_64")]
    [InlineData(Architecture.Arm64, "aarch64")]
    [InlineData(Architecture.Arm, "armv7l")]
    [InlineData(Architecture.RiscV64, "riscv64")]
    public void FromArchitecture_KnownArchitecture_ReturnsKernelName(Architecture architecture, string expected)
    {
        Assert.Equal(expected, KernelArchitecture.FromArchitecture(architecture));
    }
}
