using Fleet.DeviceAgent.Runtime;
using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Updates;

/// <summary>What the device's MQTT loop exchanges with the update side. Every member is quick and thread-safe.</summary>
/// <remarks>Reports: events first, oldest first.</remarks>
public interface IDeviceUpdates : IReportSource<DeploymentReport>
{
    /// <summary>The device just connected: a fresh report is wanted.</summary>
    void OnConnected();

    /// <summary>The portal sent a policy.</summary>
    void OnPolicy(UpdatePolicy policy);

    /// <summary>
    /// A command asks for <paramref name="action"/> now; completes with what the update side did (the events of
    /// its step, or why it did nothing) once its next cycle has acted on it.
    /// </summary>
    Task<UpdateActionResult> RequestAsync(UpdateAction action, string commandId, CancellationToken cancellationToken);
}

/// <summary>What a command may ask of the update side.</summary>
public enum UpdateAction
{
    /// <summary>Roll back to the previous deployment, as a rollback command id in the policy does.</summary>
    Rollback,

    /// <summary>Look for an update now: the driver checks, or Zincati is restarted so that it checks.</summary>
    UpdateNow,
}

/// <summary>What the update side did for a command.</summary>
/// <param name="Succeeded">Whether it did what was asked (a check that finds nothing new succeeded too).</param>
/// <param name="Detail">What happened, for a person.</param>
public sealed record UpdateActionResult(bool Succeeded, string Detail);
