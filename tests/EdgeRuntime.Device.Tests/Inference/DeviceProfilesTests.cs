using EdgeRuntime.Device.Inference;

namespace EdgeRuntime.Device.Tests.Inference;

public sealed class DeviceProfilesTests
{
    private static string ProfilesDirectory
    {
        get
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !Directory.Exists(Path.Combine(directory.FullName, "devices", "profiles")))
            {
                directory = directory.Parent;
            }

            return Path.Combine(directory?.FullName ?? throw new DirectoryNotFoundException("devices/profiles not found above the test output"), "devices", "profiles");
        }
    }

    private static IEnumerable<string> BundledProfiles() => Directory.EnumerateFiles(ProfilesDirectory, "*.json").Order();

    [TestCaseSource(nameof(BundledProfiles))]
    public void Load_BundledProfile_IsValidAndEndsWithCpu(string path)
    {
        var profile = DeviceProfiles.Load(path);
        Assert.That(profile.Name, Is.EqualTo(Path.GetFileNameWithoutExtension(path)));
        Assert.That(profile.ExecutionProviders[^1], Is.EqualTo("CPU"), "a profile should end with CPU so every model can load somewhere");
    }

    [Test]
    public void Load_UnknownProviderAndNegativeThreads_NamesEachKey()
    {
        var path = Path.Combine(Path.GetTempPath(), $"bad-profile-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{ "name": "bad", "executionProviders": ["Warp9", "CPU"], "intraOpThreads": -2, "graphOptimizationLevel": "max" }""");
        try
        {
            var ex = Assert.Throws<InvalidDataException>(() => DeviceProfiles.Load(path));
            Assert.That(ex!.Message, Does.Contain("executionProviders: 'Warp9'"));
            Assert.That(ex.Message, Does.Contain("intraOpThreads"));
            Assert.That(ex.Message, Does.Contain("graphOptimizationLevel: 'max'"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Load_UnknownKey_IsRefusedWithItsName()
    {
        var path = Path.Combine(Path.GetTempPath(), $"typo-profile-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{ "name": "typo", "executionProvider": ["CPU"] }""");
        try
        {
            var ex = Assert.Throws<InvalidDataException>(() => DeviceProfiles.Load(path));
            Assert.That(ex!.Message, Does.Contain("executionProvider"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Load_MissingProfileName_ListsBundledOnes()
    {
        var ex = Assert.Throws<InvalidDataException>(() => DeviceProfiles.Load("no-such-profile"));
        Assert.That(ex!.Message, Does.Contain("no-such-profile"));
    }
}
