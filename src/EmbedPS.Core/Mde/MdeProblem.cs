using EmbedPS.Core.Common;
using EmbedPS.Core.NeighborPreservation;

namespace EmbedPS.Core.Mde;

/// <summary>
/// The minimum-distortion problem in the form the compute back-ends use: canonical edges (i &lt; j) with weights,
/// attractive edges (w ≥ 0) first and repulsive edges (w &lt; 0) after them, each group with its penalty, plus an
/// adjacency of both directions (CSR: for each vertex, its incident edges) so that gradient rows can be summed by
/// the thread that owns the vertex, without atomics.
/// Average distortion (PyMDE): E(X) = (1/p) Σ_k w_k · p(‖x_i − x_j‖) over all p edges.
/// </summary>
public sealed class MdeProblem
{
    public MdeProblem(int entityCount, int dimension, int[] source, int[] target, float[] weights, MdePenalty attractive, MdePenalty repulsive)
        : this(entityCount, dimension, source, target, weights, attractive, repulsive, reorder: false)
    {
    }

    /// <summary>
    /// The problem, optionally renumbered: with <paramref name="reorder"/> the vertices get the breadth-first order of
    /// <see cref="MdeOrdering"/> (<see cref="Order"/> maps the problem's numbering back to the caller's), which keeps
    /// neighbours close in memory. Edges keep their order, so each vertex's incident list is summed in the same order.
    /// </summary>
    public MdeProblem(int entityCount, int dimension, int[] source, int[] target, float[] weights, MdePenalty attractive, MdePenalty repulsive, bool reorder)
    {
        if (entityCount < 2) throw new EmbedPSException("TooFewEntities", EmbedPSErrorKind.InvalidData, $"An embedding needs at least 2 entities; the graph has {entityCount}.");
        if (dimension < 1 || dimension > 64) throw new EmbedPSException("BadDimension", EmbedPSErrorKind.InvalidArgument, $"Embedding dimension must be in [1, 64], not {dimension}.");
        int p = source.Length;
        if (target.Length != p || weights.Length != p) throw new ArgumentException("edge arrays must have equal length.");
        EntityCount = entityCount;
        Dimension = dimension;
        Attractive = attractive;
        Repulsive = repulsive;

        // Stable partition: attractive (w ≥ 0, PyMDE's PushAndPull rule) then repulsive.
        int attractiveCount = 0;
        for (int k = 0; k < p; k++)
        {
            int i = source[k], j = target[k];
            if ((uint)i >= (uint)entityCount || (uint)j >= (uint)entityCount)
                throw new EmbedPSException("EdgeOutOfRange", EmbedPSErrorKind.InvalidData, $"Edge {k} joins entities {i} and {j}, outside [0, {entityCount}).") { Row = k + 1 };
            if (i == j) throw new EmbedPSException("SelfEdge", EmbedPSErrorKind.InvalidData, $"Edge {k} joins entity {i} to itself.") { Row = k + 1 };
            float w = weights[k];
            if (!float.IsFinite(w)) throw new EmbedPSException("BadWeight", EmbedPSErrorKind.InvalidData, $"Edge {k} ({i}, {j}) has weight {w}.") { Row = k + 1, Column = "weight" };
            if (w >= 0) attractiveCount++;
        }
        Source = new int[p]; Target = new int[p]; Weights = new float[p];
        int a = 0, r = attractiveCount;
        for (int k = 0; k < p; k++)
        {
            int slot = weights[k] >= 0 ? a++ : r++;
            Source[slot] = Math.Min(source[k], target[k]);
            Target[slot] = Math.Max(source[k], target[k]);
            Weights[slot] = weights[k];
        }
        AttractiveCount = attractiveCount;
        if (reorder)
        {
            Order = MdeOrdering.BreadthFirst(entityCount, Source, Target, attractiveCount);
            var position = MdeOrdering.Inverse(Order);
            for (int k = 0; k < p; k++)
            {
                int i = position[Source[k]], j = position[Target[k]];
                Source[k] = Math.Min(i, j); Target[k] = Math.Max(i, j);
            }
        }
    }

    private readonly object _incidenceLock = new();
    private Incidence? _incidence;

    private sealed record Incidence(int[] Offsets, int[] Neighbor, int[] Edge, float[] Weight, int[] AttractiveEnd);

    /// <summary>The incident lists of both directions, built on first use (the GPU path and the CPU path for dimensions
    /// above 4 use them; the CPU path for dimensions up to 4 builds its own padded lists).</summary>
    private Incidence Incident
    {
        get
        {
            if (_incidence is { } built) return built;
            lock (_incidenceLock) return _incidence ??= BuildIncidence();
        }
    }

    private Incidence BuildIncidence()
    {
        int entityCount = EntityCount, p = EdgeCount, attractiveCount = AttractiveCount;
        // Incident lists of both directions, in edge order, so sums are deterministic.
        var offsets = new int[entityCount + 1];
        for (int k = 0; k < p; k++) { offsets[Source[k] + 1]++; offsets[Target[k] + 1]++; }
        for (int i = 0; i < entityCount; i++) offsets[i + 1] += offsets[i];
        var neighbor = new int[2 * p];
        var edge = new int[2 * p];
        var fill = new int[entityCount];
        Array.Copy(offsets, fill, entityCount);
        for (int k = 0; k < p; k++)
        {
            int i = Source[k], j = Target[k];
            neighbor[fill[i]] = j; edge[fill[i]++] = k;
            neighbor[fill[j]] = i; edge[fill[j]++] = k;
        }
        // Lists are filled in edge order and attractive edges come first, so each list is attractive-then-repulsive.
        var incidentWeight = new float[2 * p];
        var attractiveEnd = new int[entityCount];
        for (int i = 0; i < entityCount; i++)
        {
            int split = offsets[i];
            for (int e = offsets[i]; e < offsets[i + 1]; e++)
            {
                incidentWeight[e] = Weights[edge[e]];
                if (edge[e] < attractiveCount) split = e + 1;
            }
            attractiveEnd[i] = split;
        }
        return new Incidence(offsets, neighbor, edge, incidentWeight, attractiveEnd);
    }

    public int EntityCount { get; }
    public int Dimension { get; }
    public int EdgeCount => Source.Length;
    /// <summary>Edges [0, AttractiveCount) use <see cref="Attractive"/>; the rest use <see cref="Repulsive"/>.</summary>
    public int AttractiveCount { get; }
    public int RepulsiveCount => EdgeCount - AttractiveCount;
    public int[] Source { get; }
    public int[] Target { get; }
    public float[] Weights { get; }
    public MdePenalty Attractive { get; }
    public MdePenalty Repulsive { get; }
    /// <summary>When the problem was renumbered: <c>Order[v]</c> is the caller's index of the problem's vertex v; else null.</summary>
    public int[]? Order { get; }
    public int[] IncidentOffsets => Incident.Offsets;
    public int[] IncidentNeighbor => Incident.Neighbor;
    public int[] IncidentEdge => Incident.Edge;
    /// <summary>Weight of each incident entry (a copy, so the CPU pass reads it sequentially).</summary>
    public float[] IncidentWeight => Incident.Weight;
    /// <summary>Per vertex, the end of its attractive incident entries (repulsive ones follow up to the next offset).</summary>
    public int[] IncidentAttractiveEnd => Incident.AttractiveEnd;

    public MdePenalty PenaltyOf(int edge) => edge < AttractiveCount ? Attractive : Repulsive;

    /// <summary>
    /// The average distortion E(X) = (1/p) Σ_k w_k · p(‖x_i − x_j‖) at <paramref name="coordinates"/> (n × m, row-major), in
    /// double precision with <see cref="MdePenalty.Value"/>: the one definition Invoke-Mde optimises and Measure-Embedding reports.
    /// </summary>
    public double AverageDistortion(ReadOnlySpan<float> coordinates)
    {
        int m = Dimension, p = EdgeCount;
        if (p == 0) return 0;
        double total = 0;
        for (int k = 0; k < p; k++)
        {
            int i = Source[k] * m, j = Target[k] * m;
            double squared = 0;
            for (int a = 0; a < m; a++) { double t = (double)coordinates[i + a] - coordinates[j + a]; squared += t * t; }
            total += Weights[k] * PenaltyOf(k).Value(Math.Sqrt(squared));
        }
        return total / p;
    }

    /// <summary>The same problem restricted to the edges whose both ends satisfy <paramref name="keep"/>.</summary>
    public MdeProblem Restrict(Func<int, bool> keep)
    {
        var kept = Enumerable.Range(0, EdgeCount).Where(k => keep(Source[k]) && keep(Target[k])).ToArray();
        if (kept.Length == EdgeCount) return this;
        return new MdeProblem(EntityCount, Dimension, kept.Select(k => Source[k]).ToArray(), kept.Select(k => Target[k]).ToArray(),
            kept.Select(k => Weights[k]).ToArray(), Attractive, Repulsive);
    }

    /// <summary>
    /// The problem of a neighbour graph. With an Anchored constraint, edges between two anchors are dropped
    /// (they carry no information; PyMDE does the same).
    /// </summary>
    public static MdeProblem FromGraph(NeighborGraph graph, EmbeddingConfiguration c, bool reorder = false)
    {
        int dimension = c.Dimension;
        var attractive = Penalty(c.AttractivePenalty, c.AttractiveExponent, c.HuberThreshold);
        var repulsive = Penalty(c.RepulsivePenalty, c.RepulsiveExponent, c.HuberThreshold);
        int[] source = graph.EdgeSource, target = graph.EdgeTarget;
        float[] weights = graph.Weights;
        if (c.Constraint == ConstraintKind.Anchored && c.AnchorIndices is { Length: > 0 } anchors)
        {
            var isAnchor = new bool[graph.EntityCount];
            foreach (var index in anchors)
            {
                if ((uint)index >= (uint)graph.EntityCount)
                    throw new EmbedPSException("AnchorOutOfRange", EmbedPSErrorKind.InvalidData, $"Anchor index {index} is outside [0, {graph.EntityCount}).") { Value = index.ToString() };
                isAnchor[index] = true;
            }
            var keep = new List<int>();
            for (int k = 0; k < source.Length; k++) if (!(isAnchor[source[k]] && isAnchor[target[k]])) keep.Add(k);
            if (keep.Count < source.Length)
            {
                source = keep.Select(k => graph.EdgeSource[k]).ToArray();
                target = keep.Select(k => graph.EdgeTarget[k]).ToArray();
                weights = keep.Select(k => graph.Weights[k]).ToArray();
            }
        }
        return new MdeProblem(graph.EntityCount, dimension, source, target, weights, attractive, repulsive, reorder);
    }

    public static MdePenalty Penalty(PenaltyKind kind, double exponent, double huberThreshold) => kind switch
    {
        PenaltyKind.Log1p or PenaltyKind.Log when !(exponent > 0) || !double.IsFinite(exponent) =>
            throw new EmbedPSException("BadPenaltyExponent", EmbedPSErrorKind.InvalidArgument, $"The {kind} penalty needs a positive exponent, not {exponent}."),
        PenaltyKind.Huber when !(huberThreshold > 0) || !double.IsFinite(huberThreshold) =>
            throw new EmbedPSException("BadHuberThreshold", EmbedPSErrorKind.InvalidArgument, $"The Huber penalty needs a positive threshold, not {huberThreshold}."),
        _ => new MdePenalty(kind, exponent, huberThreshold),
    };

    public override string ToString() => $"{EntityCount:N0} items, {EdgeCount:N0} edges ({AttractiveCount:N0} attractive {Attractive}, {RepulsiveCount:N0} repulsive {Repulsive})";
}
