namespace Fleet.Portal.Data;

/// <summary>
/// The resolved, absolute data directory (<see cref="StorageOptions.DataDirectory"/> against the content
/// root). Features that keep files beside the database (token keys) take it from DI instead of resolving
/// the option again, so there is one rule for where data lives.
/// </summary>
public sealed record FleetDataDirectory(string Path)
{
    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);
}
