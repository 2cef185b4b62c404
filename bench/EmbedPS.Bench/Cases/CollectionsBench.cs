using EmbedPS.Core.Collections;

namespace EmbedPS.Bench.Cases;

/// <summary>Building an EntityCollectionSet from long-format rows, against a plain Dictionary&lt;string, HashSet&lt;string&gt;&gt; grouping.</summary>
public sealed class CollectionsBuildBench : BenchCase
{
    private (string Collection, string Entity)[] _rows = Array.Empty<(string, string)>();

    public override string Stage => "collections";
    public override string Dataset => "small sample as 1.2M text rows";
    public override string? Baseline => "Dictionary<string, HashSet<string>> grouping";

    public override void Prepare()
    {
        var set = BenchData.Small.Collections;
        var rows = new List<(string, string)>();
        for (int c = 0; c < set.CollectionCount; c++)
        {
            foreach (var e in set.MembersOf(c)) rows.Add((set.Collections.GetText(c), set.Entities.GetText(e)));
        }
        _rows = rows.ToArray();
    }

    public override BenchOutcome RunCandidate()
    {
        var builder = new EntityCollectionBuilder();
        foreach (var (c, e) in _rows) builder.Add(c, e);
        var set = builder.Build();
        return new BenchOutcome { ["pairs"] = set.PairCount, ["entities"] = set.EntityCount };
    }

    public override BenchOutcome RunBaseline()
    {
        var groups = new Dictionary<string, HashSet<string>>();
        foreach (var (c, e) in _rows)
        {
            if (!groups.TryGetValue(c, out var members)) groups[c] = members = new HashSet<string>();
            members.Add(e);
        }
        return new BenchOutcome { ["pairs"] = groups.Values.Sum(g => g.Count) };
    }

    public override void Cleanup() => _rows = Array.Empty<(string, string)>();
}
