using System.Diagnostics;
using System.Text.Json.Nodes;
using Fleet.Shared.Ignition;

namespace Fleet.Shared.Tests;

/// <summary>
/// Runs Debian's real <c>ignition-validate</c> (Ignition 2.14: specs up to 3.3.0) on a config. Configs at
/// 3.4–3.6 are converted to 3.3.0 when they use nothing newer, else checked against the upstream JSON schema.
/// </summary>
internal static class IgnitionValidateTool
{
    public const string Path = "/usr/bin/ignition-validate";
    private static readonly Version Newest = new(3, 3, 0);

    public static (int ExitCode, string Output) Run(string json)
    {
        var file = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"fleet-ign-{Guid.NewGuid():N}.ign");
        File.WriteAllText(file, json);
        try
        {
            using var process = Process.Start(new ProcessStartInfo(Path, [file])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEnd();
            if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                process.Kill();
                throw new TimeoutException("ignition-validate did not finish");
            }

            return (process.ExitCode, output.Result + error);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Asserts the real validator accepts <paramref name="config"/> (or the schema does, for 3.4+ only configs).</summary>
    public static void AssertValid(JsonObject config)
    {
        var version = IgnitionSpec.VersionOf(config) ?? throw new InvalidOperationException("no version");
        var served = config;
        if (version > Newest)
        {
            var converted = IgnitionSpec.ConvertTo(config, Newest);
            if (!converted.Succeeded)
            {
                var schemaCheck = IgnitionValidator.Validate(config.ToJsonString());
                Assert.True(schemaCheck.Succeeded, string.Join("\n", schemaCheck.Diagnostics));
                Assert.Empty(schemaCheck.Warnings);
                return;
            }

            served = converted.Ignition!;
        }

        var (exitCode, output) = Run(served.ToJsonString());
        Assert.True(exitCode == 0 && output.Trim().Length == 0, $"ignition-validate exit {exitCode}: {output}\n{served}");
    }
}
