using Fleet.Shared.Messages;

namespace Fleet.Portal.Features.Configs;

/// <summary>How people read the entries of a config report; the protocol keeps the enum names.</summary>
public static class ConfigEntryLabels
{
    public static string Label(this ConfigEntryKind kind) => kind switch
    {
        ConfigEntryKind.File => "File",
        ConfigEntryKind.Directory => "Directory",
        ConfigEntryKind.Link => "Link",
        ConfigEntryKind.Unit => "Unit",
        ConfigEntryKind.Dropin => "Drop-in",
        ConfigEntryKind.SshKeys => "SSH keys",
        _ => "Storage",
    };

    public static string Label(this ConfigEntryOutcome outcome) => outcome switch
    {
        ConfigEntryOutcome.Applied => "Applied",
        ConfigEntryOutcome.Unchanged => "Unchanged",
        ConfigEntryOutcome.Failed => "Failed",
        ConfigEntryOutcome.Drifted => "Drifted",
        _ => "Needs reinstall",
    };
}
