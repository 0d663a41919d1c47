namespace Fleet.DeviceAgent.Tests.Updates;

/// <summary><c>rpm-ostree status --json</c> samples kept with the tests (Fixtures/rpm-ostree).</summary>
internal static class RpmOstreeSamples
{
    public static string Read(string name) =>
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "rpm-ostree", name));
}
