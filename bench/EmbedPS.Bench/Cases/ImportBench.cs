using System.Globalization;
using System.Text;
using EmbedPS.Core.Collections;
using EmbedPS.Core.Common;

namespace EmbedPS.Bench.Cases;

/// <summary>
/// Importing a long-format CSV (user, item, rating) with Import-EntityCollection's core, against the straightforward
/// approach: File.ReadLines + string.Split + Dictionary/HashSet grouping (duplicate pairs merged, weights summed).
/// </summary>
public abstract class ImportBenchBase : BenchCase
{
    private string _path = "";

    protected abstract int Rows { get; }
    public override string Stage => "import";
    public override string Dataset => $"CSV, {Rows / 1_000_000.0:0.#}M rows of user,item,rating";

    public override void Prepare()
    {
        _path = Path.Combine(Path.GetTempPath(), $"embedps-bench-import-{Rows}-{Environment.ProcessId}.csv");
        // Zipf-like item popularity, about 40 rows per user; popular items repeat inside a user (14% of rows), as in play logs.
        var random = new DeterministicRandom(2024);
        var temp = _path + ".tmp";
        using (var writer = new StreamWriter(temp, false, new UTF8Encoding(false), 1 << 20))
        {
            writer.Write("user_id,item_id,rating\n");
            int user = 1_000_000;
            for (int i = 0; i < Rows; i++)
            {
                if (random.NextDouble() < 0.025) user++;
                int item = (int)Math.Floor(Math.Pow(50_000, random.NextDouble()));
                writer.Write(user.ToString(CultureInfo.InvariantCulture));
                writer.Write(",anime-");
                writer.Write(item.ToString(CultureInfo.InvariantCulture));
                writer.Write(',');
                writer.Write((1 + random.NextInt(10)).ToString(CultureInfo.InvariantCulture));
                writer.Write('\n');
            }
        }
        File.Move(temp, _path, overwrite: true);
    }

    public override void Cleanup()
    {
        try { File.Delete(_path); } catch (IOException) { }
    }

    public override BenchOutcome RunCandidate()
    {
        var importer = new CollectionImporter(new CollectionImportOptions { CollectionColumn = "user_id", EntityColumn = "item_id", WeightColumn = "rating" });
        importer.ReadPath(_path, StageLog.Null, CancellationToken.None);
        var set = importer.Build();
        return new BenchOutcome { ["pairs"] = set.PairCount, ["entities"] = set.EntityCount, ["collections"] = set.CollectionCount };
    }

    public override BenchOutcome RunBaseline()
    {
        var collections = new Dictionary<string, Dictionary<string, float>>();
        var entities = new HashSet<string>();
        foreach (var line in File.ReadLines(_path).Skip(1))
        {
            if (line.Length == 0) continue;
            var fields = line.Split(',');
            if (!collections.TryGetValue(fields[0], out var members)) collections[fields[0]] = members = new Dictionary<string, float>();
            members[fields[1]] = members.GetValueOrDefault(fields[1]) + float.Parse(fields[2], CultureInfo.InvariantCulture);
            entities.Add(fields[1]);
        }
        return new BenchOutcome { ["pairs"] = collections.Values.Sum(m => m.Count), ["entities"] = entities.Count, ["collections"] = collections.Count };
    }
}

public sealed class ImportBench : ImportBenchBase
{
    protected override int Rows => 1_500_000;
    public override string? Baseline => "File.ReadLines + Split + Dictionary/HashSet grouping";
}

/// <summary>The same at 5 million rows, to show that time and memory grow linearly (no baseline: it only repeats the point).</summary>
public sealed class ImportLargeBench : ImportBenchBase
{
    protected override int Rows => 5_000_000;
}
