using System.ComponentModel.DataAnnotations;

namespace Fleet.Portal.Data;

/// <summary>Section <c>Fleet:Storage</c>: where the portal keeps its data.</summary>
public sealed class StorageOptions
{
    public const string Section = "Fleet:Storage";

    /// <summary>Folder for the SQLite database and the Data Protection keys; relative paths are under the content root.</summary>
    [Required]
    public string DataDirectory { get; set; } = "data";

    /// <summary>Full SQLite connection string; when empty, <c>fleet.db</c> in <see cref="DataDirectory"/>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// Run SQLite's <c>PRAGMA quick_check</c> at every start and refuse to start on a damaged file. It reads the whole
    /// file (710 MiB: 0.7 s from the page cache, 9.5 s from a cold disk). Off only for a file known good when start-up
    /// time matters more.
    /// </summary>
    public bool CheckIntegrityAtStart { get; set; } = true;

    /// <summary>
    /// Free space below this (MiB) on the data directory's file system makes <c>/readyz</c> unhealthy: SQLite needs
    /// room
    /// for its WAL and journal before a full disk refuses every write.
    /// </summary>
    [Range(0, 1_048_576)]
    public int MinFreeDiskMegabytes { get; set; } = 64;
}
