using Fleet.Portal.Components;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Account;
using Fleet.Portal.Features.Devices;
using Fleet.Portal.Features.Health;
using Fleet.Portal.Messaging;
using MudBlazor.Services;

namespace Fleet.Portal;

/// <summary>Builds the portal; <c>Program</c> runs it and tests start it on their own ports and data folder.</summary>
public static class PortalApp
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);

        builder.Services.AddSingleton(TimeProvider.System);
        builder.AddFleetData();      // first: its hosted service migrates the database before the broker starts
        builder.AddAccounts();
        builder.AddDevices();
        builder.AddFleetMessaging();
        builder.AddHealth();
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();

        var app = builder.Build();
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/error", createScopeForErrors: true);
        }

        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.MapStaticAssets().AllowAnonymous();
        app.MapHealthEndpoints();
        app.MapAccountEndpoints();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
