using EdgeRuntime.Contracts.Models;
using EdgeRuntime.Device.Inference;

namespace EdgeRuntime.Device.Batch;

/// <summary>Opens batch inputs by format.</summary>
public static class BatchInputs
{
    /// <summary>
    /// Opens <paramref name="options"/>' input for a model with <paramref name="modelInputs"/> (image folders are
    /// preprocessed as <paramref name="manifest"/>'s <c>preprocessing</c> says).
    /// </summary>
    /// <exception cref="BatchInputException">The input cannot be read at all, with the reason.</exception>
    public static IBatchInput Open(BatchInputOptions options, IReadOnlyList<TensorMetadata> modelInputs, ModelManifest? manifest) =>
        throw new NotSupportedException("scaffold: batch inputs are being written");
}
