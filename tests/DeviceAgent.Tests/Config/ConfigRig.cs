using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Fleet.DeviceAgent.Config;
using Fleet.DeviceAgent.Tests.Updates;
using Fleet.DeviceAgent.Updates;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.DeviceAgent.Tests.Config;

/// <summary>
/// A live-config test host: the fake OS (its systemctl stand-in records daemon-reload and keeps enabled
/// units), a temp root with a passwd holding <c>core</c>, and a coordinator applying into that root.
/// </summary>
internal sealed class ConfigRig : IDisposable
{
    public const int CoreUid = 1000;

    private readonly FakeOs _os = new();
    private readonly HttpClient _http = new();

    public ConfigRig(bool reapplyOnDrift = false)
    {
        Write("etc/passwd", $"root:x:0:0:root:/root:/bin/bash\ncore:x:{CoreUid}:{CoreUid}:CoreOS Admin:/var/home/core:/bin/bash\n");
        Write("etc/group", $"root:x:0:\ncore:x:{CoreUid}:\n");
        Directory.CreateDirectory(Path.Combine(Root, "var/home/core"));
        Applier = new ConfigApplier(Root, new ContentFetcher(_http), new SystemctlCli(_os.Runner), Ledger);
        Coordinator = new ConfigCoordinator(
            Applier,
            new ContentFetcher(_http),
            Options.Create(new ConfigAgentOptions { ReapplyOnDrift = reapplyOnDrift }),
            Time,
            NullLogger<ConfigCoordinator>.Instance);
    }

    /// <summary>Where the config is applied; also the fake OS's host root.</summary>
    public string Root => _os.Root;

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 26, 9, 0, 0, TimeSpan.Zero));

    public InMemoryConfigLedger Ledger { get; } = new();

    public ConfigApplier Applier { get; }

    public ConfigCoordinator Coordinator { get; }

    /// <summary>Every systemctl invocation so far.</summary>
    public IReadOnlyList<string> SystemctlCalls => _os.Calls.Where(c => c.StartsWith("systemctl", StringComparison.Ordinal)).ToList();

    public IReadOnlyList<string> EnabledUnits =>
        File.Exists(Path.Combine(_os.Directory, "enabled-units")) ? File.ReadAllLines(Path.Combine(_os.Directory, "enabled-units")) : [];

    public string PathOf(string absolute) => Path.Combine(Root, absolute.TrimStart('/'));

    public string Read(string absolute) => File.ReadAllText(PathOf(absolute));

    public UnixFileMode Mode(string absolute) => File.GetUnixFileMode(PathOf(absolute));

    public void Write(string relative, string content)
    {
        var path = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    public static DesiredConfig Desired(string json, string version = "v1") =>
        new(version, Convert.ToHexStringLower(SHA512.HashData(Encoding.UTF8.GetBytes(json))), DateTimeOffset.UnixEpoch, Ignition: json);

    public void Dispose()
    {
        _http.Dispose();
        _os.Dispose();
    }
}

/// <summary>The rendered Butane pairs of the shared reference data (<see cref="Fleet.Tests.SharedInterop"/>).</summary>
internal static class ButanePairs
{
    public static string Expected(string number) =>
        File.ReadAllText(Fleet.Tests.SharedInterop.ButanePair($"{number}-expected.ign.json"));

    /// <summary>Several pairs as one config: their entry arrays concatenated, spec 3.4.0.</summary>
    public static string Merge(params string[] numbers)
    {
        var merged = new JsonObject { ["ignition"] = new JsonObject { ["version"] = "3.4.0" } };
        foreach (var number in numbers)
        {
            var config = JsonNode.Parse(Expected(number))!.AsObject();
            foreach (var (section, body) in config)
            {
                if (section == "ignition" || body is not JsonObject sectionObject)
                {
                    continue;
                }

                var target = merged[section] as JsonObject ?? (JsonObject)(merged[section] = new JsonObject());
                foreach (var (key, value) in sectionObject)
                {
                    var list = target[key] as JsonArray ?? (JsonArray)(target[key] = new JsonArray());
                    foreach (var item in value!.AsArray())
                    {
                        list.Add(item!.DeepClone());
                    }
                }
            }
        }

        return merged.ToJsonString();
    }
}
