using Fleet.Portal.Components;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Account;
using Fleet.Portal.Features.Agents;
using Fleet.Portal.Features.Alerts;
using Fleet.Portal.Features.Api;
using Fleet.Portal.Features.ApiClients;
using Fleet.Portal.Features.Attestation;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Certificates;
using Fleet.Portal.Features.Commands;
using Fleet.Portal.Features.Commands.Runs;
using Fleet.Portal.Features.Configs;
using Fleet.Portal.Features.Devices;
using Fleet.Portal.Features.Enrollment;
using Fleet.Portal.Features.Health;
using Fleet.Portal.Features.Power;
using Fleet.Portal.Ingest;
using Fleet.Portal.Features.Identity;
using Fleet.Portal.Features.Security;
using Fleet.Portal.Features.Terminal;
using Fleet.Portal.Features.Updates;
using Fleet.Portal.Features.Users;
using Fleet.Portal.Messaging;
using Microsoft.Extensions.DependencyInjection.Extensions;
using MudBlazor.Services;

namespace Fleet.Portal;

/// <summary>Builds the portal; <c>Program</c> runs it and tests start it on their own ports and data folder.</summary>
public static class PortalApp
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // The application name is fixed so static web assets (MudBlazor's CSS and JS) resolve the same
        // whether the portal runs from its own folder or is hosted by a test project.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ApplicationName = typeof(PortalApp).Assembly.GetName().Name,
        });
        configure?.Invoke(builder);
        StartupErrors.CheckUrls(builder.Configuration);

        builder.Services.TryAddSingleton(TimeProvider.System); // tests may register a FakeTimeProvider in configure
        builder.AddFleetData();      // first: its hosted service migrates the database before the broker starts
        builder.AddSecurityHeaders();
        builder.AddCertificates();
        builder.AddAccounts();
        builder.AddSecurity();
        builder.AddOidcProvider();
        builder.AddApiClients();
        builder.AddAudit();
        builder.AddUsers();
        builder.AddDevices();
        builder.AddAttestation();
        builder.AddEnrollment();
        builder.AddUpdates();
        builder.AddConfigs();
        builder.AddAgents();
        builder.AddCommands();
        builder.AddTerminal();
        builder.AddFleetMessaging();
        builder.AddIngest();
        builder.AddDeviceHealth();
        builder.AddAlerts();
        builder.AddPower();
        builder.AddProbes();
        builder.AddCommandRuns();
        builder.AddApi();
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();
        builder.Services.AddScoped<Components.Charts.ViewerTime>();

        var app = builder.Build();
        app.UseSecurityHeaders();
        app.UseHttpsListeners();

        // In every environment, so Development's exception page (stack traces) never answers a request:
        // ProblemExceptionHandler answers bad requests and non-page requests, pages get /error.
        app.UseExceptionHandler("/error", createScopeForErrors: true);

        // API callers get ProblemDetails bodies for bare 401/403/404 responses; pages keep their own handling.
        app.UseWhen(c => c.Request.Path.StartsWithSegments(ApiServiceCollectionExtensions.Prefix), api => api.UseStatusCodePages());
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.MapStaticAssets().AllowAnonymous();
        app.MapProbeEndpoints();
        app.MapAccountEndpoints();
        app.MapApi();
        app.MapUpdateProtocolEndpoints();
        app.MapConfigProtocolEndpoints();
        app.MapAgentProtocolEndpoints();
        app.MapCertificateEndpoints();
        app.MapOidcEndpoints();
        app.MapAuditEndpoints();
        app.MapDeviceExport();
        app.MapCommandDownloads();
        app.MapCommandRunExport();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
