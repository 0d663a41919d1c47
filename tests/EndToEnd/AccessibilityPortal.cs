using Fleet.Portal.Data;
using Fleet.Portal.Features.Commands;
using Fleet.Portal.Features.Commands.Runs;
using Fleet.Portal.Features.Configs;
using Fleet.Portal.Features.Enrollment;
using Fleet.Portal.Features.Power;
using Fleet.Portal.Features.Updates;
using Fleet.Portal.Features.Users;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared.Messages;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.EndToEnd.Tests;

/// <summary>
/// One portal for every accessibility pass, seeded so each page has rows to show: an approved device with a
/// config, a variable and an address, a pending one, a pre-registration, a release, a command run, an Operator and a
/// HelpDesk user.
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

        var device = (await CountsAgreeInBrowserTests.AddDeviceAsync(Portal, "web-01", EnrollmentState.Approved)).Id;
        await CountsAgreeInBrowserTests.AddDeviceAsync(Portal, "waiting-01", EnrollmentState.Pending);
        var configs = Portal.Services.GetRequiredService<ConfigService>();
        var created = await configs.CreateAsync(new ConfigInput(
            "web", ConfigSourceLanguage.Butane, "web servers", ConfigsInBrowserTests.SiteButane, "first"),
            TestActors.Operator);
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
        var run = await Portal.Services.GetRequiredService<CommandRunService>().StartAsync(
            new CommandRunInput(new CommandOrder(CommandKinds.Ping), new CommandRunTarget([device])),
            TestActors.Operator);
        Assert.True(run.Succeeded, run.Message);
        var plan = await Portal.Services.GetRequiredService<PowerPlanService>().SetAsync(
            DeviceGroup.DefaultId, new PowerPlanInput(PowerPlanMode.Load, 0, 20, 80), TestActors.Admin);
        Assert.True(plan.Succeeded, plan.Message);
        await Portal.Services.GetRequiredService<PowerEvaluator>().EvaluateAsync(CancellationToken.None);

        Pages =
        [
            "/", "/alerts", "/devices", $"/devices/{device}", "/enrollment", "/enrollment/policies",
            "/enrollment/pre-registrations", "/enrollment/tokens", "/claim", "/updates", "/updates/groups",
            $"/updates/groups/{DeviceGroup.DefaultId}/power", $"/updates/streams/{stream}/rollout", "/configs",
            "/configs/new", $"/configs/{configId}",
            "/configs/ssh-keys", "/helpdesk", $"/helpdesk/{device}", "/audit", "/admin/users", "/admin/api-clients",
            "/admin/agents", "/admin/tpm-cas", "/account/denied", "/error", "/commands/runs",
            $"/commands/runs/{run.Value}",
        ];
    }

    public ValueTask DisposeAsync() => Portal.DisposeAsync();
}
