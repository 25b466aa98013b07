namespace EdgeRuntime.Device.Batch;

/// <summary>What kind of refusal a <see cref="BatchJobException"/> is: the API answers each with its own status.</summary>
public enum BatchJobErrorKind
{
    /// <summary>The request itself is wrong (a bad value, a missing field, a file that is not a job's): 400.</summary>
    Invalid,

    /// <summary>The model or version it names is not in the model store: 404.</summary>
    NotFound,

    /// <summary>A path outside the allowed roots or inside the device's own state: 403.</summary>
    Forbidden,

    /// <summary>Another job holds what this one needs (its output, its lock), or the output is not this job's: 409.</summary>
    Conflict,

    /// <summary>The device failed checking or recording the job (an I/O error): 500.</summary>
    Failed,

    /// <summary>The device accepts no job for now (its job registry cannot be read): 503.</summary>
    Unavailable,
}

/// <summary>A batch job that cannot start: an unknown model or version, a path outside the allowed roots, an output holding another job's checkpoint.</summary>
public sealed class BatchJobException : Exception
{
    public BatchJobException(string message, BatchJobErrorKind kind = BatchJobErrorKind.Invalid)
        : base(message)
    {
        Kind = kind;
    }

    public BatchJobException(string message, Exception innerException, BatchJobErrorKind kind = BatchJobErrorKind.Invalid)
        : base(message, innerException)
    {
        Kind = kind;
    }

    public BatchJobErrorKind Kind { get; }
}
