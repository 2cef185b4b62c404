using System.Globalization;
using EmbedPS.Core.Common;
using static EmbedPS.Core.Common.Settings;

namespace EmbedPS.Core.Pipeline;

/// <summary>One gate a run was checked against: its name, threshold, the run's value, and whether it passed.</summary>
public sealed class PipelineGate
{
    public string Name { get; set; } = "";
    public double Threshold { get; set; }
    /// <summary>The run's value; null when it could not be measured (no served run to compare with, no metadata), which passes.</summary>
    public double? Value { get; set; }
    public bool Passed { get; set; }
    public string Meaning { get; set; } = "";

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Name} {(Name.StartsWith("Min", StringComparison.Ordinal) ? "≥" : "≤")} {Threshold:G4}: {(Value is { } v ? v.ToString("G4", CultureInfo.InvariantCulture) : "n/a")}{(Passed ? "" : " FAILED")}");
}

/// <summary>
/// The gates a run must pass before it is served (the pipeline's <c>Gates</c> section). A run that fails one is written in full,
/// marked <c>rejected</c> with every failed gate, and <c>latest</c> stays on the served run. Without a Gates section, the drop
/// gates still guard against the common failure, an upstream export cut off halfway: a run whose input lost more than half
/// its rows or entities against the served run is rejected.
/// </summary>
public static class PipelineGates
{
    public static readonly Setting<int> MinEntities = Int("MinEntities", 0, "Fewest entities in the map.", 0);
    public static readonly Setting<int> MinCollections = Int("MinCollections", 0, "Fewest collections after filtering.", 0);
    public static readonly Setting<double> MaxEntityDrop = Double("MaxEntityDrop", 0.5, "Largest fraction of the served run's entities that may be lost (1: no gate).", 0, 1);
    public static readonly Setting<double> MaxCollectionDrop = Double("MaxCollectionDrop", 1, "Largest fraction of the served run's collections that may be lost (1: no gate).", 0, 1);
    public static readonly Setting<double> MaxRowDrop = Double("MaxRowDrop", 0.5, "Largest fraction of the served run's input rows that may be lost (1: no gate).", 0, 1);
    public static readonly Setting<double> MinRecall = Double("MinRecall", 0, "Lowest neighbour recall@k of the first projection against the embedding (Quality.K).", 0, 1);
    public static readonly Setting<double> MinTrustworthiness = Double("MinTrustworthiness", 0, "Lowest trustworthiness of the first projection.", 0, 1);
    public static readonly Setting<double> MinLabelAccuracy = Double("MinLabelAccuracy", 0, "Lowest k-NN label accuracy (needs Quality.LabelProperty or Atlas.ColorProperty).", 0, 1);
    public static readonly Setting<double?> MaxMedianDisplacement = OptionalDouble("MaxMedianDisplacement", "Largest median displacement against the served map, as a fraction of its extent (no gate by default).", 0);
    public static readonly Setting<double?> MaxP95Displacement = OptionalDouble("MaxP95Displacement", "Largest 95th-percentile displacement against the served map, as a fraction of its extent (no gate by default).", 0);
    public static readonly Setting<double> MinMetadataShare = Double("MinMetadataShare", 0, "Lowest share of entities that have a metadata row.", 0, 1);
    public static readonly Setting<bool> Accept = Bool("Accept", false, "Serve a run even when it fails a gate (recorded in run.json); Invoke-EmbeddingPipeline -AcceptGates does the same for one run.");

    public static IReadOnlyList<SettingSpec> All { get; } = new SettingSpec[]
    {
        MinEntities, MinCollections, MaxEntityDrop, MaxCollectionDrop, MaxRowDrop, MinRecall, MinTrustworthiness, MinLabelAccuracy,
        MaxMedianDisplacement, MaxP95Displacement, MinMetadataShare, Accept,
    };

    /// <summary>Checks <paramref name="run"/> (its counts, quality and displacement) against the gates, comparing drops with <paramref name="served"/>.</summary>
    public static List<PipelineGate> Evaluate(IReadOnlyDictionary<string, object?> gates, PipelineRun run, PipelineRun? served)
    {
        var results = new List<PipelineGate>();
        void Minimum(Setting<int> s, double? value) { if (s.From(gates) > 0) Add(s.Name, s.From(gates), value, value is null || value >= s.From(gates), s.Help); }
        void MinimumShare(Setting<double> s, double? value) { if (s.From(gates) > 0) Add(s.Name, s.From(gates), value, value is null || value >= s.From(gates), s.Help); }
        void Maximum(string name, double? threshold, double? value, string help) { if (threshold is { } t) Add(name, t, value, value is null || value <= t, help); }
        void Add(string name, double threshold, double? value, bool passed, string help) =>
            results.Add(new PipelineGate { Name = name, Threshold = threshold, Value = value, Passed = passed, Meaning = help });
        double? Count(PipelineRun r, string key) => r.Counts.TryGetValue(key, out var v) ? v : null;
        double? Drop(string key) => served is not null && Count(served, key) is > 0 and var before && Count(run, key) is { } now ? Math.Max(0, (before - now) / before) : null;
        double? Quality(string prefix) => run.Quality.FirstOrDefault(q => q.Key.StartsWith(prefix, StringComparison.Ordinal)).Value;

        Minimum(MinEntities, Count(run, "entities"));
        Minimum(MinCollections, Count(run, "collections"));
        Maximum(MaxEntityDrop.Name, MaxEntityDrop.From(gates) < 1 ? MaxEntityDrop.From(gates) : null, Drop("entities"), MaxEntityDrop.Help);
        Maximum(MaxCollectionDrop.Name, MaxCollectionDrop.From(gates) < 1 ? MaxCollectionDrop.From(gates) : null, Drop("collections"), MaxCollectionDrop.Help);
        Maximum(MaxRowDrop.Name, MaxRowDrop.From(gates) < 1 ? MaxRowDrop.From(gates) : null, Drop("rows"), MaxRowDrop.Help);
        MinimumShare(MinRecall, Quality("recall@"));
        MinimumShare(MinTrustworthiness, Quality("trustworthiness"));
        MinimumShare(MinLabelAccuracy, Quality("label_accuracy"));
        Maximum(MaxMedianDisplacement.Name, MaxMedianDisplacement.From(gates), run.Displacement?.MedianRelative, MaxMedianDisplacement.Help);
        Maximum(MaxP95Displacement.Name, MaxP95Displacement.From(gates), run.Displacement?.P95Relative, MaxP95Displacement.Help);
        MinimumShare(MinMetadataShare, Count(run, "entities") is > 0 and var n && Count(run, "entities_with_metadata") is { } m ? m / n : null);
        return results;
    }
}
