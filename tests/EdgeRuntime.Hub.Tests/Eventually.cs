namespace EdgeRuntime.Hub.Tests;

/// <summary>Waits for a condition with a generous deadline (no timing assertions: only the outcome counts).</summary>
internal static class Eventually
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    public static async Task HoldsAsync(Func<bool> condition, string what)
    {
        var until = DateTime.UtcNow + Deadline;
        while (!condition())
        {
            if (DateTime.UtcNow > until)
            {
                Assert.Fail($"timed out waiting for {what}");
            }

            await Task.Delay(50);
        }
    }

    public static async Task HoldsAsync(Func<Task<bool>> condition, string what)
    {
        var until = DateTime.UtcNow + Deadline;
        while (!await condition())
        {
            if (DateTime.UtcNow > until)
            {
                Assert.Fail($"timed out waiting for {what}");
            }

            await Task.Delay(100);
        }
    }
}
