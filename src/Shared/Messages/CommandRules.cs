using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Fleet.Shared.Messages;

/// <summary>
/// What a command's arguments must be, checked by the portal when a person asks and by the agent when the command
/// arrives: the same rules on both sides, so a command the portal accepts is one the agent runs.
/// </summary>
public static partial class CommandRules
{
    /// <summary>Journal priorities by name, as <c>journalctl --priority</c> takes them (or 0–7).</summary>
    public static readonly IReadOnlyList<string> Priorities =
        ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"];

    /// <summary>Lines of journal a collection returns unless it says otherwise.</summary>
    public const int DefaultJournalLines = 1000;

    /// <summary>
    /// Whether <paramref name="id"/> is a command id: 1–64 characters of <c>A–Z a–z 0–9 . _ -</c>.
    /// </summary>
    public static bool IsId(string? id) => id is not null && IdPattern().IsMatch(id);

    /// <summary>
    /// What is wrong with a command of <paramref name="kind"/> and these arguments, by argument name ("" for the
    /// command as a whole); empty when nothing is. An unknown kind is an error of "kind".
    /// </summary>
    public static IReadOnlyList<(string Argument, string Problem)> Problems(
        string kind, IReadOnlyDictionary<string, string>? arguments)
    {
        var problems = new List<(string, string)>();
        var args = arguments ?? new Dictionary<string, string>();
        string? Get(string name) => args.TryGetValue(name, out var value) ? value : null;
        var allowed = kind switch
        {
            CommandKinds.Ping or CommandKinds.Reboot or CommandKinds.PowerOff or CommandKinds.Rollback
                or CommandKinds.UpdateNow => [],
            CommandKinds.RestartUnit or CommandKinds.StopUnit or CommandKinds.StartUnit => [CommandArguments.Unit],
            CommandKinds.Journal =>
                new[]
                {
                    CommandArguments.Unit, CommandArguments.Since, CommandArguments.Priority, CommandArguments.Lines,
                },
            CommandKinds.Diagnostic => [CommandArguments.Name, CommandArguments.Script, CommandArguments.Sha256],
            CommandKinds.WakeOnLan => [CommandArguments.Mac, CommandArguments.Address, CommandArguments.Port],
            _ => (string[]?)null,
        };
        if (allowed is null)
        {
            problems.Add(("kind", $"'{Printable(kind)}' is not a command kind this version knows ("
                + string.Join(", ", CommandKinds.All) + ")."));
            return problems;
        }

        foreach (var (name, value) in args)
        {
            if (!allowed.Contains(name, StringComparer.Ordinal))
            {
                problems.Add((name, $"A {kind} command takes no argument '{Printable(name)}'."));
            }
            else if (value is null
                || (name != CommandArguments.Script && value.Length > Protocol.MaxCommandArgumentLength))
            {
                problems.Add((name, $"At most {Protocol.MaxCommandArgumentLength} characters."));
            }
        }

        if (problems.Count > 0)
        {
            return problems;
        }

        switch (kind)
        {
            case CommandKinds.RestartUnit or CommandKinds.StopUnit or CommandKinds.StartUnit:
                if (!IsUnit(Get(CommandArguments.Unit)))
                {
                    problems.Add((CommandArguments.Unit, UnitProblem));
                }

                break;
            case CommandKinds.Journal:
                if (Get(CommandArguments.Unit) is { } unit && !IsUnit(unit))
                {
                    problems.Add((CommandArguments.Unit, UnitProblem));
                }

                if (Get(CommandArguments.Since) is { } since && !SincePattern().IsMatch(since))
                {
                    problems.Add((CommandArguments.Since,
                        "A time journalctl understands: '-1h', '-30min', 'today', '2026-12-07 10:00'."));
                }

                if (Get(CommandArguments.Priority) is { } priority && !IsPriority(priority))
                {
                    problems.Add(
                        (CommandArguments.Priority, "0 to 7, or one of " + string.Join(", ", Priorities) + "."));
                }

                if (Get(CommandArguments.Lines) is { } lines
                    && !(int.TryParse(lines, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                        && n is >= 1 and <= Protocol.MaxJournalLines))
                {
                    problems.Add((CommandArguments.Lines, $"A number of lines from 1 to {Protocol.MaxJournalLines}."));
                }

                break;
            case CommandKinds.Diagnostic:
                var script = Get(CommandArguments.Script);
                if (Get(CommandArguments.Name) is not { Length: > 0 })
                {
                    problems.Add((CommandArguments.Name, "A diagnostic needs its name."));
                }

                if (script is not { Length: > 0 and <= Protocol.MaxDiagnosticScriptLength })
                {
                    problems.Add((CommandArguments.Script,
                        $"A script of 1 to {Protocol.MaxDiagnosticScriptLength} characters."));
                }
                else if (Get(CommandArguments.Sha256) != Sha256Of(script))
                {
                    problems.Add((CommandArguments.Sha256, "The script does not match its SHA-256."));
                }

                break;
            case CommandKinds.WakeOnLan:
                if (!MacAddress.TryNormalize(Get(CommandArguments.Mac), out _))
                {
                    problems.Add((CommandArguments.Mac, "A MAC address such as 52:54:00:12:34:56."));
                }

                if (!IPAddress.TryParse(Get(CommandArguments.Address) ?? string.Empty, out var address)
                    || address.AddressFamily != AddressFamily.InterNetwork)
                {
                    problems.Add((CommandArguments.Address, "An IPv4 address to send the magic packet to."));
                }

                if (Get(CommandArguments.Port) is { } port
                    && !(int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var p)
                        && p is >= 1 and <= 65535))
                {
                    problems.Add((CommandArguments.Port, "A UDP port from 1 to 65535."));
                }

                break;
        }

        return problems;
    }

    /// <summary>SHA-256 of <paramref name="script"/> (UTF-8) as lower-case hex.</summary>
    public static string Sha256Of(string script) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes(script)));

    /// <summary>Whether <paramref name="unit"/> names a systemd unit (<c>name.service</c>, <c>name@x.timer</c>…).
    /// </summary>
    public static bool IsUnit(string? unit) => unit is { Length: <= 256 } && UnitPattern().IsMatch(unit);

    private const string UnitProblem =
        "A systemd unit name such as nginx.service, app@1.service or backup.timer.";

    private static bool IsPriority(string value) =>
        value is [>= '0' and <= '7'] || Priorities.Contains(value, StringComparer.Ordinal);

    private static string Printable(string? value) =>
        new([.. (value ?? string.Empty).Take(64).Select(c => char.IsControl(c) ? '?' : c)]);

    [GeneratedRegex(@"^[A-Za-z0-9._\-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();

    [GeneratedRegex(@"^[A-Za-z0-9:_.\\@\-]+\.(service|socket|target|timer|mount|path|slice|scope|device|swap)$",
        RegexOptions.CultureInvariant)]
    private static partial Regex UnitPattern();

    [GeneratedRegex(@"^[A-Za-z0-9 :+\-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex SincePattern();
}
