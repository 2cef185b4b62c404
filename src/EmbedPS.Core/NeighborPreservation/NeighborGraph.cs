using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Common;

namespace EmbedPS.Core.NeighborPreservation;

/// <summary>
/// The neighbour-preservation problem: canonical edges (i &lt; j) with a weight and a distance.
/// Positive weight = neighbour edge (2 mutual, 1 one-way); negative weight = repulsive pair.
/// It is data only: how to embed it (dimension, penalties, constraint, start) is <c>Invoke-Mde</c>'s business
/// (its embedding configuration), so one graph can be re-solved with other settings.
/// </summary>
public sealed class NeighborGraph
{
    public NeighborGraph(EntityIds entities, int[] popularity, int[] edgeSource, int[] edgeTarget, float[] weights, float[] distances, Provenance? provenance = null)
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
        Provenance = provenance ?? new Provenance();
        foreach (var w in weights) { if (w > 0) NeighborEdgeCount++; else if (w < 0) RepulsiveEdgeCount++; }
    }

    public EntityIds Entities { get; }
    public int[] Popularity { get; }
    public int[] EdgeSource { get; }
    public int[] EdgeTarget { get; }
    public float[] Weights { get; }
    public float[] Distances { get; }
    public Provenance Provenance { get; }
    /// <summary>The sweepable settings this object and its upstream stages were made with (<see cref="Provenance.Settings"/>): a sweep tells its results apart by them.</summary>
    public OrderedDictionary<string, object?> Settings => Provenance.Settings;

    public int EntityCount => Entities.Count;
    public int EdgeCount => EdgeSource.Length;
    public int NeighborEdgeCount { get; }
    public int RepulsiveEdgeCount { get; }

    public override string ToString() => $"NeighborGraph: {EntityCount:N0} entities, {NeighborEdgeCount:N0} neighbour edges, {RepulsiveEdgeCount:N0} repulsive pairs";
}
