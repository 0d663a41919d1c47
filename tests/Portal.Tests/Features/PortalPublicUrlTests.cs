using Fleet.Portal.Features.Devices;
using Fleet.Portal.Features.Updates;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Tests.Features;

/// <summary>Unset, the public URL is the first https address Kestrel listens on, else its first address.</summary>
public sealed class PortalPublicUrlTests
{
    [Theory]
    [InlineData("http://127.0.0.1:5080", "https://127.0.0.1:5443", "https://127.0.0.1:5443/")]
    [InlineData("http://localhost:5080", null, "http://localhost:5080/")]
    [InlineData("https://localhost:5443", "http://localhost:5080", "https://localhost:5443/")]
    public void Get_Unset_PrefersAnHttpsAddress(string first, string? second, string expected)
    {
        var urls = new PortalPublicUrl(Options.Create(new UpdateOptions()),
            new Listening(second is null ? [first] : [first, second]));

        Assert.Equal(expected, urls.Get().ToString());
    }

    [Fact]
    public void Get_WildcardHttps_HostNameOfThisMachine()
    {
        var urls = new PortalPublicUrl(Options.Create(new UpdateOptions()),
            new Listening(["http://127.0.0.1:5080", "https://[::]:8443"]));

        Assert.Equal($"https://{Environment.MachineName.ToLowerInvariant()}:8443/", urls.Get().ToString());
    }

    [Fact]
    public void Get_Configured_WinsOverHttps()
    {
        var urls = new PortalPublicUrl(Options.Create(new UpdateOptions { PublicBaseUrl = "http://fleet.lan:8080" }),
            new Listening(["https://127.0.0.1:5443"]));

        Assert.Equal("http://fleet.lan:8080/", urls.Get().ToString());
    }

    private sealed class Listening : IServer
    {
        public Listening(IEnumerable<string> addresses)
        {
            var feature = new ServerAddressesFeature();
            foreach (var address in addresses)
            {
                feature.Addresses.Add(address);
            }

            Features.Set<IServerAddressesFeature>(feature);
        }

        public IFeatureCollection Features { get; } = new FeatureCollection();

        public void Dispose()
        {
        }

        public Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken)
            where TContext : notnull => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
