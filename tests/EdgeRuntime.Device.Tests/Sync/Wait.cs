namespace EdgeRuntime.Device.Tests.Sync;

/// <summary>Waits for a condition with a generous deadline; never asserts how long it took.</summary>
internal static class Wait
{
    public static async Task UntilAsync(Func<bool> condition, string what, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting until {what}");
            }

            await Task.Delay(25);
        }
    }
}
