using Fleet.Shared.Messages;

namespace Fleet.Portal.Features.Commands;

/// <summary>How people read commands (the device page, run pages, the audit log); the protocol, the API and CSV keep
/// the wire names.</summary>
public static class CommandLabels
{
    public static string Label(string kind) => kind switch
    {
        CommandKinds.Ping => "Ping",
        CommandKinds.Reboot => "Reboot",
        CommandKinds.PowerOff => "Power off",
        CommandKinds.Rollback => "Roll back the OS",
        CommandKinds.UpdateNow => "Update now",
        CommandKinds.RestartUnit => "Restart unit",
        CommandKinds.StopUnit => "Stop unit",
        CommandKinds.StartUnit => "Start unit",
        CommandKinds.Journal => "Collect journal",
        CommandKinds.Diagnostic => "Run diagnostic",
        CommandKinds.WakeOnLan => "Send Wake-on-LAN",
        _ => kind,
    };

    public static string Label(this CommandState state) => state switch
    {
        CommandState.Held => "Held by its run",
        CommandState.Queued => "Queued",
        CommandState.Delivered => "Delivered",
        CommandState.Running => "Running",
        CommandState.Succeeded => "Succeeded",
        CommandState.Failed => "Failed",
        CommandState.Expired => "Expired",
        _ => "Cancelled",
    };
}
