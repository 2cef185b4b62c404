using EmbedPS.Core.Common;
using EmbedPS.Core.Knn;

namespace EmbedPS.Core.Projection;

/// <summary>
/// Neighbour recall of a layout against its input, which ConvertTo-Projection records as <c>recall@10</c>. It lives here, below
/// the quality measures (Quality/EmbeddingQuality), because the projection stage itself uses it.
/// </summary>
public static class LayoutRecall
{
    /// <summary>Mean over points of |kNN_subject(i) ∩ kNN_reference(i)| / k (both exact).</summary>
    public static double NeighborRecall(PointSet subject, PointSet reference, int k, IStageLog? log = null, CancellationToken cancellation = default)
    {
        var s = LowDimensionalKnn.Search(subject.Coordinates, subject.Count, subject.Dimension, k, log, cancellation);
        var r = LowDimensionalKnn.Search(reference.Coordinates, reference.Count, reference.Dimension, k, log, cancellation);
        return RecallOf(s, r);
    }

    public static double RecallOf(KnnResult subject, KnnResult reference)
    {
        int n = subject.Count, k = Math.Min(subject.K, reference.K);
        var hits = new int[n];
        Parallel.For(0, n, i =>
        {
            var a = subject.NeighborsOf(i)[..k];
            var b = reference.NeighborsOf(i)[..k];
            int h = 0;
            foreach (var j in a) if (b.Contains(j)) h++;
            hits[i] = h;
        });
        return hits.Sum(h => (double)h) / ((double)n * k);
    }
}
