namespace Fleet.Portal.Tests.Agents;

/// <summary>Stand-in agent build files: random bytes under a real ELF header, for the catalog's checks.</summary>
internal static class AgentFiles
{
    /// <summary>ELF <c>e_machine</c> of x86_64.</summary>
    public const ushort X86_64 = 0x3E;

    /// <summary>ELF <c>e_machine</c> of aarch64.</summary>
    public const ushort Aarch64 = 0xB7;

    /// <summary>A file with the header of a 64-bit little-endian ELF executable for <paramref name="machine"/>.
    /// </summary>
    public static byte[] Elf(ushort machine, int size = 1024)
    {
        var bytes = new byte[size];
        Random.Shared.NextBytes(bytes);
        "\u007fELF"u8.CopyTo(bytes);
        (bytes[4], bytes[5], bytes[6]) = (2, 1, 1);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(18), machine);
        return bytes;
    }
}
