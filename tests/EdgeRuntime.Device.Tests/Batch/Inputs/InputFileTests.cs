namespace EdgeRuntime.Device.Tests.Batch.Inputs;

/// <summary>What the batch input tests share: a fresh temporary folder per test for the files they read.</summary>
public abstract class InputFileTests
{
    internal InputFolder Folder { get; private set; } = null!;

    /// <summary>Creates the test's folder.</summary>
    [SetUp]
    public void CreateFolder() => Folder = new InputFolder();

    /// <summary>Deletes the test's folder.</summary>
    [TearDown]
    public void DeleteFolder() => Folder.Dispose();
}
