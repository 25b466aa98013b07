using Microsoft.Extensions.Logging;

namespace EdgeRuntime.Device.Tests.Telemetry;

/// <summary>A logger that keeps the event ids it was given, so a test can wait for a logged failure.</summary>
internal sealed class RecordingLogger<T> : ILogger<T>
{
    private readonly List<int> _eventIds = [];

    public bool Logged(int eventId)
    {
        lock (_eventIds)
        {
            return _eventIds.Contains(eventId);
        }
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
}
