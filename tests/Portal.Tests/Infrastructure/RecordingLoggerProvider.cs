using System.Collections.Concurrent;

namespace Fleet.Portal.Tests.Infrastructure;

/// <summary>
/// Keeps every log entry of a portal under test so tests can assert on the reason it logged, and tells which
/// Error and Critical entries the test did not declare (<see cref="ExpectErrors(string)"/>): a portal that logs an
/// error nobody expected fails the test that started it (<see cref="PortalInstance.DisposeAsync"/>).
/// </summary>
public sealed class RecordingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();
    private readonly ConcurrentQueue<Func<LogEntry, bool>> _expectedErrors = new();
    private event Action? Logged;

    public IReadOnlyCollection<LogEntry> Entries => _entries;

    /// <summary>The Error and Critical entries no <see cref="ExpectErrors(Func{LogEntry, bool})"/> matches.</summary>
    public IReadOnlyList<LogEntry> UnexpectedErrors =>
        _entries.Where(e => e.Level >= LogLevel.Error && !_expectedErrors.Any(expected => expected(e))).ToList();

    /// <summary>Declares that Error entries whose message or exception contains <paramref name="fragment"/> are
    /// what the test provokes.</summary>
    public void ExpectErrors(string fragment) => ExpectErrors(e =>
        e.Message.Contains(fragment, StringComparison.Ordinal)
        || (e.Exception?.ToString().Contains(fragment, StringComparison.Ordinal) ?? false));

    /// <summary>Declares that Error entries matching <paramref name="match"/> are what the test provokes.</summary>
    public void ExpectErrors(Func<LogEntry, bool> match) => _expectedErrors.Enqueue(match);

    /// <summary>Throws <see cref="UnexpectedErrorLogException"/> if the portal logged an undeclared error.</summary>
    public void ThrowIfUnexpectedErrors()
    {
        if (UnexpectedErrors is { Count: > 0 } errors)
        {
            throw new UnexpectedErrorLogException(errors);
        }
    }

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

    /// <summary>The entry with its exception in full, for a failure message.</summary>
    public string Describe() =>
        Exception is null ? $"{Level} {Category}: {Message}" : $"{Level} {Category}: {Message}\n{Exception}";
}

/// <summary>A portal under test logged Error or Critical entries the test did not declare it expects.</summary>
public sealed class UnexpectedErrorLogException(IReadOnlyList<LogEntry> errors) : Exception(
    $"The portal logged {errors.Count} error(s) the test did not expect (declare expected ones with "
    + "ExpectErrors):\n" + string.Join('\n', errors.Select(e => e.Describe())))
{
    public IReadOnlyList<LogEntry> Errors { get; } = errors;
}
