using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Fleet.Portal.Features.Configs;

/// <summary>
/// Refuses secrets written in plain config fields: an inline password hash or a private key belongs
/// in a secret device variable (encrypted, masked, served only to approved devices), referenced as
/// <c>{{vars.NAME}}</c>.
/// </summary>
public static partial class SecretGuard
{
    public static IReadOnlyList<ConfigProblem> Check(string source, JsonObject? compiled)
    {
        ArgumentNullException.ThrowIfNull(source);
        var problems = new List<ConfigProblem>();
        foreach (Match m in PrivateKey().Matches(source))
        {
            var (line, column) = Templating.LineColumn(source, m.Index);
            problems.Add(new ConfigProblem(ProblemSeverity.Error, "A private key is written in the config: store it as a secret variable and use {{vars.NAME}}.", null, line, column));
        }

        foreach (Match m in PasswordHash().Matches(source))
        {
            if (!m.Groups["value"].Value.Contains("{{", StringComparison.Ordinal) && m.Groups["value"].Value.Trim('"', '\'', ' ').Length > 0)
            {
                var (line, column) = Templating.LineColumn(source, m.Index);
                problems.Add(new ConfigProblem(ProblemSeverity.Error, "A password hash is written in the config: store it as a secret variable and use {{vars.NAME}}.", "passwd.users.passwordHash", line, column));
            }
        }

        // Catches what the source hides (a base64 data URL with a key inside).
        if (problems.Count == 0 && compiled?["storage"]?["files"] is JsonArray files)
        {
            for (var i = 0; i < files.Count; i++)
            {
                var url = files[i]?["contents"]?["source"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
                var gzip = files[i]?["contents"]?["compression"] is JsonValue c && c.TryGetValue<string>(out var z) && z == "gzip";
                if (url is not null && Templating.TryDecodeDataUrl(url, gzip, out var content) && PrivateKey().IsMatch(content))
                {
                    problems.Add(new ConfigProblem(ProblemSeverity.Error, "This file holds a private key: store it as a secret variable and use {{vars.NAME}}.", $"storage.files[{i}].contents"));
                }
            }
        }

        return problems;
    }

    [GeneratedRegex(@"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----", RegexOptions.CultureInvariant)]
    private static partial Regex PrivateKey();

    [GeneratedRegex(@"(password_hash|""passwordHash"")\s*:\s*(?<value>[^\n,}]*)", RegexOptions.CultureInvariant)]
    private static partial Regex PasswordHash();
}
