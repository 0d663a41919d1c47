using System.Globalization;
using System.Text;

namespace Fleet.Shared.Ignition;

/// <summary>One entry point for the portal: any supported source language to validated Ignition.</summary>
public static class ConfigCompiler
{
    /// <summary>
    /// Largest source accepted, in UTF-8 bytes (1 MiB). Larger input is refused before parsing, so a 10 MB paste
    /// answers at once with a clear error instead of tying up the parser.
    /// </summary>
    public const int MaxSourceBytes = 1024 * 1024;

    /// <summary>Butane: translate then validate; Ignition: validate.</summary>
    public static TranslationResult Compile(ConfigLanguage language, string source, IFilesDirectory? files = null) =>
        language switch
        {
            ConfigLanguage.Butane => ButaneTranslator.Translate(source, files),
            ConfigLanguage.Ignition => IgnitionValidator.Validate(source),
            _ => throw new ArgumentOutOfRangeException(nameof(language), language, "Unknown config language."),
        };

    internal static TranslationResult? CheckSize(string source)
    {
        // Cheap bound first: a string longer than the limit in chars is over it in bytes too.
        var bytes = source.Length > MaxSourceBytes ? source.Length : Encoding.UTF8.GetByteCount(source);
        return bytes > MaxSourceBytes
            ? TranslationResult.Fail(string.Create(CultureInfo.InvariantCulture,
                $"config is too large: {bytes:N0} bytes; the limit is {MaxSourceBytes:N0} bytes (1 MiB)"), null, 1, 1)
            : null;
    }
}
