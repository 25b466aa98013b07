using System.Text;

namespace EdgeRuntime.Device.Telemetry;

public sealed partial class TelemetryStore
{
    /// <summary>
    /// The last string read from a column of few distinct values (type, model, version): consecutive records mostly
    /// repeat them, so reading a range allocates one string per change rather than one per row.
    /// </summary>
    private sealed class RecentText
    {
        private byte[] _utf8 = [];
        private string _text = "";

        public string Get(ReadOnlySpan<byte> utf8)
        {
            if (!utf8.SequenceEqual(_utf8))
            {
                _utf8 = utf8.ToArray();
                _text = Encoding.UTF8.GetString(utf8);
            }

            return _text;
        }
    }
}
