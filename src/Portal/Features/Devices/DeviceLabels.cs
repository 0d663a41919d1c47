using Fleet.Portal.Features.Configs;

namespace Fleet.Portal.Features.Devices;

/// <summary>
/// A device's label: the device variable <c>labels.NAME</c> (what <c>{{device.labels.NAME}}</c> expands to in a
/// config), shown as <c>NAME</c> when its value is empty and as <c>NAME=VALUE</c> otherwise.
/// </summary>
public sealed record DeviceLabel(string Name, string Value)
{
    public override string ToString() => Value.Length == 0 ? Name : $"{Name}={Value}";
}

/// <summary>Parsing and naming of <see cref="DeviceLabel"/>s: pure functions, so the rules are unit-tested.</summary>
public static class DeviceLabels
{
    /// <summary>The device-variable name prefix that makes a variable a label.</summary>
    public const string VariablePrefix = "labels.";

    /// <summary>Longest label value accepted; a label is a tag, not a document.</summary>
    public const int MaxValueLength = 256;

    public static string VariableName(string name) => VariablePrefix + name;

    /// <summary>
    /// Reads <c>NAME</c> or <c>NAME=VALUE</c>: the name as a config variable may be named (a letter or '_' then
    /// letters, digits, '_' or '-'), the value trimmed and at most <see cref="MaxValueLength"/> characters.
    /// </summary>
    public static bool TryParse(string? text, out DeviceLabel label, out string error)
    {
        label = new DeviceLabel(string.Empty, string.Empty);
        var trimmed = text?.Trim() ?? string.Empty;
        var equals = trimmed.IndexOf('=', StringComparison.Ordinal);
        var name = (equals < 0 ? trimmed : trimmed[..equals]).Trim();
        var value = equals < 0 ? string.Empty : trimmed[(equals + 1)..].Trim();
        if (!Templating.VariableName().IsMatch(VariableName(name)))
        {
            var shown = trimmed.Length <= 40 ? trimmed : trimmed[..40] + "…";
            error = $"'{shown}': a label name is a letter or '_' then up to 55 letters, digits, '_' or '-'.";
            return false;
        }

        if (value.Length > MaxValueLength)
        {
            error = $"'{name}': a label value has at most {MaxValueLength} characters.";
            return false;
        }

        label = new DeviceLabel(name, value);
        error = string.Empty;
        return true;
    }

    /// <summary>Parses a comma-separated list (<c>lab, rack=3</c>); every error is returned, none is skipped.</summary>
    public static (IReadOnlyList<DeviceLabel> Labels, IReadOnlyList<string> Errors) ParseList(string? text)
    {
        var labels = new List<DeviceLabel>();
        var errors = new List<string>();
        foreach (var part in (text ?? string.Empty).Split(',', StringSplitOptions.TrimEntries))
        {
            if (part.Length == 0)
            {
                continue;
            }

            if (TryParse(part, out var label, out var error))
            {
                labels.RemoveAll(l => l.Name == label.Name);
                labels.Add(label);
            }
            else
            {
                errors.Add(error);
            }
        }

        return (labels, errors);
    }

    /// <summary>The label a device variable is, or null for any other variable (and for secrets).</summary>
    public static DeviceLabel? FromVariable(string name, string value, bool isSecret) =>
        !isSecret && name.StartsWith(VariablePrefix, StringComparison.Ordinal)
            ? new DeviceLabel(name[VariablePrefix.Length..], value)
            : null;
}
