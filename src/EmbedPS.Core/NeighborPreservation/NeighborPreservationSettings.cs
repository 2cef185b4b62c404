using EmbedPS.Core.Common;
using EmbedPS.Core.Knn;
using static EmbedPS.Core.Common.Settings;

namespace EmbedPS.Core.NeighborPreservation;

/// <summary>
/// Invoke-NeighborPreservation's options, declared once: name, default, range and help. <see cref="NeighborPreservationOptions"/>,
/// the cmdlet's parameters and the pipeline's <c>Neighbors</c> section take their defaults and ranges from here.
/// </summary>
public static class NeighborPreservationSettings
{
    public static readonly Setting<int?> NeighborCount = OptionalInt("NeighborCount", "Neighbours per entity (default from the entity count: between 5 and 15).", 1, 1000) with { Sweepable = true, Label = "graph k", Short = "nk" };
    public static readonly Setting<SimilarityNormalization> Normalize = Enum("Normalize", SimilarityNormalization.SmoothedCosine, "How co-occurrence weights are normalised.");
    public static readonly Setting<SimilarityTransform> Transform = Enum("Transform", SimilarityTransform.InverseLog, "Similarity → length.");
    public static readonly Setting<double?> MaxDistance = OptionalDouble("MaxDistance", "Neighbourhood radius (default 3 × the 75th percentile of edge lengths).", 0);
    public static readonly Setting<bool> ConnectComponents = Bool("ConnectComponents", false, "Link the graph's connected components.");
    public static readonly Setting<double> RepulsiveFraction = Double("RepulsiveFraction", 1.0, "Repulsive pairs per neighbour edge.", 0, 100);
    public static readonly Setting<KnnAlgorithm> Algorithm = Enum("Algorithm", KnnAlgorithm.Auto, "kNN search for feature vectors.");
    public static readonly Setting<int> Seed = Int("Seed", 0, "Seed of the random choices.");

    /// <summary>The options of a pipeline's <c>Neighbors</c> section (graphs from co-occurrence; no feature vectors there).</summary>
    public static IReadOnlyList<SettingSpec> All { get; } = new SettingSpec[]
    {
        NeighborCount, Normalize, Transform, MaxDistance, ConnectComponents, RepulsiveFraction, Seed,
    };

    public static NeighborPreservationOptions Resolve(IReadOnlyDictionary<string, object?> values) => new()
    {
        NeighborCount = NeighborCount.From(values),
        Normalize = Normalize.From(values),
        Transform = Transform.From(values),
        MaxDistance = MaxDistance.From(values),
        ConnectComponents = ConnectComponents.From(values),
        RepulsiveFraction = RepulsiveFraction.From(values),
        Algorithm = Algorithm.From(values),
        Seed = Seed.From(values),
    };
}
