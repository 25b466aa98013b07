namespace EdgeRuntime.Device.Batch;

/// <summary>A batch job that cannot start: an unknown model or version, a path outside the allowed roots, an output holding another job's checkpoint.</summary>
public sealed class BatchJobException : Exception
{
    public BatchJobException(string message)
        : base(message)
    {
    }

    public BatchJobException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
