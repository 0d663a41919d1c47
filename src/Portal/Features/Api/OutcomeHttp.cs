using System.Globalization;
using System.Reflection;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace Fleet.Portal.Features.Api;

/// <summary>
/// The one mapping of an <see cref="Outcome"/> to HTTP: a success to the endpoint's answer, every failure to an
/// RFC 9457 (7807) ProblemDetails body, <c>application/problem+json</c>, with one status, <c>type</c> and
/// <c>title</c> per <see cref="OutcomeKind"/>, the errors in <c>detail</c>, and for
/// <see cref="OutcomeKind.Invalid"/> the <c>errors</c> member keyed by where each error is (a field, a JSON
/// path, "line N"; "" for the request as a whole). Protocols that define their own error body map the same
/// outcome to it instead: FleetLock and Cincinnati to <c>{"kind","value"}</c> (<see cref="ProtocolErrorOf"/>),
/// <c>/boot.ipxe</c> to an iPXE script; OpenIddict's <c>/connect/*</c> answer OAuth errors.
/// </summary>
public static class OutcomeHttp
{
    /// <summary>A failure as its answer, for an endpoint that answers success otherwise than with a value.</summary>
    public static OutcomeProblem ToProblem(this Outcome failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        return failure.Succeeded
            ? throw new ArgumentException("Done is not a problem.", nameof(failure))
            : new(failure);
    }

    /// <summary>Done → 204 No Content.</summary>
    public static Results<NoContent, OutcomeProblem> ToHttp(this Outcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        return outcome.Succeeded ? TypedResults.NoContent() : new OutcomeProblem(outcome);
    }

    /// <summary>Done → 200 with the value.</summary>
    public static Results<Ok<T>, OutcomeProblem> ToHttp<T>(this Outcome<T> outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value) : new OutcomeProblem(outcome.Result);
    }

    /// <summary>Done → what <paramref name="done"/> makes of the value (201 Created, a file, a DTO).</summary>
    public static Results<TResult, OutcomeProblem> ToHttp<T, TResult>(this Outcome<T> outcome, Func<T, TResult> done)
        where TResult : IResult
    {
        ArgumentNullException.ThrowIfNull(outcome);
        ArgumentNullException.ThrowIfNull(done);
        return outcome.Succeeded ? done(outcome.Value!) : new OutcomeProblem(outcome.Result);
    }

    /// <summary>
    /// A failure as the <c>{"kind","value"}</c> error body of FleetLock and Cincinnati (Zincati reads
    /// <c>kind</c>): the outcome's <see cref="Outcome.Code"/> and message, with the status of its kind.
    /// </summary>
    public static JsonHttpResult<Updates.Cincinnati.ProtocolError> ProtocolErrorOf(Outcome failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        return TypedResults.Json(
            new Updates.Cincinnati.ProtocolError(failure.Code ?? failure.Kind.ToString(), failure.Message),
            Updates.Cincinnati.CincinnatiJsonContext.Default.ProtocolError,
            statusCode: StatusOf(failure.Kind));
    }

    /// <summary>The HTTP status of a kind.</summary>
    public static int StatusOf(OutcomeKind kind) => kind switch
    {
        OutcomeKind.Done => StatusCodes.Status200OK,
        OutcomeKind.Invalid => StatusCodes.Status400BadRequest,
        OutcomeKind.Forbidden => StatusCodes.Status403Forbidden,
        OutcomeKind.NotFound => StatusCodes.Status404NotFound,
        OutcomeKind.NotAcceptable => StatusCodes.Status406NotAcceptable,
        OutcomeKind.Conflict => StatusCodes.Status409Conflict,
        OutcomeKind.Unprocessable => StatusCodes.Status422UnprocessableEntity,
        OutcomeKind.TooManyRequests => StatusCodes.Status429TooManyRequests,
        OutcomeKind.Unavailable => StatusCodes.Status503ServiceUnavailable,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not an outcome kind."),
    };

    /// <summary>The ProblemDetails of a failure: status, type and title of its kind; its errors as detail.</summary>
    public static ProblemDetails ProblemOf(Outcome failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        var problem = failure.Kind == OutcomeKind.Invalid
            ? new HttpValidationProblemDetails(failure.ByLocation())
            : new ProblemDetails();
        problem.Status = StatusOf(failure.Kind);
        problem.Type = TypeOf(failure.Kind);
        problem.Title = TitleOf(failure.Kind);
        problem.Detail = failure.Message;
        if (failure.Code is { } code)
        {
            problem.Extensions["code"] = code;
        }

        return problem;
    }

    private static string TypeOf(OutcomeKind kind) => kind switch
    {
        OutcomeKind.Invalid => "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        OutcomeKind.Forbidden => "https://tools.ietf.org/html/rfc9110#section-15.5.4",
        OutcomeKind.NotFound => "https://tools.ietf.org/html/rfc9110#section-15.5.5",
        OutcomeKind.NotAcceptable => "https://tools.ietf.org/html/rfc9110#section-15.5.7",
        OutcomeKind.Conflict => "https://tools.ietf.org/html/rfc9110#section-15.5.10",
        OutcomeKind.Unprocessable => "https://tools.ietf.org/html/rfc9110#section-15.5.21",
        OutcomeKind.Unavailable => "https://tools.ietf.org/html/rfc9110#section-15.6.4",
        _ => "https://tools.ietf.org/html/rfc6585#section-4",
    };

    private static string TitleOf(OutcomeKind kind) => kind switch
    {
        OutcomeKind.Invalid => "Invalid request",
        OutcomeKind.Forbidden => "Forbidden",
        OutcomeKind.NotFound => "Not found",
        OutcomeKind.NotAcceptable => "Not acceptable",
        OutcomeKind.Conflict => "Conflict",
        OutcomeKind.Unprocessable => "Cannot be produced",
        OutcomeKind.Unavailable => "Unavailable",
        _ => "Too many requests",
    };
}

/// <summary>
/// A failed <see cref="Outcome"/> as an HTTP answer: its ProblemDetails (<see cref="OutcomeHttp.ProblemOf"/>),
/// and on a 429 or 503 <c>Retry-After</c> when the outcome says when to try again.
/// </summary>
public sealed class OutcomeProblem : IResult, IStatusCodeHttpResult, IValueHttpResult, IValueHttpResult<ProblemDetails>,
    IEndpointMetadataProvider
{
    private static readonly int[] FailureStatuses =
    [
        StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound,
        StatusCodes.Status409Conflict,
    ];

    internal OutcomeProblem(Outcome failure)
    {
        Outcome = failure;
        Value = OutcomeHttp.ProblemOf(failure);
    }

    public Outcome Outcome { get; }

    public ProblemDetails Value { get; }

    object? IValueHttpResult.Value => Value;

    public int StatusCode => Value.Status!.Value;

    int? IStatusCodeHttpResult.StatusCode => StatusCode;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        if (Outcome.RetryAfter is { } wait && Outcome.Kind is OutcomeKind.TooManyRequests or OutcomeKind.Unavailable)
        {
            httpContext.Response.Headers.RetryAfter =
                Math.Ceiling(wait.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        }

        // TypedResults.Problem answers application/problem+json whatever the Accept header names.
        return TypedResults.Problem(Value).ExecuteAsync(httpContext);
    }

    /// <summary>The statuses an API endpoint answers with ProblemDetails, for the OpenAPI document.</summary>
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        foreach (var status in FailureStatuses)
        {
            builder.Metadata.Add(
                new ProducesResponseTypeMetadata(status, typeof(ProblemDetails), ["application/problem+json"]));
        }
    }
}
