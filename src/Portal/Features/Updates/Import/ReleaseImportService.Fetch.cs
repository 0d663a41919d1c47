using System.Text;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Security;

namespace Fleet.Portal.Features.Updates.Import;

/// <summary>Importing from URLs: fetched with a size limit per document and one timeout for all.</summary>
public sealed partial class ReleaseImportService
{
    /// <summary>Fetches the documents (http/https, <see cref="UpdateOptions.ImportMaxBytes"/> each, <see cref="UpdateOptions.ImportTimeoutSeconds"/> in all), then imports them.</summary>
    [RequiresPolicy(Policies.ManageDevices)]
    public async Task<ImportReport> ImportFromUrlsAsync(string stream, ReleaseImportUrls urls, Actor actor, CancellationToken cancellationToken = default)
    {
        if (!await authorizer.AllowedAsync(actor, Policies.ManageDevices, "stream.import", "stream", stream, cancellationToken))
        {
            return ImportReport.Failed(Outcome.Forbidden("Your role may not change update settings."));
        }

        ArgumentNullException.ThrowIfNull(urls);
        var errors = new List<OutcomeError>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(options.Value.ImportTimeoutSeconds));
        var releases = await FetchAsync(urls.ReleasesUrl, ReleaseImportParser.ReleasesField, errors, timeout.Token, cancellationToken);
        var updates = await FetchAsync(urls.UpdatesUrl, ReleaseImportParser.UpdatesField, errors, timeout.Token, cancellationToken);
        var metadata = await FetchAsync(urls.StreamMetadataUrl, ReleaseImportParser.StreamMetadataField, errors, timeout.Token, cancellationToken);
        if (errors.Count > 0)
        {
            await audit.RecordAsync(actor, "stream.import", "stream", stream, AuditOutcome.Failed, string.Join("; ", errors.Select(e => e.Message)), cancellationToken);
            return ImportReport.Failed(Outcome.Invalid(errors));
        }

        return await ApplyAsync(stream, new ReleaseImportDocuments(releases, updates, metadata), actor, cancellationToken);
    }

    private async Task<string?> FetchAsync(
        string? url, string field, List<OutcomeError> errors, CancellationToken timeout, CancellationToken caller)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return null;
        }

        if (!Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            errors.Add(OutcomeError.At(field, $"'{url}' is not an http or https URL"));
            return null;
        }

        var max = options.Value.ImportMaxBytes;
        try
        {
            using var http = httpClients.CreateClient(HttpClientName);
            using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, timeout);
            if (!response.IsSuccessStatusCode)
            {
                errors.Add(OutcomeError.At(
                    field, $"{uri} answered {(int)response.StatusCode} {response.ReasonPhrase}"));
                return null;
            }

            if (response.Content.Headers.ContentLength > max)
            {
                errors.Add(OutcomeError.At(
                    field,
                    $"{uri} is {response.Content.Headers.ContentLength} bytes, "
                    + $"more than the limit of {max} (Fleet:Updates:ImportMaxBytes)"));
                return null;
            }

            await using var body = await response.Content.ReadAsStreamAsync(timeout);
            return await ReadLimitedAsync(body, max, timeout) ?? Fail($"{uri} is larger than the limit of {max} bytes (Fleet:Updates:ImportMaxBytes)");
        }
        catch (OperationCanceledException) when (!caller.IsCancellationRequested)
        {
            return Fail($"{uri} took longer than {options.Value.ImportTimeoutSeconds} s (Fleet:Updates:ImportTimeoutSeconds)");
        }
        catch (HttpRequestException e)
        {
            return Fail($"{uri} could not be fetched: {e.Message}");
        }

        string? Fail(string message)
        {
            errors.Add(OutcomeError.At(field, message));
            return null;
        }
    }

    /// <summary>The body as UTF-8 text, or null when it is longer than <paramref name="max"/> bytes (whatever Content-Length said).</summary>
    internal static async Task<string?> ReadLimitedAsync(Stream body, int max, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > max)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
