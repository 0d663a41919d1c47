using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Api;
using Fleet.Portal.Features.Configs;
using Fleet.Portal.Features.Updates;
using Fleet.Portal.Tests.Configs;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.Portal.Tests.Api;

/// <summary>
/// Every failed <see cref="Outcome"/> answers the same ProblemDetails shape, whichever endpoint: over real HTTP for
/// the kinds an endpoint can be driven to, and for every kind through the one mapping itself.
/// </summary>
public sealed class OutcomeProblemTests(OutcomeProblemTests.Fixture fixture)
    : IClassFixture<OutcomeProblemTests.Fixture>
{
    private const int AnonymousBurst = 2;

    private PortalInstance Portal => fixture.Portal;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(OutcomeKind.Invalid)]
    [InlineData(OutcomeKind.Forbidden)]
    [InlineData(OutcomeKind.NotFound)]
    [InlineData(OutcomeKind.Conflict)]
    [InlineData(OutcomeKind.TooManyRequests)]
    public async Task Endpoint_FailureOfEachKind_ProblemDetailsOfThatKind(OutcomeKind kind)
    {
        using var response = await FailAsync(kind);

        var expected = OutcomeHttp.ProblemOf(new Outcome(kind, [new OutcomeError("x")]));
        Assert.Equal(expected.Status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(expected.Status, problem.GetProperty("status").GetInt32());
        Assert.Equal(expected.Type, problem.GetProperty("type").GetString());
        Assert.Equal(expected.Title, problem.GetProperty("title").GetString());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
        Assert.Equal(kind == OutcomeKind.Invalid, problem.TryGetProperty("errors", out var errors));
        if (kind == OutcomeKind.Invalid)
        {
            Assert.Equal("must be between 1 and 500", errors.GetProperty("limit")[0].GetString());
        }

        if (kind == OutcomeKind.TooManyRequests)
        {
            Assert.NotNull(response.Headers.RetryAfter?.Delta);
        }
    }

    [Theory]
    [InlineData(OutcomeKind.Invalid, 400)]
    [InlineData(OutcomeKind.Forbidden, 403)]
    [InlineData(OutcomeKind.NotFound, 404)]
    [InlineData(OutcomeKind.NotAcceptable, 406)]
    [InlineData(OutcomeKind.Conflict, 409)]
    [InlineData(OutcomeKind.Unprocessable, 422)]
    [InlineData(OutcomeKind.TooManyRequests, 429)]
    [InlineData(OutcomeKind.Unavailable, 503)]
    public async Task Mapping_EveryKind_OneStatusTypeTitleAndTheErrorsWithTheirLocation(OutcomeKind kind, int status)
    {
        OutcomeError[] located = [new("two spaces", "storage.files.0", 7, 3), new("unknown key", "name")];
        var failure = new Outcome(kind, located)
        {
            Code = "some_code",
            RetryAfter = TimeSpan.FromSeconds(1.5),
        };
        var context = new DefaultHttpContext
        {
            RequestServices = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider(),
        };
        using var body = new MemoryStream();
        context.Response.Body = body;

        await failure.As<int>().ToHttp().ExecuteAsync(context);

        Assert.Equal(status, context.Response.StatusCode);
        Assert.Equal("application/problem+json", context.Response.ContentType);
        var problem = JsonDocument.Parse(body.ToArray()).RootElement;
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        Assert.StartsWith(
            "https://tools.ietf.org/html/rfc", problem.GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()));
        Assert.Equal(
            "line 7, column 3 (storage.files.0): two spaces unknown key", problem.GetProperty("detail").GetString());
        Assert.Equal("some_code", problem.GetProperty("code").GetString());
        var waits = kind is OutcomeKind.TooManyRequests or OutcomeKind.Unavailable;
        Assert.Equal(waits ? "2" : null, context.Response.Headers.RetryAfter.FirstOrDefault());
        if (kind == OutcomeKind.Invalid)
        {
            var errors = problem.GetProperty("errors");
            Assert.Equal("two spaces", errors.GetProperty("storage.files.0")[0].GetString());
            Assert.Equal("unknown key", errors.GetProperty("name")[0].GetString());
        }
        else
        {
            Assert.False(problem.TryGetProperty("errors", out _));
        }
    }

    [Fact]
    public void Titles_DifferPerKind()
    {
        var kinds = Enum.GetValues<OutcomeKind>().Where(k => k != OutcomeKind.Done).ToList();

        var titles = kinds.Select(k => OutcomeHttp.ProblemOf(new Outcome(k, [])).Title).Distinct().Count();
        var types = kinds.Select(k => OutcomeHttp.ProblemOf(new Outcome(k, [])).Type).Distinct().Count();

        Assert.Equal(kinds.Count, titles);
        Assert.Equal(kinds.Count, types);
    }

    /// <summary>A request that a real endpoint answers with a failure of <paramref name="kind"/>.</summary>
    private async Task<HttpResponseMessage> FailAsync(OutcomeKind kind)
    {
        switch (kind)
        {
            case OutcomeKind.Invalid:
                return await ApiTokens.GetAsync(Portal, "/api/v1/devices?limit=0", await TokenAsync("HelpDesk"));
            case OutcomeKind.Forbidden:
                // A valid signed URL (never rate limited) for a device an Operator rejected.
                var (rejected, _) = await ConfigTestSupport.AddDeviceAsync(Portal, EnrollmentState.Rejected);
                var signer = Portal.Services.GetRequiredService<IgnitionUrlSigner>();
                var signed = signer.SignedUrl(rejected, SecretMode.Omit);
                using (var anonymous = new HttpClient { BaseAddress = Portal.BaseAddress })
                {
                    return await anonymous.GetAsync(signed.PathAndQuery, Ct);
                }

            case OutcomeKind.NotFound:
                var missing = $"/api/v1/devices/{Guid.NewGuid():N}";
                return await ApiTokens.GetAsync(Portal, missing, await TokenAsync("HelpDesk"));
            case OutcomeKind.Conflict:
                using (var http = ApiTokens.Http(Portal, await TokenAsync("Operator")))
                {
                    var defaultGroup = new Uri($"/api/v1/updates/groups/{DeviceGroup.DefaultId}", UriKind.Relative);
                    return await http.DeleteAsync(defaultGroup, Ct);
                }

            default:
                // The portal's clock stands still, so unsigned requests beyond the burst are refused.
                using (var anonymous = new HttpClient { BaseAddress = Portal.BaseAddress })
                {
                    for (var i = 0; i < AnonymousBurst; i++)
                    {
                        using var allowed = await anonymous.GetAsync($"/ignition?mac=02:bb:00:00:00:{i:x2}", Ct);
                    }

                    return await anonymous.GetAsync("/ignition?mac=02:bb:00:00:00:ff", Ct);
                }
        }
    }

    private Task<string> TokenAsync(string role) => ApiTokens.GetTokenAsync(Portal, role);

    public sealed class Fixture : IAsyncLifetime
    {
        public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 12, 6, 10, 0, 0, TimeSpan.Zero));

        public PortalInstance Portal { get; private set; } = null!;

        public async ValueTask InitializeAsync() => Portal = await PortalInstance.StartAsync(
            new Dictionary<string, string?>
            {
                ["Fleet:Configs:AnonymousRequestBurst"] =
                    AnonymousBurst.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Fleet:Configs:AnonymousRequestsPerMinute"] = "60",
            },
            time: Clock);

        public async ValueTask DisposeAsync() => await Portal.DisposeAsync();
    }
}
