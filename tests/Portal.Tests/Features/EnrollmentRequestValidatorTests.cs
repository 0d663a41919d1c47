using Fleet.Portal.Features.Enrollment;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared;
using Fleet.Shared.Messages;

namespace Fleet.Portal.Tests.Features;

public sealed class EnrollmentRequestValidatorTests
{
    [Fact]
    public void Validate_GoodRequest_NoErrors() =>
        Assert.Empty(EnrollmentRequestValidator.Validate(TestMqttClient.Request()));

    [Fact]
    public void Validate_WrongProtocolVersion_NamesField() =>
        Assert.Contains(EnrollmentRequestValidator.Validate(TestMqttClient.Request() with { ProtocolVersion = 99 }), e => e.StartsWith("protocolVersion: 99", StringComparison.Ordinal));

    [Theory]
    [InlineData("")]
    [InlineData("3D1219C7C4C5404AAA1F6D2A48ADFDA4")]
    [InlineData("3d1219c7c4c5404aaa1f6d2a48adfda")]
    [InlineData("3d1219c7-c4c5-404a-aa1f-6d2a48adfda4")]
    public void Validate_BadMachineId_NamesField(string machineId) =>
        Assert.Contains(EnrollmentRequestValidator.Validate(TestMqttClient.Request() with { MachineId = machineId }), e => e.StartsWith("machineId:", StringComparison.Ordinal));

    [Fact]
    public void Validate_ControlCharactersAndOverlongFields_NamesEach()
    {
        var request = TestMqttClient.Request() with { Hostname = "evil\nhost", Architecture = new string('x', 33), AgentVersion = string.Empty };

        var errors = EnrollmentRequestValidator.Validate(request);

        Assert.Contains("hostname: contains control characters", errors);
        Assert.Contains("architecture: 33 characters, at most 32", errors);
        Assert.Contains("agentVersion: missing", errors);
    }

    [Fact]
    public void Validate_InterfaceProblems_NamesIndex()
    {
        var mac = TestMqttClient.RandomMac();
        var request = TestMqttClient.Request() with
        {
            Interfaces =
            [
                new NetworkInterfaceInfo("eth0", mac, true),
                new NetworkInterfaceInfo("eth1", mac.ToUpperInvariant(), true),
                new NetworkInterfaceInfo("eth2", "00:00:00:00:00:00", false),
            ],
        };

        var errors = EnrollmentRequestValidator.Validate(request);

        Assert.Contains($"interfaces[1].mac: {mac} is listed twice", errors);
        Assert.Contains(errors, e => e.StartsWith("interfaces[2].mac:", StringComparison.Ordinal));
        Assert.Contains("interfaces: 2 interfaces are marked primary, at most one may be", errors);
    }

    [Fact]
    public void Validate_TooManyInterfacesOrOsReleaseFields_Refused()
    {
        var nics = Enumerable.Range(0, Protocol.MaxInterfaces + 1).Select(i => new NetworkInterfaceInfo($"e{i}", TestMqttClient.RandomMac(), i == 0)).ToList();
        var fields = Enumerable.Range(0, Protocol.MaxOsReleaseFields + 1).ToDictionary(i => $"K{i}", i => "v");

        Assert.Contains(EnrollmentRequestValidator.Validate(TestMqttClient.Request() with { Interfaces = nics }), e => e.StartsWith("interfaces: 65 entries", StringComparison.Ordinal));
        Assert.Contains(EnrollmentRequestValidator.Validate(TestMqttClient.Request() with { OsRelease = fields }), e => e.StartsWith("osRelease: 65 fields", StringComparison.Ordinal));
    }
}
