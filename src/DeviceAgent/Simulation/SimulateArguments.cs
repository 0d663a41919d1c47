using System.Globalization;

namespace Fleet.DeviceAgent.Simulation;

/// <summary>Command line of <c>simulate</c>. Broker null means: take it from the Agent configuration.</summary>
public sealed record SimulateArguments(
    int Count,
    string? BrokerHost = null,
    int? BrokerPort = null,
    int? HeartbeatSeconds = null,
    double RampPerSecond = SimulateArguments.DefaultRampPerSecond,
    int? Seed = null,
    double? HealthIntervalSeconds = null,
    bool PreEnrolled = false,
    string? Token = null,
    string? StatePath = null,
    string? CaFile = null,
    string? CaFingerprint = null,
    bool Plain = false,
    double CommandSeconds = SimulateArguments.DefaultCommandSeconds,
    int CommandFailurePercent = 0)
{
    public const double DefaultRampPerSecond = 200;
    public const double DefaultCommandSeconds = 2;
    public const int MaxCount = 100_000;

    public const string Usage = """
        Usage: fleet-agent simulate --count N [options]

          --count N                 number of simulated devices (1-100000), required
          --broker HOST[:PORT]      broker address (default: Agent:BrokerHost / Agent:BrokerPort,
                                    the MQTTS port 8883)
          --ca-file PATH            PEM CA chain the broker's certificate must chain to
                                    (default: Agent:CaCertificateFile)
          --ca-fingerprint SHA256   pinned SHA-256 of the portal's issuing CA, instead of a file
                                    (default: Agent:CaFingerprint)
          --plain                   plain MQTT without TLS (the portal's Fleet:Mqtt:PlainPort);
                                    without it the devices use TLS and client certificates
          --heartbeat-seconds N     fixed heartbeat interval, overriding the portal (1-86400)
          --ramp-per-second R       devices started per second (default 200)
          --seed S                  seed for reproducible identities (default: random, logged)
          --health-interval S       fixed health report interval in seconds, fractions allowed
                                    (0.05-86400; 0 sends none; default: from the portal)
          --pre-enrolled true|false devices start enrolled as sim-<seed>-<n> with a derived
                                    secret and skip enrolment: for broker-only baselines
                                    (e.g. Mosquitto), not for the portal (default false)
          --token T                 enrolment token every simulated device presents
          --state PATH              file keeping the devices' enrolment keys and credentials
                                    across runs (default with --seed:
                                    ~/.local/share/fleet-agent/simulate/seed-<seed>.json;
                                    without --seed: none, unless given)
          --command-seconds S       how long a command other than ping runs before its result
                                    (0-3600, fractions allowed; default 2)
          --command-failure-percent P
                                    devices whose index modulo 100 is below P (0-100) fail every
                                    command but ping with exit code 1: device 1 to P of each
                                    hundred (default 0)
          --help                    show this text
        """;
}

/// <summary>Outcome of parsing: arguments, an error to print with the usage, or a request for help.</summary>
public sealed record SimulateParseResult(SimulateArguments? Arguments, string? Error, bool HelpRequested = false)
{
    public static SimulateParseResult Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "--help" or "-h")
            {
                return new(null, null, HelpRequested: true);
            }

            if (arg == "--plain")
            {
                // A switch: no value.
                if (!values.TryAdd("plain", "true"))
                {
                    return Fail("--plain given more than once");
                }

                continue;
            }

            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                return Fail($"unexpected argument '{arg}'");
            }

            // Both "--name value" and "--name=value".
            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? arg[2..] : arg[2..equals];
            string value;
            if (equals >= 0)
            {
                value = arg[(equals + 1)..];
            }
            else if (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                value = args[++i];
            }
            else
            {
                return Fail($"--{name} needs a value");
            }

            if (name is not ("count" or "broker" or "heartbeat-seconds" or "ramp-per-second" or "seed"
                or "health-interval" or "pre-enrolled" or "token" or "state" or "ca-file" or "ca-fingerprint"
                or "command-seconds" or "command-failure-percent"))
            {
                return Fail($"unknown option --{name}");
            }

            if (!values.TryAdd(name, value))
            {
                return Fail($"--{name} given more than once");
            }
        }

        return Build(values);
    }

    private static SimulateParseResult Build(Dictionary<string, string> values)
    {
        if (!values.TryGetValue("count", out var countText))
        {
            return Fail("--count is required");
        }

        if (!TryParseInt(countText, 1, SimulateArguments.MaxCount, out var count))
        {
            return Fail($"--count must be a whole number from 1 to {SimulateArguments.MaxCount}, not '{countText}'");
        }

        string? host = null;
        int? port = null;
        if (values.TryGetValue("broker", out var broker))
        {
            if (!TryParseBroker(broker, out host, out port))
            {
                return Fail($"--broker must be HOST or HOST:PORT with a port from 1 to 65535, not '{broker}'");
            }
        }

        int? heartbeat = null;
        if (values.TryGetValue("heartbeat-seconds", out var heartbeatText))
        {
            if (!TryParseInt(heartbeatText, 1, 86_400, out var seconds))
            {
                return Fail($"--heartbeat-seconds must be a whole number from 1 to 86400, not '{heartbeatText}'");
            }

            heartbeat = seconds;
        }

        var ramp = SimulateArguments.DefaultRampPerSecond;
        if (values.TryGetValue("ramp-per-second", out var rampText)
            && (!double.TryParse(rampText, NumberStyles.Float, CultureInfo.InvariantCulture, out ramp) || !double.IsFinite(ramp) || ramp <= 0 || ramp > 1_000_000))
        {
            return Fail($"--ramp-per-second must be a positive number up to 1000000, not '{rampText}'");
        }

        int? seed = null;
        if (values.TryGetValue("seed", out var seedText))
        {
            if (!TryParseInt(seedText, int.MinValue, int.MaxValue, out var parsedSeed))
            {
                return Fail($"--seed must be a 32-bit whole number, not '{seedText}'");
            }

            seed = parsedSeed;
        }

        double? health = null;
        if (values.TryGetValue("health-interval", out var healthText))
        {
            if (!double.TryParse(healthText, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed)
                || !double.IsFinite(parsed) || (parsed != 0 && parsed is < 0.05 or > 86_400))
            {
                return Fail($"--health-interval must be 0 (no health reports) or a number of seconds from 0.05 to 86400, not '{healthText}'");
            }

            health = parsed;
        }

        var preEnrolled = false;
        if (values.TryGetValue("pre-enrolled", out var preEnrolledText) && !bool.TryParse(preEnrolledText, out preEnrolled))
        {
            return Fail($"--pre-enrolled must be true or false, not '{preEnrolledText}'");
        }

        var token = values.GetValueOrDefault("token");
        if (token is not null && (token.Length is 0 or > 256 || token.Any(char.IsWhiteSpace)))
        {
            return Fail("--token must be 1-256 characters without spaces");
        }

        var state = values.GetValueOrDefault("state");
        if (state is not null && (string.IsNullOrWhiteSpace(state) || preEnrolled))
        {
            return Fail(preEnrolled
                ? "--state is not used with --pre-enrolled true: those credentials derive from the seed"
                : "--state needs a file path");
        }

        var caFile = values.GetValueOrDefault("ca-file");
        var pin = values.GetValueOrDefault("ca-fingerprint");
        if (pin is not null
            && !System.Text.RegularExpressions.Regex.IsMatch(pin, "^(?:[0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$"))
        {
            return Fail("--ca-fingerprint must be a SHA-256 in hex (64 digits, colons allowed)");
        }

        var plain = values.ContainsKey("plain");
        if (plain && (caFile is not null || pin is not null))
        {
            return Fail("--plain connects without TLS: --ca-file and --ca-fingerprint do not go with it");
        }

        var commandSeconds = SimulateArguments.DefaultCommandSeconds;
        if (values.TryGetValue("command-seconds", out var commandText)
            && (!double.TryParse(commandText, NumberStyles.Float, CultureInfo.InvariantCulture, out commandSeconds)
                || !double.IsFinite(commandSeconds) || commandSeconds is < 0 or > 3600))
        {
            return Fail($"--command-seconds must be a number of seconds from 0 to 3600, not '{commandText}'");
        }

        var failurePercent = 0;
        if (values.TryGetValue("command-failure-percent", out var failureText)
            && !TryParseInt(failureText, 0, 100, out failurePercent))
        {
            return Fail($"--command-failure-percent must be a whole number from 0 to 100, not '{failureText}'");
        }

        return new(new SimulateArguments(count, host, port, heartbeat, ramp, seed, health, preEnrolled, token, state,
            caFile, pin, plain, commandSeconds, failurePercent), null);
    }

    internal static bool TryParseBroker(string text, out string? host, out int? port)
    {
        host = null;
        port = null;
        var hostPart = text;
        string? portPart = null;
        if (text.StartsWith('['))
        {
            // [IPv6] or [IPv6]:port
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 2)
            {
                return false;
            }

            hostPart = text[1..close];
            var rest = text[(close + 1)..];
            if (rest.Length > 0)
            {
                if (rest[0] != ':')
                {
                    return false;
                }

                portPart = rest[1..];
            }
        }
        else if (text.Count(c => c == ':') == 1)
        {
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            hostPart = text[..colon];
            portPart = text[(colon + 1)..];
        }

        if (string.IsNullOrWhiteSpace(hostPart) || hostPart.Any(char.IsWhiteSpace))
        {
            return false;
        }

        if (portPart is not null)
        {
            if (!TryParseInt(portPart, 1, 65535, out var parsedPort))
            {
                return false;
            }

            port = parsedPort;
        }

        host = hostPart;
        return true;
    }

    private static bool TryParseInt(string text, int min, int max, out int value) =>
        int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value) && value >= min && value <= max;

    private static SimulateParseResult Fail(string error) => new(null, error);
}
