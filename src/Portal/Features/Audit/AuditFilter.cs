using System.Globalization;
using Microsoft.AspNetCore.Http.Extensions;

namespace Fleet.Portal.Features.Audit;

/// <summary>
/// Which audit entries to show or export. The same record binds the export endpoint's query string
/// (<c>[AsParameters]</c>) and builds the page's export link, so the two cannot drift apart.
/// </summary>
/// <param name="Text">Contained in actor, action, entity id or detail (case-insensitive for ASCII).</param>
/// <param name="Actor">Exactly this actor (user name, API client, device id or "system").</param>
/// <param name="ActionPrefix">Actions starting with this: "user." or "device.approve".</param>
/// <param name="EntityType">Exactly this entity type: "device", "user".</param>
/// <param name="From">At or after this instant.</param>
/// <param name="To">Before this instant.</param>
/// <param name="Source">Exactly this source (page, API, device, system).</param>
/// <param name="Outcome">Exactly this outcome.</param>
public sealed record AuditFilter(
    string? Text = null,
    string? Actor = null,
    string? ActionPrefix = null,
    string? EntityType = null,
    AuditSource? Source = null,
    AuditOutcome? Outcome = null,
    DateTimeOffset? From = null,
    DateTimeOffset? To = null)
{
    /// <summary>"?text=...&amp;source=Ui" with only the filters that are set (empty when none).</summary>
    public string ToQueryString()
    {
        var query = new QueryBuilder();
        void Add(string name, string? value)
        {
            if (!string.IsNullOrWhiteSpace(value))
            {
                query.Add(name, value.Trim());
            }
        }

        Add("text", Text);
        Add("actor", Actor);
        Add("actionPrefix", ActionPrefix);
        Add("entityType", EntityType);
        Add("source", Source?.ToString());
        Add("outcome", Outcome?.ToString());
        Add("from", From?.ToString("O", CultureInfo.InvariantCulture));
        Add("to", To?.ToString("O", CultureInfo.InvariantCulture));
        return query.ToQueryString().Value ?? string.Empty;
    }

    /// <summary>A short description for the audit entry of an export.</summary>
    public string Describe()
    {
        var query = ToQueryString();
        return query.Length == 0 ? "all entries" : Uri.UnescapeDataString(query.TrimStart('?'));
    }
}

/// <summary>One page request: newest first, continuing below <paramref name="BeforeId"/> when given, else skipping <paramref name="Skip"/>.</summary>
public sealed record AuditQuery(AuditFilter Filter, long? BeforeId = null, int Skip = 0, int Take = 50);

/// <summary>A page of the audit log and how many entries match the filter in all.</summary>
public sealed record AuditPage(IReadOnlyList<AuditEntry> Rows, int Total, bool Forbidden = false);
