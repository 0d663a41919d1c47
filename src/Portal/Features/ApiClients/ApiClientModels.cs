namespace Fleet.Portal.Features.ApiClients;

/// <summary>One OAuth client as the admin page lists it. Never holds a secret (only its hash is stored).</summary>
public sealed record ApiClientRow(
    string ClientId,
    string DisplayName,
    IReadOnlyList<string> Scopes,
    bool IsConfidential,
    DateTimeOffset? CreatedAt,
    string? CreatedBy,
    bool IsBuiltIn);

/// <summary>A client just created: the only time its secret exists outside the caller's hands.</summary>
public sealed record NewApiClient(string ClientId, string ClientSecret);
