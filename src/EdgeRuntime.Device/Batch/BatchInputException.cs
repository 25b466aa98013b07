namespace EdgeRuntime.Device.Batch;

/// <summary>A batch input that cannot be read at all (missing, unknown format, a table that is not there), with the reason.</summary>
public sealed class BatchInputException : Exception
{
    public BatchInputException(string message)
        : base(message)
    {
    }

    public BatchInputException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
