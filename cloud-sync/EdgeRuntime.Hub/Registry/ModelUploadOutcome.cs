namespace EdgeRuntime.Hub.Registry;

/// <summary>How an upload of a model version went.</summary>
internal enum ModelUploadOutcome
{
    /// <summary>A new version was registered.</summary>
    Created,

    /// <summary>The version existed with the same content: nothing changed.</summary>
    Unchanged,

    /// <summary>The version exists with other content.</summary>
    Conflict,

    /// <summary>The content is larger than <c>Hub:Artifacts:MaxBytes</c>.</summary>
    TooLarge,
}
