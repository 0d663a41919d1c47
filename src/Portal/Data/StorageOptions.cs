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
}
