using System.Net;
using Fleet.Portal.Features.Identity;
using Fleet.Portal.Features.Security;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.Portal.Tests.Identity;

/// <summary>Token expiry on the portal's clock, and tokens that outlive a restart. Each test runs its own portal.</summary>
public sealed class TokenLifetimeTests
{
    [Fact]
    public async Task AccessToken_PastItsLifetime_Unauthorized()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var portal = await PortalInstance.StartAsync(
            new Dictionary<string, string?> { ["Fleet:Identity:AccessTokenLifetimeMinutes"] = "30" }, time: clock);
        var token = await ApiTokens.GetTokenAsync(portal, Roles.HelpDesk);
        await ApiTokens.MeAsync(portal, token);

        clock.Advance(TimeSpan.FromMinutes(29));
        await ApiTokens.MeAsync(portal, token);

        clock.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        using var expired = await ApiTokens.GetAsync(portal, "/api/v1/me", token);
        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
    }

    [Fact]
    public async Task AccessToken_IssuedBeforeRestart_StillAcceptedWithTheSameKeys()
    {
        // A fixed issuer: the restarted portal listens on another port, and the issuer would follow it.
        var settings = new Dictionary<string, string?> { ["Fleet:Identity:Issuer"] = "http://fleet.test/" };
        string token, dataDirectory;
        byte[] signingKey;
        await using (var first = await PortalInstance.StartAsync(settings))
        {
            dataDirectory = first.DataDirectory;
            token = await ApiTokens.GetTokenAsync(first, Roles.Operator);
            await ApiTokens.MeAsync(first, token);
            signingKey = await File.ReadAllBytesAsync(SigningFile(dataDirectory));
        }

        await using var second = await PortalInstance.StartAsync(settings, dataDirectory);

        var me = await ApiTokens.MeAsync(second, token);
        Assert.Equal([Roles.Operator], me.Roles);
        Assert.Equal(signingKey, await File.ReadAllBytesAsync(SigningFile(dataDirectory)));
    }

    [Fact]
    public async Task Certificates_FirstStart_CreatedOwnerOnly()
    {
        await using var portal = await PortalInstance.StartAsync();
        var folder = Path.Combine(portal.DataDirectory, TokenCertificates.FolderName);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
        foreach (var file in new[] { TokenCertificates.SigningFileName, TokenCertificates.EncryptionFileName })
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(folder, file)));
        }
    }

    private static string SigningFile(string dataDirectory) =>
        Path.Combine(dataDirectory, TokenCertificates.FolderName, TokenCertificates.SigningFileName);
}
