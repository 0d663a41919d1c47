namespace Fleet.Shared.Ignition;

/// <summary>One entry point for the portal: any supported source language to validated Ignition.</summary>
public static class ConfigCompiler
{
    /// <summary>Butane: translate then validate; Ignition: validate.</summary>
    public static TranslationResult Compile(ConfigLanguage language, string source, IFilesDirectory? files = null) =>
        language switch
        {
            ConfigLanguage.Butane => ButaneTranslator.Translate(source, files),
            ConfigLanguage.Ignition => IgnitionValidator.Validate(source),
            _ => throw new ArgumentOutOfRangeException(nameof(language), language, "Unknown config language."),
        };
}
