using System.Collections.Concurrent;

namespace Fleet.Portal.Tests.Infrastructure;

/// <summary>Keeps every log entry of a portal under test so tests can assert on the reason it logged.</summary>
public sealed class RecordingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();
    private event Action? Logged;

    public IReadOnlyCollection<LogEntry> Entries => _entries;

    public ILogger CreateLogger(string categoryName) => new Recorder(this, categoryName);

    public void Dispose()
    {
    }

    /// <summary>Waits until an entry matching <paramref name="match"/> has been logged.</summary>
    public async Task<LogEntry> WaitForAsync(Func<LogEntry, bool> match, TimeSpan? timeout = null)
    {
        var found = new TaskCompletionSource<LogEntry>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Check()
        {
            if (_entries.FirstOrDefault(match) is { } entry)
            {
                found.TrySetResult(entry);
            }
        }

        Logged += Check;
        try
        {
            Check();
            return await found.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(20));
        }
        catch (TimeoutException)
        {
            throw new TimeoutException("No matching log entry. Logged:\n" + string.Join('\n', _entries.TakeLast(40)));
        }
        finally
        {
            Logged -= Check;
        }
    }

    private sealed class Recorder(RecordingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            owner._entries.Enqueue(new LogEntry(logLevel, category, formatter(state, exception), exception));
            owner.Logged?.Invoke();
        }
    }
}

public sealed record LogEntry(LogLevel Level, string Category, string Message, Exception? Exception)
{
    public override string ToString() => $"{Level} {Category}: {Message}{(Exception is null ? string.Empty : " " + Exception.GetType().Name)}";
}
