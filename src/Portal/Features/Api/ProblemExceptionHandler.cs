using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Fleet.Portal.Features.Api;

/// <summary>
/// Turns exceptions into ProblemDetails without a stack trace, in every environment: a request the
/// framework could not bind (a number that is not one, a malformed JSON body, a missing antiforgery
/// token) answers its 4xx status with the framework's one-line reason; any other exception on a
/// request that is not a page answers 500 with the request id to find it in the log. Pages fall
/// through to the <c>/error</c> page.
/// </summary>
internal sealed class ProblemExceptionHandler(ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    /// <summary>Longest reason quoted back: binding messages repeat the offending value.</summary>
    private const int MaxDetailLength = 300;

    public async ValueTask<bool> TryHandleAsync(
        HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        ArgumentNullException.ThrowIfNull(exception);

        // The middleware has already pointed the request at /error; the feature keeps the path asked for.
        var path = httpContext.Features.Get<IExceptionHandlerPathFeature>()?.Path ?? httpContext.Request.Path;
        ProblemDetails problem;
        if (exception is BadHttpRequestException bad)
        {
            logger.LogInformation("Bad request {Method} {Path}: {Reason}",
                httpContext.Request.Method, path, bad.Message);
            problem = new ProblemDetails { Status = bad.StatusCode, Detail = Shorten(bad.Message) };
        }
        else if (!IsPage(path, httpContext.Request.Headers))
        {
            // Handled here, so the framework does not log it: this is the one place it is logged.
            logger.LogError(exception, "Unhandled exception on {Method} {Path}", httpContext.Request.Method, path);
            problem = new ProblemDetails
            {
                Status = StatusCodes.Status500InternalServerError,
                Detail = "The portal failed to answer this request; the error is in its log under the request id.",
            };
        }
        else
        {
            return false;
        }

        // Written as JSON even when the client's Accept names no JSON type; the defaults add the traceId.
        await TypedResults.Problem(problem).ExecuteAsync(httpContext);
        return true;
    }

    /// <summary>A browser navigating to a page (it accepts HTML); API, protocol and downloads are not.</summary>
    private static bool IsPage(PathString path, IHeaderDictionary headers) =>
        !path.StartsWithSegments(ApiServiceCollectionExtensions.Prefix)
        && headers.Accept.Any(a => a?.Contains("text/html", StringComparison.OrdinalIgnoreCase) == true);

    private static string Shorten(string text) =>
        text.Length <= MaxDetailLength ? text : string.Concat(text.AsSpan(0, MaxDetailLength), "…");
}
