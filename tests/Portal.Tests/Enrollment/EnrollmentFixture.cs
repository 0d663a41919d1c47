using Fleet.Portal.Features.Enrollment;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.Portal.Tests.Enrollment;

/// <summary>A portal on a fake clock (token and claim-code expiry, lock-outs), shared by one test class.</summary>
public sealed class EnrollmentFixture : IAsyncLifetime
{
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    public PortalInstance Portal { get; private set; } = null!;

    public EnrollmentService Enrollment => Portal.Services.GetRequiredService<EnrollmentService>();

    public ClaimService Claims => Portal.Services.GetRequiredService<ClaimService>();

    public CredentialService Credentials => Portal.Services.GetRequiredService<CredentialService>();

    public async ValueTask InitializeAsync() => Portal = await PortalInstance.StartAsync(new Dictionary<string, string?>
    {
        // Advancing the fake clock by a day fires a periodic timer once per period: with the default 1 s
        // presence sweep that is 86,400 sweeps queued in front of the enrolment under test.
        ["Fleet:Devices:PresenceSweepSeconds"] = "3600",
        ["Fleet:Devices:OfflineTimeoutSeconds"] = "864000",
        ["Fleet:Mqtt:BadPasswordsBeforeLockout"] = "3",
        ["Fleet:Mqtt:LockoutSeconds"] = "60",
        ["Fleet:Enrollment:ClaimAttemptsPerUserPerMinute"] = "5",
    }, time: Clock);

    public async ValueTask DisposeAsync() => await Portal.DisposeAsync();
}
