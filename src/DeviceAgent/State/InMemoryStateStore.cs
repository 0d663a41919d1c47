namespace Fleet.DeviceAgent.State;

/// <summary>State kept in memory only: simulated devices, and tests that need no files.</summary>
public sealed class InMemoryStateStore(AgentState? initial = null) : IStateStore
{
    private AgentState? _state = initial;

    public AgentState? Current => Volatile.Read(ref _state);

    public Task<AgentState?> LoadAsync(CancellationToken cancellationToken) => Task.FromResult(Current);

    public Task SaveAsync(AgentState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        Volatile.Write(ref _state, state);
        return Task.CompletedTask;
    }
}
