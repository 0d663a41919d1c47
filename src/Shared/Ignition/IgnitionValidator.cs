namespace Fleet.Shared.Ignition;

/// <summary>Parses and validates Ignition JSON (spec 3.0.0–3.6.0) with located diagnostics.</summary>
public static class IgnitionValidator
{
    /// <summary>Parses and validates <paramref name="json"/>; the result carries the parsed object when it parses.</summary>
    public static TranslationResult Validate(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return TranslationResult.Fail("Ignition validation is not implemented yet.");
    }
}
