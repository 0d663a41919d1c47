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

/// <summary>
/// Marks a service action that takes an <see cref="Actor"/> but needs no policy (it only touches the
/// caller's own data); the reason is for readers and the role matrix test, which skips these.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class NoPolicyAttribute(string reason) : Attribute
{
    public string Reason { get; } = reason;
}
