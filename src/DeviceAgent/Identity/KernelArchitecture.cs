using System.Runtime.InteropServices;

namespace Fleet.DeviceAgent.Identity;

/// <summary>Maps .NET's architecture enum to the names <c>uname -m</c> prints, which is what the portal shows.</summary>
public static class KernelArchitecture
{
    public static string Current => FromArchitecture(RuntimeInformation.OSArchitecture);

    public static string FromArchitecture(Architecture architecture) => architecture switch
    {
        Architecture.X64 => "x86_64",
        Architecture.X86 => "i686",
        Architecture.Arm64 => "aarch64",
        Architecture.Arm => "armv7l",
        Architecture.Armv6 => "armv6l",
        Architecture.S390x => "s390x",
        Architecture.Ppc64le => "ppc64le",
        Architecture.LoongArch64 => "loongarch64",
        Architecture.RiscV64 => "riscv64",
        Architecture.Wasm => "wasm32",
        _ => architecture.ToString().ToLowerInvariant(),
    };
}
