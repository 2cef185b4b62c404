using EmbedPS.Core.Common;
using EmbedPS.Core.Knn;

namespace EmbedPS.Core.Projection;

/// <summary>
/// The part of UMAP that depends only on the input and -Neighbors — the exact kNN and its fuzzy simplicial set — kept for
/// the other combinations of a sweep: <c>-Neighbors 15,50 -MinDistance 0.05,0.1,0.5</c> computes two graphs, not six.
/// Keyed by the input's coordinate array (by reference) and the options the graph depends on. Thread-safe.
/// </summary>
public sealed class UmapGraphCache
{
    private readonly Dictionary<(float[] Data, int Neighbors, double LocalConnectivity, double MixRatio), SparseAffinity> _graphs = new();
    private readonly object _gate = new();

    /// <summary>Graphs computed, and graphs handed out again.</summary>
    public int Computed { get; private set; }
    public int Reused { get; private set; }

    /// <summary>The fuzzy simplicial set of <paramref name="data"/> under <paramref name="options"/>, computed on the first call only.</summary>
    public SparseAffinity GraphFor(float[] data, int count, int dimension, UmapOptions options, IStageLog log, CancellationToken cancellation)
    {
        var key = (data, options.Neighbors, options.LocalConnectivity, options.SetOperationMixRatio);
        lock (_gate)
        {
            if (_graphs.TryGetValue(key, out var known)) { Reused++; return known; }
        }
        int others = Math.Min(options.Neighbors - 1, count - 1);
        KnnResult knn = LowDimensionalKnn.Search(data, count, dimension, others, log, cancellation);
        var graph = Umap.FuzzySimplicialSet(knn, others, options);
        log.Verbose($"UMAP: {others} nearest neighbours and their fuzzy simplicial set ({graph.NonZeroCount:N0} directed edges), kept for the sweep's other combinations with -Neighbors {options.Neighbors}.");
        lock (_gate)
        {
            _graphs[key] = graph;
            Computed++;
        }
        return graph;
    }
}
