namespace Fleet.Portal.Features.Devices;

/// <summary>A person's named Devices-page filter: the page's query string, kept per user.</summary>
public sealed class SavedDeviceFilter
{
    public const int MaxNameLength = 64;

    public const int MaxQueryLength = 1024;

    public long Id { get; set; }

    /// <summary>The user name it belongs to; nobody else sees it.</summary>
    public required string Owner { get; set; }

    public required string Name { get; set; }

    /// <summary>The Devices page's query string without the page number (<c>status=Online&amp;label=lab</c>).</summary>
    public required string Query { get; set; }
}
