using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Fleet.Portal.Features.Api;
using Fleet.Portal.Tests.Infrastructure;

namespace Fleet.Portal.Tests.Api;

/// <summary>
/// What the exception handler answers, without a portal: ProblemDetails without the exception's text.
/// </summary>
public sealed class ProblemExceptionHandlerTests
{
    [Fact]
    public async Task TryHandle_UnexpectedOnApi_500ProblemWithoutExceptionTextAndLoggedAsError()
    {
        using var logs = new RecordingLoggerProvider();
        var (context, body) = Request("/api/v1/devices", "application/json");

        var handled = await Handler(logs).TryHandleAsync(context, Thrown(), TestContext.Current.CancellationToken);

        Assert.True(handled);
        Assert.Equal(500, context.Response.StatusCode);
        var text = System.Text.Encoding.UTF8.GetString(body.ToArray());
        Assert.Equal(500, JsonDocument.Parse(text).RootElement.GetProperty("status").GetInt32());
        Assert.DoesNotContain("database password", text, StringComparison.Ordinal);
        Assert.DoesNotContain(nameof(Thrown), text, StringComparison.Ordinal);
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Error && e.Exception is InvalidOperationException);
    }

    [Fact]
    public async Task TryHandle_UnexpectedOnAPage_LeftToTheErrorPage()
    {
        using var logs = new RecordingLoggerProvider();
        var (context, body) = Request("/devices", "text/html,application/xhtml+xml,*/*;q=0.8");

        var handled = await Handler(logs).TryHandleAsync(context, Thrown(), TestContext.Current.CancellationToken);

        Assert.False(handled);
        Assert.Equal(0, body.Length);
    }

    [Fact]
    public async Task TryHandle_BadRequestOnAPage_400ProblemWithTheReason()
    {
        using var logs = new RecordingLoggerProvider();
        var (context, body) = Request("/audit/export.csv", "text/html");
        var bad = new BadHttpRequestException("Failed to bind parameter \"int limit\" from \"lots\".");

        var handled = await Handler(logs).TryHandleAsync(context, bad, TestContext.Current.CancellationToken);

        Assert.True(handled);
        Assert.Equal(400, context.Response.StatusCode);
        var problem = JsonDocument.Parse(body.ToArray()).RootElement;
        Assert.Equal(bad.Message, problem.GetProperty("detail").GetString());
        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Warning);
    }

    private static ProblemExceptionHandler Handler(RecordingLoggerProvider logs)
    {
#pragma warning disable CA2000 // the factory only hands out loggers; the provider is disposed by the test
        var factory = new LoggerFactory([logs]);
#pragma warning restore CA2000
        return new ProblemExceptionHandler(factory.CreateLogger<ProblemExceptionHandler>());
    }

    private static (DefaultHttpContext Context, MemoryStream Body) Request(string path, string accept)
    {
        var body = new MemoryStream();
        var services = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider();
        var context = new DefaultHttpContext { RequestServices = services };
        context.Request.Path = path;
        context.Request.Headers.Accept = accept;
        context.Response.Body = body;
        return (context, body);
    }

    private static InvalidOperationException Thrown()
    {
        try
        {
            throw new InvalidOperationException("connection failed: database password rejected");
        }
        catch (InvalidOperationException e)
        {
            return e;
        }
    }
}
