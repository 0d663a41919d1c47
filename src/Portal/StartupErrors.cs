using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Fleet.Portal.Data;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace Fleet.Portal;

/// <summary>
/// What stops the portal starting, said as one line naming the option and its value (a
/// <see cref="StartupRefusedException"/>), so whoever starts it knows what to change without reading a stack trace.
/// </summary>
internal static partial class StartupErrors
{
    /// <summary>Where Kestrel's addresses come from when <c>Kestrel:Endpoints</c> does not name them.</summary>
    private const string UrlsOption = "--urls (ASPNETCORE_URLS, Urls)";

    /// <summary>
    /// Refuses an HTTP address Kestrel would misread: it takes <c>http://127.0.0.1:notaport</c> for a host name
    /// and listens on port 80 of every address instead of failing.
    /// </summary>
    public static void CheckUrls(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (configuration.GetSection("Kestrel:Endpoints").Exists())
        {
            return;   // Kestrel's own endpoints replace the URLs (it warns that it overrides them)
        }

        var urls = configuration[WebHostDefaults.ServerUrlsKey] ?? string.Empty;
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (UrlProblem(url) is { } problem)
            {
                throw new StartupRefusedException($"{UrlsOption} {url} is not an address to listen on: {problem}");
            }
        }
    }

    /// <summary>Why Kestrel cannot listen on <paramref name="url"/> as meant; null when it can.</summary>
    internal static string? UrlProblem(string url)
    {
        BindingAddress address;
        try
        {
            address = BindingAddress.Parse(url);
        }
        catch (FormatException ex)
        {
            return ex.Message;
        }

        if (address.IsUnixPipe || address.IsNamedPipe)
        {
            return null;
        }

        if (!address.Scheme.Equals("http", StringComparison.OrdinalIgnoreCase)
            && !address.Scheme.Equals("https", StringComparison.OrdinalIgnoreCase))
        {
            return $"the scheme must be http or https, not '{address.Scheme}'";
        }

        var authority = url[(url.IndexOf("://", StringComparison.Ordinal) + 3)..];
        authority = authority.Split('/')[0];
        var close = authority.StartsWith('[') ? authority.IndexOf(']', StringComparison.Ordinal) : -1;
        if (authority.StartsWith('[') && close < 0)
        {
            return "the IPv6 address has no closing ]";
        }

        var colon = authority.IndexOf(':', close + 1);

        var port = colon < 0 ? null : authority[(colon + 1)..];
        return port is null || (int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            && number <= 65535)
            ? null
            : $"the port must be a number from 0 to 65535, not '{port}'";
    }

    /// <summary>
    /// The refusal a failed start amounts to, said with the option behind it; null for a failure that is not about
    /// the configuration or the environment (a defect: its stack trace matters).
    /// </summary>
    public static StartupRefusedException? Explain(Exception exception, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentNullException.ThrowIfNull(configuration);
        return exception switch
        {
            StartupRefusedException refused => refused,
            OptionsValidationException invalid => new(string.Join("; ", Describe(invalid, configuration)), invalid),

            // A value the binder cannot convert ("Fleet:Mqtt:Port=abc"); its message names the key and the value.
            InvalidOperationException { Source: "Microsoft.Extensions.Configuration.Binder" } => new(
                exception.Message, exception),
            IOException { Source: "Microsoft.AspNetCore.Server.Kestrel.Core" } => new(
                Listening(exception, configuration), exception),
            _ => null,
        };
    }

    private static string Listening(Exception exception, IConfiguration configuration)
    {
        var option = configuration.GetSection("Kestrel:Endpoints").Exists() ? "Kestrel:Endpoints" : UrlsOption;
        if (exception.InnerException is AddressInUseException
            && BindFailure().Match(exception.Message) is { Success: true } match)
        {
            var address = match.Groups["address"].Value;
            var port = Uri.TryCreate(address, UriKind.Absolute, out var uri) ? uri.Port.ToString(
                CultureInfo.InvariantCulture) : address;
            return $"{option} {address}: port {port} is in use by another process";
        }

        return $"{option} {configuration[WebHostDefaults.ServerUrlsKey]}: {exception.Message}";
    }

    /// <summary>
    /// One entry per option that failed, as <c>Section:Name value: error</c>: the data annotation failures are
    /// found again on the bound options (the framework's message names the class and property only), the rest are kept.
    /// </summary>
    private static IEnumerable<string> Describe(OptionsValidationException invalid, IConfiguration configuration)
    {
        var section = invalid.OptionsType.GetField("Section", BindingFlags.Public | BindingFlags.Static)
            ?.GetRawConstantValue() as string;
        var instance = section is null ? null : configuration.GetSection(section).Get(invalid.OptionsType);
        var described = false;
        if (instance is not null)
        {
            var results = new List<ValidationResult>();
            Validator.TryValidateObject(instance, new ValidationContext(instance), results,
                validateAllProperties: true);
            foreach (var result in results)
            {
                foreach (var member in result.MemberNames)
                {
                    described = true;
                    var key = $"{section}:{member}";
                    yield return $"{key} {configuration[key] ?? "(default)"}: {result.ErrorMessage}";
                }
            }
        }

        foreach (var failure in invalid.Failures)
        {
            if (!described || !failure.StartsWith("DataAnnotation validation failed", StringComparison.Ordinal))
            {
                yield return failure;
            }
        }
    }

    [GeneratedRegex(@"address (?<address>\S+): address already in use", RegexOptions.IgnoreCase)]
    private static partial Regex BindFailure();
}

/// <summary>The portal refuses to start, for a reason a person can act on; the message says what and where.</summary>
public sealed class StartupRefusedException(string message, Exception? inner = null) : Exception(message, inner);
