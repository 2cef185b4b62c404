using EmbedPS.Core.Common;
using EmbedPS.Core.NeighborPreservation;

namespace EmbedPS.Core.Mde;

/// <summary>
/// The start of the optimisation, computed from the graph and the configuration: the spectral (quadratic) start, the
/// coordinates of a previous embedding matched by entity id, or none (the optimiser then draws a seeded random start).
/// </summary>
public static class MdeStart
{
    /// <summary>Row-major n × Dimension start coordinates for <paramref name="configuration"/>, or null for a random start.</summary>
    public static float[]? Coordinates(NeighborGraph graph, EmbeddingConfiguration configuration, IStageLog? log = null, CancellationToken cancellation = default)
    {
        log ??= StageLog.Null;
        if (configuration.InitialCoordinates is { } given) return given;
        return configuration.Init switch
        {
            InitKind.Quadratic => Spectral(graph, configuration.Dimension, configuration.Seed, log, cancellation),
            InitKind.Embedding => AlignEmbedding(graph.Entities, configuration.InitialEmbedding
                ?? throw new EmbedPSException("MissingInitEmbedding", EmbedPSErrorKind.InvalidArgument, "-Init Embedding needs -InitialEmbedding, the embedding to start from."),
                configuration.Dimension, configuration.Seed, log),
            _ => null,
        };
    }

    /// <summary>
    /// The spectral start of the graph's neighbour edges (<see cref="SpectralInit"/>). When those edges leave several connected
    /// components, each smaller component's most popular entity is linked (weight 1) to the largest component's, for the start
    /// only: otherwise each component's indicator vector is an eigenvector of eigenvalue 0, and a few isolated entities would
    /// take over the smallest eigenvectors (PyMDE's trap).
    /// </summary>
    public static float[] Spectral(NeighborGraph graph, int dimension, int seed, IStageLog? log = null, CancellationToken cancellation = default) =>
        Spectral(graph.EntityCount, graph.EdgeSource, graph.EdgeTarget, graph.Weights, graph.Popularity, null, dimension, seed, log, cancellation);

    /// <summary>The spectral start of the edges with positive weight among (source, target, weights) over n entities, where
    /// the vertices may be a renumbering of the graph's: <paramref name="order"/> (null: none) gives each vertex's index in
    /// the graph, <paramref name="popularity"/> is indexed by the graph's numbering. Hubs, the largest component and the
    /// random draws are all chosen by the graph's numbering, so the start is the same whatever the renumbering.</summary>
    public static float[] Spectral(int n, int[] edgeSource, int[] edgeTarget, float[] edgeWeights, int[] popularity, int[]? order, int dimension, int seed,
        IStageLog? log = null, CancellationToken cancellation = default)
    {
        int Original(int v) => order is null ? v : order[v];
        log ??= StageLog.Null;
        int positive = 0;
        foreach (var w in edgeWeights) if (w > 0) positive++;
        var source = new List<int>(positive);
        var target = new List<int>(positive);
        var weights = new List<float>(positive);
        var components = new Components(n);
        for (int e = 0; e < edgeWeights.Length; e++)
        {
            if (!(edgeWeights[e] > 0)) continue;
            source.Add(edgeSource[e]); target.Add(edgeTarget[e]); weights.Add(edgeWeights[e]);
            components.Union(edgeSource[e], edgeTarget[e]);
        }
        var (labels, sizes) = components.Label();
        if (sizes.Length > 1)
        {
            // Each component's most popular entity (ties: the lowest graph index); the largest component (ties: the one
            // holding the lowest graph index).
            var hub = new int[sizes.Length];
            var first = new int[sizes.Length];
            Array.Fill(hub, -1);
            Array.Fill(first, int.MaxValue);
            for (int i = 0; i < n; i++)
            {
                int c = labels[i], original = Original(i);
                first[c] = Math.Min(first[c], original);
                if (hub[c] < 0) { hub[c] = i; continue; }
                int best = Original(hub[c]);
                if (popularity[original] > popularity[best] || (popularity[original] == popularity[best] && original < best)) hub[c] = i;
            }
            int largest = 0;
            for (int c = 1; c < sizes.Length; c++)
                if (sizes[c] > sizes[largest] || (sizes[c] == sizes[largest] && first[c] < first[largest])) largest = c;
            for (int c = 0; c < sizes.Length; c++)
            {
                if (c == largest) continue;
                source.Add(Math.Min(hub[c], hub[largest])); target.Add(Math.Max(hub[c], hub[largest])); weights.Add(1f);
            }
            log.Verbose($"The spectral start links the graph's {sizes.Length:N0} components through their most popular entities ({sizes.Length - 1:N0} edges, for the start only).");
        }
        var result = SpectralInit.Compute(n, dimension, source.ToArray(), target.ToArray(), weights.ToArray(), seed, log: log, cancellation: cancellation, rowOrder: order);
        return result.Coordinates;
    }

    public static float[] AlignEmbedding(EntityIds entities, Embedding embedding, int dimension, int seed, IStageLog log)
    {
        if (embedding.Dimension != dimension)
            throw new EmbedPSException("InitDimensionMismatch", EmbedPSErrorKind.InvalidArgument,
                $"The -InitialEmbedding has {embedding.Dimension} dimensions but -Dimension is {dimension}.");
        int n = entities.Count;
        var mean = new double[dimension];
        var spread = new double[dimension];
        int m = embedding.EntityCount;
        for (int i = 0; i < m; i++) for (int j = 0; j < dimension; j++) mean[j] += embedding.Coordinates[i * dimension + j];
        for (int j = 0; j < dimension; j++) mean[j] /= Math.Max(1, m);
        for (int i = 0; i < m; i++) for (int j = 0; j < dimension; j++) { double x = embedding.Coordinates[i * dimension + j] - mean[j]; spread[j] += x * x; }
        for (int j = 0; j < dimension; j++) spread[j] = m > 1 ? Math.Sqrt(spread[j] / (m - 1)) : 1;
        var result = new float[n * dimension];
        int missing = 0;
        for (int i = 0; i < n; i++)
        {
            int source = embedding.Entities.IndexOf(entities[i]);
            if (source >= 0)
            {
                embedding.Coordinates.AsSpan(source * dimension, dimension).CopyTo(result.AsSpan(i * dimension, dimension));
                continue;
            }
            missing++;
            var random = new DeterministicRandom(seed, 0x494E_0000L + i);
            for (int j = 0; j < dimension; j++) result[i * dimension + j] = (float)(mean[j] + spread[j] * random.NextGaussian());
        }
        if (missing > 0) log.Warning($"{missing:N0} of {n:N0} entities are not in the -InitialEmbedding; they start at random positions.");
        if (missing == n) log.Warning("No entity of the graph is in the -InitialEmbedding: check that both use the same ids.");
        return result;
    }
}
