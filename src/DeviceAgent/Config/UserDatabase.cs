namespace Fleet.DeviceAgent.Config;

/// <summary>A passwd entry.</summary>
public sealed record UserAccount(string Name, int Uid, int Gid, string Home);

/// <summary>
/// Users and groups from <c>/etc/passwd</c> and <c>/etc/group</c> under the root, then
/// <c>/usr/lib/passwd</c> and <c>/usr/lib/group</c> (Fedora's nss-altfiles, where system users live on
/// image-based hosts). Read on every lookup: users change.
/// </summary>
public sealed class UserDatabase(string root)
{
    public UserAccount? FindUser(string name) =>
        Entries("passwd").Where(f => f.Length >= 6 && f[0] == name && int.TryParse(f[2], out _) && int.TryParse(f[3], out _))
            .Select(f => new UserAccount(f[0], int.Parse(f[2], System.Globalization.CultureInfo.InvariantCulture), int.Parse(f[3], System.Globalization.CultureInfo.InvariantCulture), f[5]))
            .FirstOrDefault();

    public int? FindGroupId(string name) =>
        Entries("group").Where(f => f.Length >= 3 && f[0] == name && int.TryParse(f[2], out _))
            .Select(f => (int?)int.Parse(f[2], System.Globalization.CultureInfo.InvariantCulture))
            .FirstOrDefault();

    private IEnumerable<string[]> Entries(string database)
    {
        foreach (var path in new[] { Path.Combine(root, "etc", database), Path.Combine(root, "usr", "lib", database) })
        {
            if (!File.Exists(path))
            {
                continue;
            }

            foreach (var line in File.ReadLines(path))
            {
                if (line.Length > 0 && line[0] != '#')
                {
                    yield return line.Split(':');
                }
            }
        }
    }
}
