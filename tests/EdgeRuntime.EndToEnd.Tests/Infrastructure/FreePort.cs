using System.Net;
using System.Net.Sockets;

namespace EdgeRuntime.EndToEnd.Tests.Infrastructure;

/// <summary>Loopback TCP ports for brokers, which cannot report an ephemeral port they bound themselves.</summary>
internal static class FreePort
{
    /// <summary>A port the kernel just handed out and that nothing listens on now.</summary>
    public static int Next()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }

    /// <summary>Waits until something accepts connections on <paramref name="port"/>.</summary>
    public static async Task WaitListeningAsync(int port, Func<bool> hasExited, Func<string> output)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (hasExited())
            {
                throw new InvalidOperationException($"the broker exited before listening on {port}:\n{output()}");
            }

            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync(IPAddress.Loopback, port).ConfigureAwait(false);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50).ConfigureAwait(false);
            }
        }

        throw new TimeoutException($"nothing listened on {port} within 30 s:\n{output()}");
    }
}
