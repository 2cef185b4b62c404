using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Common;
using EmbedPS.Core.Mde;

namespace EmbedPS.Core.NeighborPreservation;

/// <summary>What <c>Invoke-Mde</c> should do with a neighbour graph: the embedding problem's configuration.</summary>
public sealed class EmbeddingConfiguration
{
    public int Dimension { get; set; } = 3;
    public PenaltyKind AttractivePenalty { get; set; } = PenaltyKind.Log1p;
    public double AttractiveExponent { get; set; } = 1.5;
    public PenaltyKind RepulsivePenalty { get; set; } = PenaltyKind.Log;
    public double RepulsiveExponent { get; set; } = 1.0;
    /// <summary>Huber threshold δ when a Huber penalty is chosen.</summary>
    public double HuberThreshold { get; set; } = 1.0;
    public ConstraintKind Constraint { get; set; } = ConstraintKind.Standardized;
    public InitKind Init { get; set; } = InitKind.Quadratic;
    public int Seed { get; set; }
    /// <summary>
    /// Row-major n × Dimension start coordinates, aligned to the graph's entities: the spectral start when <see cref="Init"/> is
    /// Quadratic (computed by Invoke-NeighborPreservation, standardized columns), the previous embedding's when it is Embedding;
    /// null for Random (the optimiser draws them from <see cref="Seed"/>).
    /// </summary>
    public float[]? InitialCoordinates { get; set; }
    /// <summary>Dense indices of anchored entities (Anchored constraint).</summary>
    public int[]? AnchorIndices { get; set; }
    /// <summary>Row-major anchors × Dimension pinned coordinates.</summary>
    public float[]? AnchorCoordinates { get; set; }

    public EmbeddingConfiguration Clone() => (EmbeddingConfiguration)MemberwiseClone();

    public override string ToString() => $"dim {Dimension}, {AttractivePenalty}/{RepulsivePenalty}, {Constraint}, init {Init}";
}

/// <summary>
/// The neighbour-preservation problem: canonical edges (i &lt; j) with a weight and a distance.
/// Positive weight = neighbour edge (2 mutual, 1 one-way); negative weight = repulsive pair.
/// </summary>
public sealed class NeighborGraph
{
    public NeighborGraph(EntityIds entities, int[] popularity, int[] edgeSource, int[] edgeTarget, float[] weights, float[] distances,
        EmbeddingConfiguration configuration, Provenance? provenance = null)
    {
        if (popularity.Length != entities.Count) throw new ArgumentException("popularity must have one entry per entity.");
        int m = edgeSource.Length;
        if (edgeTarget.Length != m || weights.Length != m || distances.Length != m) throw new ArgumentException("edge arrays must have equal length.");
        Entities = entities;
        Popularity = popularity;
        EdgeSource = edgeSource;
        EdgeTarget = edgeTarget;
        Weights = weights;
        Distances = distances;
        Configuration = configuration;
        Provenance = provenance ?? new Provenance();
        foreach (var w in weights) { if (w > 0) NeighborEdgeCount++; else if (w < 0) RepulsiveEdgeCount++; }
    }

    public EntityIds Entities { get; }
    public int[] Popularity { get; }
    public int[] EdgeSource { get; }
    public int[] EdgeTarget { get; }
    public float[] Weights { get; }
    public float[] Distances { get; }
    public EmbeddingConfiguration Configuration { get; }
    public Provenance Provenance { get; }

    public int EntityCount => Entities.Count;
    public int EdgeCount => EdgeSource.Length;
    public int NeighborEdgeCount { get; }
    public int RepulsiveEdgeCount { get; }

    public override string ToString() => $"NeighborGraph: {EntityCount:N0} entities, {NeighborEdgeCount:N0} neighbour edges, {RepulsiveEdgeCount:N0} repulsive pairs";
}
