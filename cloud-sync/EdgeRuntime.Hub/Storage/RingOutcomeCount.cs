using SQLite;

namespace EdgeRuntime.Hub.Storage;

/// <summary>How many members of one ring of a deployment have one outcome.</summary>
internal sealed class RingOutcomeCount
{
    [Column("ring")]
    public int Ring { get; set; }

    [Column("outcome")]
    public string Outcome { get; set; } = "";

    [Column("count")]
    public int Count { get; set; }
}
