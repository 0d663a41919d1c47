namespace Fleet.Portal.Tests.Agents;

/// <summary>
/// The machine a real agent binary reads (its <c>Agent__HostRoot</c>): machine-id, hostname, kernel, os-release and
/// one network interface with <paramref name="mac"/>, so a test chooses the identity the agent reports.
/// </summary>
internal static class FakeHost
{
    /// <summary>Writes the host files under <paramref name="root"/>.</summary>
    public static void Write(string root, string mac)
    {
        void File(string path, string text)
        {
            var full = Path.Combine(root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            System.IO.File.WriteAllText(full, text);
        }

        File("etc/machine-id", Guid.NewGuid().ToString("N") + "\n");
        File("proc/sys/kernel/hostname", "localhost\n");
        File("proc/sys/kernel/osrelease", "6.15.9-201.fc42.x86_64\n");
        File("etc/os-release", "ID=fedora\nVERSION_ID=42\nVARIANT_ID=coreos\nPRETTY_NAME=\"Fedora CoreOS 42\"\n");
        File("sys/class/net/eth0/address", mac + "\n");
        Directory.CreateDirectory(Path.Combine(root, "sys/class/net/eth0/device"));
    }
}
