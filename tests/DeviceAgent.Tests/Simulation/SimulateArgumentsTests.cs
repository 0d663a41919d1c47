using Fleet.DeviceAgent.Simulation;

namespace Fleet.DeviceAgent.Tests.Simulation;

public sealed class SimulateArgumentsTests
{
    [Fact]
    public void Parse_AllOptions_ReturnsArguments()
    {
        var result = SimulateParseResult.Parse(["--count", "100", "--broker", "portal:1884", "--heartbeat-seconds=5", "--ramp-per-second", "50.5", "--seed", "-42"]);

        Assert.Null(result.Error);
        Assert.Equal(new SimulateArguments(100, "portal", 1884, 5, 50.5, -42), result.Arguments);
    }

    [Fact]
    public void Parse_Tls_CaFileOrPinOrPlainSwitch()
    {
        var pin = new string('a', 64);
        var tls = SimulateParseResult.Parse(["--count", "1", "--ca-file", "/tmp/ca.pem", "--ca-fingerprint", pin])
            .Arguments;
        var plain = SimulateParseResult.Parse(["--count", "1", "--plain", "--seed", "3"]).Arguments;

        Assert.Equal(("/tmp/ca.pem", pin, false), (tls?.CaFile, tls?.CaFingerprint, tls?.Plain));
        Assert.Equal((true, 3), (plain?.Plain, plain?.Seed));
    }

    [Fact]
    public void Parse_CommandOptions_DurationAndFailurePercentOrDefaults()
    {
        var given = SimulateParseResult.Parse(
            ["--count", "1", "--command-seconds", "0.5", "--command-failure-percent", "5"]).Arguments;
        var defaults = SimulateParseResult.Parse(["--count", "1"]).Arguments;

        Assert.Equal((0.5, 5), (given?.CommandSeconds, given?.CommandFailurePercent));
        Assert.Equal(
            (SimulateArguments.DefaultCommandSeconds, 0), (defaults?.CommandSeconds, defaults?.CommandFailurePercent));
    }

    [Theory]
    [InlineData("--command-seconds", "-1")]
    [InlineData("--command-seconds", "3601")]
    [InlineData("--command-failure-percent", "101")]
    [InlineData("--command-failure-percent", "2.5")]
    public void Parse_CommandOptionOutOfRange_FailsNamingIt(string option, string value)
    {
        var result = SimulateParseResult.Parse(["--count", "1", option, value]);

        Assert.Null(result.Arguments);
        Assert.StartsWith(option, result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0.2", 0.2)]
    [InlineData("4", 4.0)]
    [InlineData("0", 0.0)]
    public void Parse_HealthInterval_AllowsFractionsAndZero(string text, double expected)
    {
        var arguments = SimulateParseResult.Parse(["--count", "1", "--health-interval", text]).Arguments;

        Assert.Equal(expected, arguments?.HealthIntervalSeconds);
    }

    [Fact]
    public void Parse_PreEnrolled_TrueOrFalseOnly()
    {
        Assert.True(SimulateParseResult.Parse(["--count", "1", "--pre-enrolled", "true"]).Arguments?.PreEnrolled);
        Assert.False(SimulateParseResult.Parse(["--count", "1"]).Arguments?.PreEnrolled);
        Assert.Equal("--pre-enrolled must be true or false, not 'yes'", SimulateParseResult.Parse(["--count", "1", "--pre-enrolled", "yes"]).Error);
    }

    [Theory]
    [InlineData("0.01")]
    [InlineData("-1")]
    [InlineData("NaN")]
    [InlineData("fast")]
    public void Parse_BadHealthInterval_SaysWhatIsAllowed(string text)
    {
        var result = SimulateParseResult.Parse(["--count", "1", "--health-interval", text]);

        Assert.Null(result.Arguments);
        Assert.Equal($"--health-interval must be 0 (no health reports) or a number of seconds from 0.05 to 86400, not '{text}'", result.Error);
    }

    [Fact]
    public void Parse_State_TakesAPathButNotWithPreEnrolled()
    {
        Assert.Equal(
            "/tmp/sim.json",
            SimulateParseResult.Parse(["--count", "1", "--state", "/tmp/sim.json"]).Arguments?.StatePath);
        Assert.Equal(
            "--state is not used with --pre-enrolled true: those credentials derive from the seed",
            SimulateParseResult.Parse(["--count", "1", "--pre-enrolled", "true", "--state", "/tmp/sim.json"]).Error);
    }

    [Fact]
    public void Parse_CountOnly_UsesDefaults()
    {
        var arguments = SimulateParseResult.Parse(["--count", "3"]).Arguments;

        Assert.Equal(new SimulateArguments(3), arguments);
    }

    [Theory]
    [InlineData("portal", "portal", null)]
    [InlineData("10.0.0.5:1883", "10.0.0.5", 1883)]
    [InlineData("[::1]:8883", "::1", 8883)]
    [InlineData("[fe80::1]", "fe80::1", null)]
    [InlineData("::1", "::1", null)] // several colons without brackets: an IPv6 address, no port
    public void Parse_Broker_SplitsHostAndPort(string broker, string host, int? port)
    {
        var arguments = SimulateParseResult.Parse(["--count", "1", "--broker", broker]).Arguments;

        Assert.Equal((host, port), (arguments?.BrokerHost, arguments?.BrokerPort));
    }

    [Theory]
    [InlineData("--count is required")]
    [InlineData("--count is required", "--seed", "1")]
    [InlineData("--count needs a value", "--count")]
    [InlineData("--count needs a value", "--count", "--seed", "1")]
    [InlineData("--count must be a whole number", "--count", "many")]
    [InlineData("--count must be a whole number", "--count", "0")]
    [InlineData("--count must be a whole number", "--count", "100001")]
    [InlineData("unknown option --bogus", "--count", "1", "--bogus", "x")]
    [InlineData("unexpected argument 'extra'", "--count", "1", "extra")]
    [InlineData("unexpected argument '-c'", "-c", "1")]
    [InlineData("--count given more than once", "--count", "1", "--count=2")]
    [InlineData("--broker must be", "--count", "1", "--broker", ":1883")]
    [InlineData("--broker must be", "--count", "1", "--broker", "portal:0")]
    [InlineData("--broker must be", "--count", "1", "--broker", "portal:65536")]
    [InlineData("--broker must be", "--count", "1", "--broker", "portal:x")]
    [InlineData("--broker must be", "--count", "1", "--broker", "[::1]x")]
    [InlineData("--broker must be", "--count", "1", "--broker", "por tal")]
    [InlineData("--heartbeat-seconds must be", "--count", "1", "--heartbeat-seconds", "0")]
    [InlineData("--ramp-per-second must be", "--count", "1", "--ramp-per-second", "-3")]
    [InlineData("--ramp-per-second must be", "--count", "1", "--ramp-per-second", "NaN")]
    [InlineData("--seed must be", "--count", "1", "--seed", "99999999999")]
    [InlineData("--ca-fingerprint must be", "--count", "1", "--ca-fingerprint", "abc")]
    [InlineData("--plain connects without TLS", "--count", "1", "--plain", "--ca-file", "/tmp/ca.pem")]
    [InlineData("--plain given more than once", "--count", "1", "--plain", "--plain")]
    public void Parse_BadArguments_ReturnsClearError(string expectedError, params string[] args)
    {
        var result = SimulateParseResult.Parse(args);

        Assert.Null(result.Arguments);
        Assert.NotNull(result.Error);
        Assert.StartsWith(expectedError, result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    public void Parse_Help_RequestsUsage(string flag)
    {
        var result = SimulateParseResult.Parse(["--count", "1", flag]);

        Assert.True(result.HelpRequested);
        Assert.Null(result.Error);
    }
}
