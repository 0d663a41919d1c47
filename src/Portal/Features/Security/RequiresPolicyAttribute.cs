namespace Fleet.Portal.Features.Security;

/// <summary>
/// Declares which named policy a service action checks. The service enforces it (through
/// <see cref="ActorAuthorizer"/>); the attribute makes it visible to the role matrix test and to readers.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class RequiresPolicyAttribute(string policy) : Attribute
{
    public string Policy { get; } = policy;
}
