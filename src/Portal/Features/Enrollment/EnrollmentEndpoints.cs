using Fleet.Portal.Features.Security;
using Fleet.Portal.Features.Api;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Fleet.Portal.Features.Enrollment;

/// <summary><c>/api/v1/enrollment</c> and the credential actions under <c>/api/v1/devices/{id}</c>; the same services as the pages.</summary>
internal static class EnrollmentEndpoints
{
    /// <summary>Largest CSV accepted (about 100,000 rows).</summary>
    private const int MaxCsvBytes = 8 * 1024 * 1024;

    public static RouteGroupBuilder MapEnrollmentEndpoints(this RouteGroupBuilder api)
    {
        var e = api.MapGroup("/enrollment").WithTags("Enrolment");
        e.MapGet("/queue", async (EnrollmentService s, CancellationToken ct) =>
                TypedResults.Ok(await s.ListPendingAsync(cancellationToken: ct)))
            .RequireAuthorization(Policies.ViewFleet)
            .WithSummary("Pending devices with what they presented (MACs, machine-id, serial, token, conflict)");
        e.MapGet("/policy", async (EnrollmentService s, CancellationToken ct) => TypedResults.Ok(await s.GetPolicyAsync(ct)))
            .RequireAuthorization(Policies.ViewFleet)
            .WithSummary("Which devices are approved without a person");
        e.MapPut("/policy", async (EnrollmentPolicyInput input, EnrollmentService s, HttpContext http, CancellationToken ct) =>
                (await s.SetPolicyAsync(input, ActorOf(http), ct)).ToHttp())
            .RequireAuthorization(Policies.ManageDevices)
            .WithSummary("Set the enrolment policy");

        e.MapGet("/tokens", async (EnrollmentService s, CancellationToken ct) => TypedResults.Ok(await s.ListTokensAsync(ct)))
            .RequireAuthorization(Policies.ViewFleet)
            .WithSummary("Enrolment tokens with their use counts (never their values)");
        e.MapPost("/tokens", async (CreateTokenInput input, EnrollmentService s, HttpContext http, CancellationToken ct) =>
                (await s.CreateTokenAsync(input, ActorOf(http), ct)).ToHttp())
            .RequireAuthorization(Policies.ManageDevices)
            .WithSummary("Create an enrolment token; the answer is the only time its value is shown");
        e.MapPost("/tokens/{id:int}/revoke", async (int id, EnrollmentService s, HttpContext http, CancellationToken ct) =>
                (await s.RevokeTokenAsync(id, ActorOf(http), ct)).ToHttp())
            .RequireAuthorization(Policies.ManageDevices)
            .WithSummary("Revoke a token at once");

        e.MapGet("/pre-registrations", async (EnrollmentService s, CancellationToken ct) =>
                TypedResults.Ok(await s.ListPreRegistrationsAsync(ct)))
            .RequireAuthorization(Policies.ViewFleet)
            .WithSummary("Pre-registered devices");
        e.MapPost("/pre-registrations", async (PreRegistrationInput input, EnrollmentService s, HttpContext http,
                CancellationToken ct) => (await s.AddPreRegistrationAsync(input, ActorOf(http), ct)).ToHttp())
            .RequireAuthorization(Policies.ManageDevices)
            .WithSummary("Pre-register one device");
        e.MapPost("/pre-registrations/import", ImportAsync)
            .RequireAuthorization(Policies.ManageDevices)
            .WithSummary("Import a CSV (text/csv body; columns mac, ek_hash, hostname, group, labels); "
                + "answers the per-row report");
        e.MapPost("/pre-registrations/{id:int}/ignition-url", async (int id, EnrollmentService s, HttpContext http,
                CancellationToken ct) => (await s.IgnitionUrlAsync(id, ActorOf(http), ct)).ToHttp())
            .RequireAuthorization(Policies.ManageDevices)
            .WithSummary("The signed Ignition URL (with secrets) a pre-registered MAC's machine installs from; "
                + "makes its Pending device in the pre-registration's group");
        e.MapDelete("/pre-registrations/{id:int}", async (int id, EnrollmentService s, HttpContext http,
                CancellationToken ct) => (await s.RemovePreRegistrationAsync(id, ActorOf(http), ct)).ToHttp())
            .RequireAuthorization(Policies.ManageDevices)
            .WithSummary("Remove a pre-registration");

        e.MapGet("/reject-rules", async (EnrollmentService s, CancellationToken ct) =>
                TypedResults.Ok(await s.ListRejectRulesAsync(ct)))
            .RequireAuthorization(Policies.ViewFleet)
            .WithSummary("The reject list");
        e.MapPost("/reject-rules", async (RejectRuleInput input, EnrollmentService s, HttpContext http,
                CancellationToken ct) => (await s.AddRejectRuleAsync(input, ActorOf(http), ct)).ToHttp())
            .RequireAuthorization(Policies.ManageDevices)
            .WithSummary("Add a MAC, machine-id or enrolment id to the reject list");
        e.MapDelete("/reject-rules/{id:int}", async (int id, EnrollmentService s, HttpContext http,
                CancellationToken ct) => (await s.RemoveRejectRuleAsync(id, ActorOf(http), ct)).ToHttp())
            .RequireAuthorization(Policies.ManageDevices)
            .WithSummary("Remove a reject rule");

        e.MapPost("/claim", async (ClaimInput input, ClaimService s, HttpContext http, CancellationToken ct) =>
                (await s.ClaimAsync(input.Code, ActorOf(http), ct)).ToHttp())
            .RequireAuthorization(Policies.ManageDevices)
            .WithSummary("Claim (approve) the pending device showing this code; rate-limited per caller and portal-wide");

        var d = api.MapGroup("/devices/{id:guid}/credential").WithTags("Enrolment");
        d.MapPost("/rotate", async (Guid id, CredentialService s, HttpContext http, CancellationToken ct) =>
                (await s.RotateAsync(id, ActorOf(http), ct)).ToHttp())
            .RequireAuthorization(Policies.ManageDevices)
            .WithSummary("Send the online device a new secret; the old one dies when it reconnects with it");
        d.MapPost("/revoke", async (Guid id, CredentialService s, HttpContext http, CancellationToken ct) =>
                (await s.RevokeAsync(id, ActorOf(http), ct)).ToHttp())
            .RequireAuthorization(Policies.ManageDevices)
            .WithSummary("Kill the credential now (live session ended); a person must approve the device again");
        d.MapPost("/decommission", async (Guid id, CredentialService s, HttpContext http, CancellationToken ct) =>
                (await s.DecommissionAsync(id, ActorOf(http), ct)).ToHttp())
            .RequireAuthorization(Policies.ManageDevices)
            .WithSummary("Forget the device: credential dead now, history kept, it may enrol again as new");
        d.MapPost("/re-enrol", async (Guid id, CredentialService s, HttpContext http, CancellationToken ct) =>
                (await s.ReEnrollAsync(id, ActorOf(http), ct)).ToHttp())
            .RequireAuthorization(Policies.ManageDevices)
            .WithSummary("Kill the credential and let the enrolment policies decide afresh");
        return api;
    }

    private static async Task<Results<Ok<CsvImportReport>, OutcomeProblem>> ImportAsync(
        HttpRequest request, EnrollmentService s, HttpContext http, CancellationToken ct)
    {
        if (request.ContentLength > MaxCsvBytes)
        {
            return TooLarge().ToHttp();
        }

        var buffer = new char[MaxCsvBytes + 1];
        using var reader = new StreamReader(request.Body);
        var read = 0;
        int n;
        while (read < buffer.Length && (n = await reader.ReadAsync(buffer.AsMemory(read), ct)) > 0)
        {
            read += n;
        }

        if (read > MaxCsvBytes)
        {
            return TooLarge().ToHttp();
        }

        return (await s.ImportPreRegistrationsAsync(new string(buffer, 0, read), ActorOf(http), ct)).ToHttp();
    }

    private static Outcome<CsvImportReport> TooLarge() =>
        Outcome.Invalid("", $"The CSV is too large: at most {MaxCsvBytes} bytes (about 100,000 rows).");

    private static Actor ActorOf(HttpContext http) => Actor.FromApi(
        http.User, http.Connection.RemoteIpAddress?.ToString());
}

/// <summary>The body of a claim: the code the device shows.</summary>
public sealed record ClaimInput(string Code);
