namespace EdgeRuntime.Host.Tests.Infrastructure;

/// <summary>Waits for a state the host reaches on its own (a model loaded, a request queued), polling it.</summary>
internal static class Wait
{
    /// <summary>Polls <paramref name="condition"/> until it holds; fails after 60 s, which only a broken host takes.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("condition not met within 60 s");
            }

            await Task.Delay(20);
        }
    }
}
