using Fleet.Portal.Features.Account;
using Fleet.Portal.Features.Devices;
using Fleet.Shared;

namespace Fleet.Portal.Tests.Features;

public sealed class ProtocolTests
{
    [Theory]
    [InlineData("52:54:00:AB:CD:EF", "52:54:00:ab:cd:ef")]
    [InlineData("52-54-00-ab-cd-ef", "52:54:00:ab:cd:ef")]
    [InlineData("5254.00ab.cdef", "52:54:00:ab:cd:ef")]
    [InlineData("525400abcdef", "52:54:00:ab:cd:ef")]
    [InlineData(" 525400ABCDEF ", "52:54:00:ab:cd:ef")]
    public void TryNormalize_CommonNotations_LowerColonForm(string input, string expected)
    {
        Assert.True(MacAddress.TryNormalize(input, out var mac));
        Assert.Equal(expected, mac);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("52:54:00:ab:cd")]
    [InlineData("52:54:00:ab:cd:ef:01")]
    [InlineData("52:54:00:ab:cd:eg")]
    [InlineData("52:54:00:ab:cd:ef:")]
    public void TryNormalize_NotAMac_False(string? input) => Assert.False(MacAddress.TryNormalize(input, out _));

    [Theory]
    [InlineData("fleet/enroll/enroll-ab/request", TopicKind.EnrollmentRequest, "enroll-ab")]
    [InlineData("fleet/devices/0123/heartbeat", TopicKind.Heartbeat, "0123")]
    [InlineData("fleet/devices/0123/status", TopicKind.Status, "0123")]
    [InlineData("fleet/devices/0123/settings", TopicKind.Settings, "0123")]
    public void TryParse_FleetTopics_KindAndId(string topic, TopicKind kind, string id)
    {
        Assert.True(Topics.TryParse(topic, out var parsed));
        Assert.Equal(new ParsedTopic(kind, id), parsed);
    }

    [Theory]
    [InlineData("fleet/devices/+/heartbeat")]
    [InlineData("fleet/devices/#")]
    [InlineData("fleet/devices//heartbeat")]
    [InlineData("other/devices/1/heartbeat")]
    [InlineData("fleet/devices/1/heartbeat/extra")]
    [InlineData("fleet/devices/1/unknown")]
    public void TryParse_NotAFleetTopic_False(string topic) => Assert.False(Topics.TryParse(topic, out _));

    [Fact]
    public void Credentials_HashVerify_OnlyTheIssuedSecretMatches()
    {
        var secret = DeviceCredentials.NewSecret();
        var hash = DeviceCredentials.Hash(secret);

        Assert.True(DeviceCredentials.Verify(secret, hash));
        Assert.False(DeviceCredentials.Verify(secret + "x", hash));
        Assert.False(DeviceCredentials.Verify(null, hash));
        Assert.False(DeviceCredentials.Verify(secret, null));
        Assert.NotEqual(secret, DeviceCredentials.NewSecret());
        Assert.True(secret.Length >= 43);
    }

    [Theory]
    [InlineData("/", true)]
    [InlineData("/devices?status=online", true)]
    [InlineData("//evil.example", false)]
    [InlineData("/\\evil.example", false)]
    [InlineData("https://evil.example/", false)]
    [InlineData("devices", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void IsLocalPath_ReturnUrl_OnlyLocalPaths(string? url, bool expected) => Assert.Equal(expected, Login.IsLocalPath(url));
}
