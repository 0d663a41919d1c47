using Fleet.Portal.Data;
using Fleet.Portal.Features.Configs;
using Fleet.Portal.Features.Enrollment;
using Fleet.Portal.Features.Updates;
using Fleet.Portal.Features.Users;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.EndToEnd.Tests;

/// <summary>
/// One portal for every accessibility pass, seeded so each page has rows to show: an approved device with a
/// config, a variable and an address, a pending one, a pre-registration, a release, an Operator and a HelpDesk user.
/// </summary>
public sealed class AccessibilityPortal : IAsyncLifetime
{
    public const string Password = "a11y-test-password-1";

    public PortalInstance Portal { get; private set; } = null!;

    /// <summary>Every routable page (the @page directives), ids taken from the seeded rows.</summary>
    public IReadOnlyList<string> Pages { get; private set; } = [];

    public async ValueTask InitializeAsync()
    {
        Portal = await PortalInstance.StartAsync();
        foreach (var (name, role) in new[] { ("opal", "Operator"), ("hank", "HelpDesk") })
        {
            var user = await Portal.Users.CreateAsync(new NewUser(name, null, role, Password), TestActors.Admin);
            Assert.True(user.Succeeded, user.Message);
        }

        var device = await AddDeviceAsync("web-01.example.test", EnrollmentState.Approved);
        await AddDeviceAsync("waiting-01", EnrollmentState.Pending);
        var configs = Portal.Services.GetRequiredService<ConfigService>();
        var created = await configs.CreateAsync(
            new ConfigInput("web", ConfigSourceLanguage.Butane, "web servers", Butane, "first"), TestActors.Operator);
        Assert.True(created.Succeeded, created.Message);
        var configId = created.Value!.ConfigId;
        Assert.True((await configs.SetVariableAsync(device, "site", "berlin", false, TestActors.Operator)).Succeeded);
        Assert.True((await configs.AssignAsync(configId, ConfigScope.Device, null, device, TestActors.Operator))
            .Succeeded);
        var enrollment = Portal.Services.GetRequiredService<EnrollmentService>();
        Assert.True((await enrollment.AddPreRegistrationAsync(
            new PreRegistrationInput("52:54:00:12:34:56", Hostname: "pre-01"), TestActors.Operator)).Succeeded);
        var stream = (await Portal.Services.GetRequiredService<UpdateService>().GetSettingsAsync()).DefaultStream;
        await Portal.AddReleaseAsync(stream, "42.20260101.3.0");

        Pages =
        [
            "/", "/alerts", "/devices", $"/devices/{device}", "/enrollment", "/enrollment/policies",
            "/enrollment/pre-registrations", "/enrollment/tokens", "/claim", "/updates", "/updates/groups",
            $"/updates/streams/{stream}/rollout", "/configs", "/configs/new", $"/configs/{configId}",
            "/configs/ssh-keys", "/helpdesk", $"/helpdesk/{device}", "/audit", "/admin/users", "/admin/api-clients",
            "/admin/agents", "/admin/tpm-cas", "/account/denied", "/error",
        ];
    }

    public ValueTask DisposeAsync() => Portal.DisposeAsync();

    private const string Butane = """
        variant: fcos
        version: 1.4.0
        storage:
          files:
            - path: /etc/site
              contents:
                inline: "{{vars.site}}"
        """;

    private async Task<Guid> AddDeviceAsync(string hostname, EnrollmentState state)
    {
        var id = Guid.NewGuid();
        var mac = $"52:54:00:02:{id.ToByteArray()[0]:x2}:{id.ToByteArray()[1]:x2}";
        var device = new Device
        {
            Id = id, EnrollmentId = "a11y-" + hostname, State = state, MachineId = id.ToString("N"),
            Hostname = hostname, Architecture = "x86_64", Kernel = "6.1", OsName = "Fedora CoreOS 42.20260101.3.0",
            OsReleaseJson = """{"ID":"fedora","VERSION_ID":"42","OSTREE_VERSION":"42.20260101.3.0"}""",
            PrimaryMac = mac, AgentVersion = "1", LastAddress = "192.0.2.30", UptimeSeconds = 86_400,
        };
        device.Macs.Add(new DeviceMac { Mac = mac, InterfaceName = "eth0", IsPrimary = true });
        await using var db = await Portal.CreateDbAsync();
        db.Devices.Add(device);
        await db.SaveChangesAsync();
        return id;
    }
}
