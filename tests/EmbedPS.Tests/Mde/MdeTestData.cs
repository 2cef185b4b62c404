using EmbedPS.Core.Mde;
using EmbedPS.Core.NeighborPreservation;
using EmbedPS.Core.Knn;

namespace EmbedPS.Tests.Mde;

/// <summary>A neighbour graph and the configuration Invoke-Mde would embed it with (random start unless a test says otherwise).</summary>
internal sealed record MdeCase(NeighborGraph Graph, EmbeddingConfiguration Configuration)
{
    public int EntityCount => Graph.EntityCount;
    public int EdgeCount => Graph.EdgeCount;
    public int[] EdgeSource => Graph.EdgeSource;
    public int[] EdgeTarget => Graph.EdgeTarget;
    public float[] Weights => Graph.Weights;
    public static implicit operator NeighborGraph(MdeCase c) => c.Graph;
}

internal static class MdeTestData
{
    /// <summary>Two well-separated Gaussian blobs in 10 dims, exact kNN (k = 8) plus as many random repulsive pairs.</summary>
    public static (MdeCase Graph, int[] Labels) TwoClusters(int count = 300, ConstraintKind constraint = ConstraintKind.Centered, int seed = 5)
    {
        var (data, labels) = MdeSampleGraphs.GaussianBlobs(count, 10, 2, spread: 6.0, seed);
        var knn = VectorKnn.Exact(data, count, 10, 8);
        var configuration = new EmbeddingConfiguration { Dimension = 3, Constraint = constraint, Init = InitKind.Random, Seed = seed };
        return (new MdeCase(MdeSampleGraphs.FromKnn(knn, 1.0, seed), configuration), labels);
    }

    /// <summary>A small graph: 5 blobs, k = 6.</summary>
    public static MdeCase Small(int count = 120, ConstraintKind constraint = ConstraintKind.Centered, int dimension = 3, int seed = 3)
    {
        var (data, _) = MdeSampleGraphs.GaussianBlobs(count, 8, 5, spread: 3.0, seed);
        var knn = VectorKnn.Exact(data, count, 8, 6);
        var configuration = new EmbeddingConfiguration { Dimension = dimension, Constraint = constraint, Init = InitKind.Random, Seed = seed };
        return new MdeCase(MdeSampleGraphs.FromKnn(knn, 1.0, seed), configuration);
    }

    public static double ColumnMeanMax(float[] x, int n, int m)
    {
        double worst = 0;
        for (int a = 0; a < m; a++)
        {
            double s = 0;
            for (int i = 0; i < n; i++) s += x[i * m + a];
            worst = Math.Max(worst, Math.Abs(s / n));
        }
        return worst;
    }

    /// <summary>max |(XᵀX/n) − I|.</summary>
    public static double StandardizationError(float[] x, int n, int m)
    {
        double worst = 0;
        for (int r = 0; r < m; r++)
            for (int c = 0; c < m; c++)
            {
                double s = 0;
                for (int i = 0; i < n; i++) s += (double)x[i * m + r] * x[i * m + c];
                worst = Math.Max(worst, Math.Abs(s / n - (r == c ? 1 : 0)));
            }
        return worst;
    }
}
