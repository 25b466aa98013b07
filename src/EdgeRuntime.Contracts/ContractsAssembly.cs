namespace EdgeRuntime.Contracts;

/// <summary>Marks the contracts assembly: the wire types shared by device, hub and clients.</summary>
public static class ContractsAssembly
{
    /// <summary>The wire-contract version this build speaks.</summary>
    public const string ProtocolVersion = "v1";
}
