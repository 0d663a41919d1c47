using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Fleet.Portal.Tests.Infrastructure;

namespace Fleet.Portal.Tests.Attestation;

/// <summary>Identity conflicts over the API: everyone with a token sees them, only Operators and Admins resolve them.</summary>
public sealed class IdentityConflictApiTests(PortalFixture fixture) : IClassFixture<PortalFixture>
{
    private PortalInstance Portal => fixture.Portal;

    [Fact]
    public async Task SameMacOtherMachineId_ListedForHelpDesk_ResolvedOnlyByOperatorOnce()
    {
        var mac = TestMqttClient.RandomMac();
        var original = await EnrolAsync("api-original", mac);
        var newcomer = await EnrolAsync("api-newcomer", mac);
        var helpDesk = await ApiTokens.GetTokenAsync(Portal, "HelpDesk");
        var operatorToken = await ApiTokens.GetTokenAsync(Portal, "Operator");

        using var list = await ApiTokens.GetAsync(Portal, "/api/v1/identity-conflicts", helpDesk);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        var conflict = (await list.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).EnumerateArray()
            .Single(c => c.GetProperty("deviceId").GetGuid() == newcomer);
        Assert.Equal(original, conflict.GetProperty("otherDeviceId").GetGuid());
        Assert.Equal(mac, conflict.GetProperty("value").GetString());
        var id = conflict.GetProperty("id").GetInt64();

        using var identities = await ApiTokens.GetAsync(Portal, $"/api/v1/devices/{newcomer:N}/identities", helpDesk);
        var body = await identities.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Contains(body.GetProperty("identifiers").EnumerateArray(), i => i.GetProperty("value").GetString() == mac);

        Assert.Equal(HttpStatusCode.Forbidden, await ResolveAsync(id, helpDesk, "looked at it"));
        Assert.Equal(HttpStatusCode.BadRequest, await ResolveAsync(id, operatorToken, " "));
        Assert.Equal(HttpStatusCode.NoContent, await ResolveAsync(id, operatorToken, "spare NIC moved between machines"));
        Assert.Equal(HttpStatusCode.Conflict, await ResolveAsync(id, operatorToken, "again"));
    }

    private async Task<HttpStatusCode> ResolveAsync(long id, string token, string resolution)
    {
        using var http = ApiTokens.Http(Portal, token);
        using var response = await http.PostAsJsonAsync($"/api/v1/identity-conflicts/{id}/resolve", new { resolution }, TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    private async Task<Guid> EnrolAsync(string hostname, string mac)
    {
        var (client, _) = await TestMqttClient.ConnectBootstrapAsync(Portal.MqttPort);
        await using var _ = client;
        await client.EnrollAsync(TestMqttClient.Request(hostname: hostname, macs: mac));
        return (await Portal.FindDeviceAsync(d => d.EnrollmentId == client.ClientId))!.Id;
    }
}
