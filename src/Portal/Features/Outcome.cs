using System.Text.Json.Serialization;

namespace Fleet.Portal.Features;

/// <summary>
/// How an action asked of a service ended. A closed set: every service the pages and the API call answers with
/// one of these, and <c>Api/OutcomeHttp</c> maps each to one HTTP status and ProblemDetails title.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<OutcomeKind>))]
public enum OutcomeKind
{
    Done,

    /// <summary>Input the caller can fix; <see cref="Outcome.Errors"/> says what and where.</summary>
    Invalid,

    /// <summary>The caller's role may not do this, or the thing asked for is refused to this caller.</summary>
    Forbidden,

    NotFound,

    /// <summary>No form of the answer that the caller accepts (content negotiation).</summary>
    NotAcceptable,

    /// <summary>The action clashes with the current state (a name taken, already decided, the device offline).
    /// </summary>
    Conflict,

    /// <summary>The input was understood, but what it names cannot be produced (a config that does not render).
    /// </summary>
    Unprocessable,

    /// <summary>Too many attempts; <see cref="Outcome.RetryAfter"/> says when to try again, where known.</summary>
    TooManyRequests,

    /// <summary>The portal cannot do it just now (contention that outlasted its retries); try again later.</summary>
    Unavailable,
}

/// <summary>
/// One thing wrong, and where: a <see cref="Field"/> (a property name or a JSON path) and/or a
/// <see cref="Line"/> and <see cref="Column"/> of a source; neither for the request as a whole.
/// </summary>
public sealed record OutcomeError(string Message, string? Field = null, int? Line = null, int? Column = null)
{
    /// <summary>An error of one field ("" for none in particular), field first as forms name them.</summary>
    public static OutcomeError At(string field, string message) => new(message, field);

    /// <summary>Where, as a person reads it and as ProblemDetails <c>errors</c> keys it: the field, else
    /// "line N", else "" (the request as a whole).</summary>
    public string Location => Field is { Length: > 0 } name ? name : Line is { } line ? $"line {line}" : string.Empty;

    /// <summary>The message, after its place in a source ("line 3, column 5 (storage.files.0): …") if it has one;
    /// a form shows a field's errors beside the field instead.</summary>
    public override string ToString() => (Line, Field) switch
    {
        ({ } line, { Length: > 0 } name) => $"line {line}, column {Column ?? 1} ({name}): {Message}",
        ({ } line, _) => $"line {line}, column {Column ?? 1}: {Message}",
        _ => Message,
    };
}

/// <summary>
/// The result of an action: <see cref="OutcomeKind.Done"/>, or a failure of one kind with the errors that say why.
/// Expected failures are values, not exceptions; <see cref="Outcome{T}"/> also carries what a success produced.
/// </summary>
public record Outcome(OutcomeKind Kind, IReadOnlyList<OutcomeError> Errors)
{
    public static Outcome Done { get; } = new(OutcomeKind.Done, []);

    public bool Succeeded => Kind == OutcomeKind.Done;

    /// <summary>For <see cref="OutcomeKind.TooManyRequests"/>: how long to wait, where known.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>A machine-readable reason, for callers that branch on it: the <c>kind</c> of the FleetLock and
    /// Cincinnati error bodies, the <c>code</c> member of a ProblemDetails body.</summary>
    public string? Code { get; init; }

    /// <summary>The errors in one line, as a snackbar or a problem's <c>detail</c> shows them.</summary>
    public string Message => Errors.Count == 0 ? Kind.ToString() : string.Join(" ", Errors.Select(e => e.ToString()));

    /// <summary>Done, with what the action produced.</summary>
    public static Outcome<T> Of<T>(T value) => new(Done, value);

    /// <summary>Done with <paramref name="value"/>, or <see cref="OutcomeKind.NotFound"/> saying
    /// <paramref name="notFound"/> when there is none.</summary>
    public static Outcome<T> Found<T>(T? value, string notFound)
        where T : class => value is null ? NotFound(notFound) : Of(value);

    /// <summary>This failure as the result of an action that would have produced a <typeparamref name="T"/>.
    /// </summary>
    public Outcome<T> As<T>() => this;

    public static Outcome Invalid(string field, string message) => new(OutcomeKind.Invalid, [new(message, field)]);

    public static Outcome Invalid(IReadOnlyList<OutcomeError> errors) => new(OutcomeKind.Invalid, errors);

    /// <summary>Errors keyed by field name, as the Blazor forms and ValidationProblem take them.</summary>
    public static Outcome Invalid(IReadOnlyDictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        return new(OutcomeKind.Invalid, [.. errors.SelectMany(e => e.Value.Select(m => new OutcomeError(m, e.Key)))]);
    }

    public static Outcome Forbidden(string message) => Failed(OutcomeKind.Forbidden, message);

    public static Outcome NotFound(string message) => Failed(OutcomeKind.NotFound, message);

    public static Outcome NotAcceptable(string message) => Failed(OutcomeKind.NotAcceptable, message);

    public static Outcome Conflict(string message) => Failed(OutcomeKind.Conflict, message);

    /// <summary>A conflict caused by one field's value (a name taken).</summary>
    public static Outcome Conflict(string field, string message) => new(OutcomeKind.Conflict, [new(message, field)]);

    public static Outcome Unprocessable(string message) => Failed(OutcomeKind.Unprocessable, message);

    public static Outcome Unavailable(string message) => Failed(OutcomeKind.Unavailable, message);

    public static Outcome TooManyRequests(string message, TimeSpan? retryAfter = null) =>
        Failed(OutcomeKind.TooManyRequests, message) with { RetryAfter = retryAfter };

    /// <summary>Messages by <see cref="OutcomeError.Location"/>, as ProblemDetails <c>errors</c> holds them.</summary>
    public Dictionary<string, string[]> ByLocation() =>
        Errors.GroupBy(e => e.Location).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray());

    /// <summary>The first field an error names, where a form shows the error; null for none.</summary>
    public string? Field => Errors.FirstOrDefault(e => e.Field is not null)?.Field;

    /// <summary>The messages of one field ("" for none in particular), one a line; null when it has none.</summary>
    public string? ErrorFor(string field)
    {
        var messages = Errors.Where(e => (e.Field ?? string.Empty) == field).Select(e => e.Message).ToList();
        return messages.Count == 0 ? null : string.Join('\n', messages);
    }

    private static Outcome Failed(OutcomeKind kind, string message)
    {
        if (kind == OutcomeKind.Done)
        {
            throw new ArgumentOutOfRangeException(nameof(kind), "A failure is not Done.");
        }

        return new(kind, [new OutcomeError(message)]);
    }
}

/// <summary>
/// An <see cref="Outcome"/> that carries the <see cref="Value"/> a success produced. A failure converts to it
/// implicitly, so a service returns <c>Outcome.NotFound(…)</c> or the value itself.
/// </summary>
public sealed record Outcome<T>(Outcome Result, T? Value)
{
    public OutcomeKind Kind => Result.Kind;

    public IReadOnlyList<OutcomeError> Errors => Result.Errors;

    public bool Succeeded => Result.Succeeded;

    public string Message => Result.Message;

    public string? Field => Result.Field;

    public string? ErrorFor(string field) => Result.ErrorFor(field);

    public static implicit operator Outcome<T>(Outcome result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Succeeded
            ? throw new ArgumentException("Only a failure converts; a success needs its value.", nameof(result))
            : new(result, default);
    }

    public static implicit operator Outcome<T>(T value) => new(Outcome.Done, value);
}
