using Microsoft.Extensions.Logging;

namespace EdgeRuntime.Device.Tests.Batch;

/// <summary>A logger factory whose loggers keep the event ids they were given, so a test can count how often something was logged.</summary>
internal sealed class EventLog : ILoggerFactory, ILogger
{
    private readonly List<int> _eventIds = [];

    /// <summary>How many times event <paramref name="eventId"/> was logged.</summary>
    public int Count(int eventId)
    {
        lock (_eventIds)
        {
            return _eventIds.Count(id => id == eventId);
        }
    }

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_eventIds)
        {
            _eventIds.Add(eventId.Id);
        }
    }

    public void Dispose()
    {
    }
}
