using Microsoft.Extensions.Logging;

namespace Fleet.DeviceAgent.Runtime;

/// <summary>
/// Where the agent finds its enrolment token, first match wins: the option <c>Agent:EnrollmentToken</c>,
/// the file <c>Agent:EnrollmentTokenFile</c>, then <c>fleet.enroll_token=</c> on the kernel command line
/// (<c>{HostRoot}/proc/cmdline</c>), so an image or a PXE entry can carry it.
/// </summary>
public static class EnrollmentTokenSource
{
    public const string KernelArgument = "fleet.enroll_token=";

    /// <summary>Longest token accepted from any source; a portal token is 36 characters.</summary>
    public const int MaxLength = 256;

    public static string? Resolve(AgentOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        if (!string.IsNullOrWhiteSpace(options.EnrollmentToken))
        {
            return Checked(options.EnrollmentToken.Trim(), "option Agent:EnrollmentToken", logger);
        }

        if (!string.IsNullOrWhiteSpace(options.EnrollmentTokenFile))
        {
            try
            {
                return Checked(File.ReadAllText(options.EnrollmentTokenFile).Trim(), options.EnrollmentTokenFile, logger);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                logger.LogWarning("Enrolment token file {Path} unreadable ({Error}); enrolling without a token", options.EnrollmentTokenFile, ex.Message);
                return null;
            }
        }

        var cmdline = Path.Combine(options.HostRoot, "proc", "cmdline");
        try
        {
            if (File.Exists(cmdline))
            {
                var argument = File.ReadAllText(cmdline).Split([' ', '\n', '\0'], StringSplitOptions.RemoveEmptyEntries)
                    .LastOrDefault(a => a.StartsWith(KernelArgument, StringComparison.Ordinal));
                if (argument is not null)
                {
                    return Checked(argument[KernelArgument.Length..], "the kernel command line", logger);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            logger.LogDebug("Kernel command line {Path} unreadable: {Error}", cmdline, ex.Message);
        }

        return null;
    }

    private static string? Checked(string token, string source, ILogger logger)
    {
        if (token.Length is 0 or > MaxLength || token.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
        {
            logger.LogWarning("Ignoring the enrolment token from {Source}: empty, longer than {Max} characters or containing spaces", source, MaxLength);
            return null;
        }

        logger.LogInformation("Enrolling with the enrolment token from {Source}", source);
        return token;
    }
}
