using EdgeRuntime.Contracts.Models;
using EdgeRuntime.Device.Inference;

namespace EdgeRuntime.Device.Batch;

/// <summary>Opens a batch input for a model (<see cref="BatchInputs.Open"/> in production).</summary>
internal delegate IBatchInput BatchInputOpener(BatchInputOptions options, IReadOnlyList<TensorMetadata> modelInputs, ModelManifest? manifest);
