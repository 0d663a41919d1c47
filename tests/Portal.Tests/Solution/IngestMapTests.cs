using System.Text.RegularExpressions;
using Fleet.Portal.Ingest;
using Fleet.Portal.Messaging;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared;

namespace Fleet.Portal.Tests.Solution;

/// <summary>
/// The ingest path's shape: Messaging is transport and names no feature (nor the database); every topic a device
/// publishes on is handled by a handler inside a feature; docs/architecture.md lists every handler.
/// </summary>
public sealed partial class IngestMapTests(PortalFixture fixture) : IClassFixture<PortalFixture>
{
    [Fact]
    public void Messaging_AnyFile_NamesNoFeatureAndNoDatabase()
    {
        var offending = Directory.EnumerateFiles(Repository.PathOf("src", "Portal", "Messaging"), "*.cs")
            .SelectMany(file => File.ReadLines(file).Select((line, i) => (file, line, i)))
            .Where(l => l.line.Contains("Fleet.Portal.Features", StringComparison.Ordinal)
                || l.line.Contains("Fleet.Portal.Data", StringComparison.Ordinal)
                || FeatureOrDataReference().IsMatch(l.line))
            .Select(l => $"{Path.GetFileName(l.file)}:{l.i + 1}: {l.line.Trim()}")
            .ToList();

        Assert.Empty(offending);
    }

    [Fact]
    public void Handlers_EveryDeviceTopic_HandledInsideAFeature()
    {
        using var scope = fixture.Portal.Services.CreateScope();
        var handlers = scope.ServiceProvider.GetServices<IInboundHandler>().ToList();
        var live = scope.ServiceProvider.GetServices<ILiveMessageSink>().ToList();
        var session = new string('c', 32);
        Func<string, string>[] topics =
        [
            Topics.EnrollmentRequest, Topics.EnrollmentResponse, Topics.Heartbeat, Topics.Status, Topics.Settings,
            Topics.Deployments, Topics.UpdatePolicy, Topics.Health, Topics.Config, Topics.ConfigReport,
            Topics.Credential, Topics.AgentRelease, Topics.AgentReport, Topics.Commands, Topics.CommandResult,
            Topics.CommandUpload, id => Topics.TerminalInput(id, session), id => Topics.TerminalOutput(id, session),
        ];
        var clients = new[]
        {
            new ClientIdentity(ClientKind.Device, new string('a', 32)),
            new ClientIdentity(ClientKind.Bootstrap, "enroll-" + new string('b', 32)),
        };
        var kinds = clients.SelectMany(c => topics.Select(t => (Client: c, Topic: t(c.Id))))
            .Select(x => (x.Client, x.Topic, Parsed: Topics.TryParse(x.Topic, out var p) ? p.Kind : TopicKind.Unknown))
            .ToList();
        var published = kinds.Where(x => x.Client.MayPublish(x.Topic)).Select(x => x.Parsed).Distinct().ToList();

        // Every topic kind is built above, so a new one cannot be missed.
        Assert.Equal(Enum.GetValues<TopicKind>().Length - 1, kinds.Select(x => x.Parsed).Distinct().Count());
        Assert.DoesNotContain(TopicKind.Unknown, published);
        Assert.All(published, k => Assert.True(
            handlers.Any(h => h.Kinds.Contains(InboundKind.Of(k))) || live.Any(s => s.Kind == k), $"{k} not handled"));
        Assert.Contains(handlers, h => h.Kinds.Contains(InboundKind.ConnectionLost));
        Assert.All(handlers.Cast<object>().Concat(live), h =>
            Assert.StartsWith("Fleet.Portal.Features.", h.GetType().Namespace, StringComparison.Ordinal));
    }

    [Fact]
    public void Architecture_EveryHandler_Listed()
    {
        using var scope = fixture.Portal.Services.CreateScope();
        var architecture = File.ReadAllText(Repository.PathOf("docs", "architecture.md"));

        Assert.All(
            scope.ServiceProvider.GetServices<IInboundHandler>(),
            h => Assert.Contains($"`{h.GetType().Name}`", architecture, StringComparison.Ordinal));
    }

    // A qualified reference such as Features.Devices.X written without the Fleet.Portal prefix.
    [GeneratedRegex(@"\b(Features|Data)\.[A-Z]")]
    private static partial Regex FeatureOrDataReference();
}
