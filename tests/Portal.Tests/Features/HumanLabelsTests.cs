using System.Text.RegularExpressions;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Agents;
using Fleet.Portal.Features.Alerts;
using Fleet.Portal.Features.Attestation;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Configs;
using Fleet.Portal.Features.Enrollment;
using Fleet.Portal.Features.Updates;
using Fleet.Shared.Messages;

namespace Fleet.Portal.Tests.Features;

/// <summary>
/// Every value of every enum the pages show has one label, distinct within its enum, written as words: no
/// identifier casing ("DiskAbove", "MachineId") and no value that a new enum member would fall through to unseen.
/// </summary>
public sealed partial class HumanLabelsTests
{
    public static TheoryData<string, string[]> Labels() => new()
    {
        { nameof(AlertKind), Each<AlertKind>(k => k.Label()) },
        { nameof(ChannelKind), Each<ChannelKind>(k => k.Label()) },
        { nameof(IdentifierKind), Each<IdentifierKind>(k => k.Label()) },
        { nameof(RejectKind), Each<RejectKind>(k => k.Label()) },
        { nameof(ConfigSourceLanguage), Each<ConfigSourceLanguage>(k => k.Label()) },
        { nameof(ConfigScope), Each<ConfigScope>(k => k.Label()) },
        { nameof(ConfigEntryKind), Each<ConfigEntryKind>(k => k.Label()) },
        { nameof(ConfigEntryOutcome), Each<ConfigEntryOutcome>(k => k.Label()) },
        { nameof(DeviceUpdateStatus), [.. Each<DeviceUpdateStatus>(k => ((DeviceUpdateStatus?)k).Label()),
            ((DeviceUpdateStatus?)null).Label()] },
        { nameof(GreenbootStatus), [.. Each<GreenbootStatus>(k => ((GreenbootStatus?)k).Label()),
            ((GreenbootStatus?)null).Label()] },
        { nameof(UpdateAgentKind), [.. Each<UpdateAgentKind>(k => ((UpdateAgentKind?)k).Label()),
            ((UpdateAgentKind?)null).Label()] },
        { nameof(AgentUpdateResult), Each<AgentUpdateResult>(k => k.Label()) },
        { nameof(AuditSource), Each<AuditSource>(k => k.Label()) },
    };

    [Theory]
    [MemberData(nameof(Labels))]
    public void Label_EveryValue_DistinctWords(string enumName, string[] labels)
    {
        Assert.All(labels, label => Assert.False(string.IsNullOrWhiteSpace(label), enumName));
        Assert.Equal(labels.Length, labels.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.All(labels, label => Assert.DoesNotMatch(IdentifierCasing(), label));
    }

    [Fact]
    public void RolloutStatus_ApiValueOrNotReported_ReadsAsTheDevicePageDoes()
    {
        Assert.Equal("rolled back", UpdateLabels.StatusLabel(nameof(DeviceUpdateStatus.RolledBack)));
        Assert.Equal("not reported", UpdateLabels.StatusLabel("not reported"));
    }

    private static string[] Each<T>(Func<T, string> label)
        where T : struct, Enum => [.. Enum.GetValues<T>().Select(label)];

    // A lower-case letter followed by a capital inside a word: "DiskAbove", "ReEnrol", "MachineId".
    [GeneratedRegex("[a-z][A-Z]")]
    private static partial Regex IdentifierCasing();
}
