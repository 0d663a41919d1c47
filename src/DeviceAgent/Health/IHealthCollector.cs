namespace Fleet.DeviceAgent.Health;

/// <summary>
/// Reads one source of health data (a /proc file, a tool). A source the device does not have leaves its
/// fields null; a source that is there but fails throws, and the sampler records the failure in
/// <see cref="Shared.Messages.HealthReport.CollectorErrors"/>.
/// </summary>
public interface IHealthCollector
{
    /// <summary>Short name used in <see cref="Shared.Messages.HealthReport.CollectorErrors"/>, e.g. <c>memory</c>.</summary>
    string Name { get; }

    Task CollectAsync(HealthDraft draft, CancellationToken cancellationToken);
}

/// <summary>Produces the health report the device sends.</summary>
public interface IHealthSource
{
    /// <summary>Samples everything; never throws for a failing source (that becomes a collector error).</summary>
    Task<Shared.Messages.HealthReport> CollectAsync(long sequence, DateTimeOffset sentAt, CancellationToken cancellationToken);
}
