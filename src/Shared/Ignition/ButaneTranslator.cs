namespace Fleet.Shared.Ignition;

/// <summary>Translates Butane YAML to Ignition JSON the way upstream <c>butane --strict</c> v0.23 does.</summary>
public static class ButaneTranslator
{
    /// <summary>Largest source text accepted (bytes of UTF-16 chars counted as chars), so a huge paste cannot hang the parser.</summary>
    public const int MaxSourceLength = 1024 * 1024;

    /// <summary>Translates <paramref name="yaml"/>; <paramref name="filesDirectory"/> serves <c>local:</c> sources.</summary>
    public static TranslationResult Translate(string yaml, IFilesDirectory? filesDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        return TranslationResult.Fail("Butane translation is not implemented yet.");
    }
}
