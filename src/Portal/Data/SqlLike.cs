namespace Fleet.Portal.Data;

/// <summary>
/// <c>LIKE</c> patterns from text a person typed: <c>%</c>, <c>_</c> and the escape character match
/// only themselves. Pass <see cref="Escape"/> as the third argument of <c>EF.Functions.Like</c>.
/// </summary>
public static class SqlLike
{
    public const string Escape = "\\";

    /// <summary>Matches values containing <paramref name="text"/>.</summary>
    public static string Containing(string text) => $"%{Literal(text)}%";

    /// <summary>Matches values starting with <paramref name="text"/>.</summary>
    public static string StartingWith(string text) => $"{Literal(text)}%";

    public static string Literal(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Replace(Escape, Escape + Escape, StringComparison.Ordinal)
            .Replace("%", Escape + "%", StringComparison.Ordinal)
            .Replace("_", Escape + "_", StringComparison.Ordinal);
    }
}
