using Fleet.Shared;
using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Terminal;

/// <summary>What the agent accepts of a <see cref="TerminalInput"/>: every field within the protocol's bounds.
/// </summary>
internal static class TerminalRules
{
    /// <summary>Why the message is dropped; null when it is acceptable.</summary>
    public static string? Problem(TerminalInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.Kind switch
        {
            TerminalInputKind.Open when input.Columns is not (>= Protocol.MinTerminalColumns
                and <= Protocol.MaxTerminalColumns) => "columns missing or out of range",
            TerminalInputKind.Open when input.Rows is not (>= Protocol.MinTerminalRows and <= Protocol.MaxTerminalRows)
                => "rows missing or out of range",
            TerminalInputKind.Open when input.TimeLimitSeconds is not (> 0 and <= Protocol.MaxTerminalSessionSeconds)
                => "time limit missing or out of range",
            TerminalInputKind.Open when input.IdleLimitSeconds is not (> 0 and <= Protocol.MaxTerminalSessionSeconds)
                => "idle limit missing or out of range",
            TerminalInputKind.Data when string.IsNullOrEmpty(input.Data) => "data missing",
            TerminalInputKind.Data when input.Data.Length > Protocol.MaxTerminalDataLength =>
                $"{input.Data.Length} characters of data, over the {Protocol.MaxTerminalDataLength}-character limit",
            _ => null,
        };
    }
}
