using EmbedPS.Core.Common;
using EmbedPS.Core.Mde;
using EmbedPS.Core.NeighborPreservation;
using EmbedPS.Core.Projection;
using EmbedPS.Core.Quality;
using EmbedPS.Core.Knn;

namespace EmbedPS.Bench.Cases;

/// <summary>3-D inputs for the projection cases: Fashion-MNIST reduced to 3-D by our exact PCA (the MDE stage is not merged
/// yet), and 50,000 points of 10 overlapping 3-D Gaussian blobs (atlas size). Both with 10 labels.</summary>
internal static class ProjectionBenchData
{
    private static (Embedding, Dictionary<string, string>)? s_fashion, s_blobs;

    public static (Embedding Embedding, Dictionary<string, string> Labels) Fashion
    {
        get
        {
            if (s_fashion is { } cached) return cached;
            var (pixels, labels, count) = FashionMnist.Load();
            var scores = PrincipalComponents.Project(pixels, count, 784, 3).Scores;
            s_fashion = (Wrap(scores, 3), LabelMap(labels));
            return s_fashion.Value;
        }
    }

    public static (Embedding Embedding, Dictionary<string, string> Labels) Blobs
    {
        get
        {
            if (s_blobs is { } cached) return cached;
            const int n = 50_000, clusters = 10;
            var rng = new DeterministicRandom(2024, 1);
            var centres = new double[clusters * 3];
            for (int t = 0; t < centres.Length; t++) centres[t] = (rng.NextDouble() * 2 - 1) * 4;
            var data = new float[n * 3];
            var labels = new int[n];
            for (int i = 0; i < n; i++)
            {
                labels[i] = i % clusters;
                for (int c = 0; c < 3; c++) data[3 * i + c] = (float)(centres[labels[i] * 3 + c] + rng.NextGaussian());
            }
            s_blobs = (Wrap(data, 3), LabelMap(labels));
            return s_blobs.Value;
        }
    }

    private static Embedding Wrap(float[] data, int dim)
    {
        int n = data.Length / dim;
        return new Embedding(EntityIds.FromIntegers(Enumerable.Range(0, n).Select(i => (long)i).ToArray()), new int[n], dim, data);
    }

    private static Dictionary<string, string> LabelMap(int[] labels) =>
        Enumerable.Range(0, labels.Length).ToDictionary(i => i.ToString(), i => labels[i].ToString());

    public static BenchOutcome Outcome(Embedding input, float[] x, float[] y, Dictionary<string, string> labels)
    {
        var subject = new PointSet(input.Entities, PointSet.Interleave(x, y), 2);
        var reference = new PointSet(input.Entities, input.Coordinates, input.Dimension);
        return new BenchOutcome
        {
            ["recall@10"] = EmbeddingQuality.NeighborRecall(subject, reference, 10),
            ["10-NN accuracy"] = EmbeddingQuality.LabelAccuracy(subject, labels).Accuracy ?? double.NaN,
            ["3-D 10-NN accuracy"] = EmbeddingQuality.LabelAccuracy(reference, labels).Accuracy ?? double.NaN,
        };
    }

    /// <summary>Naive single-threaded exact kNN (all pairs), the baseline's neighbour search.</summary>
    public static KnnResult NaiveKnn(float[] data, int n, int dim, int k)
    {
        var indices = new int[n * k]; var distances = new float[n * k];
        var bestD = new float[k]; var bestI = new int[k];
        for (int i = 0; i < n; i++)
        {
            int filled = 0;
            for (int j = 0; j < n; j++)
            {
                if (j == i) continue;
                float d = 0;
                for (int c = 0; c < dim; c++) { float t = data[i * dim + c] - data[j * dim + c]; d += t * t; }
                if (filled < k) { Insert(bestD, bestI, filled++, d, j); }
                else if (d < bestD[k - 1]) Insert(bestD, bestI, k - 1, d, j);
            }
            for (int r = 0; r < k; r++) { indices[i * k + r] = bestI[r]; distances[i * k + r] = MathF.Sqrt(bestD[r]); }
        }
        return new KnnResult(n, k, indices, distances);
    }

    private static void Insert(float[] bestD, int[] bestI, int length, float d, int j)
    {
        int p = length;
        while (p > 0 && bestD[p - 1] > d) { if (p < bestD.Length) { bestD[p] = bestD[p - 1]; bestI[p] = bestI[p - 1]; } p--; }
        if (p < bestD.Length) { bestD[p] = d; bestI[p] = j; }
    }
}

public abstract class UmapBenchBase : BenchCase
{
    protected abstract (Embedding Embedding, Dictionary<string, string> Labels) Input { get; }
    public override string Stage => "projection-umap";
    public override string? Baseline => "umap-learn's algorithm as written (seeded: sequential SGD, tail moved, 1 thread) + naive all-pairs kNN";

    public override void Prepare() => _ = Input;

    public override BenchOutcome RunCandidate()
    {
        var (embedding, labels) = Input;
        var projection = ProjectionBuilder.Build(embedding, new ProjectionRequest { Method = ProjectionMethod.Umap, ComputeQuality = false });
        return ProjectionBenchData.Outcome(embedding, projection.X, projection.Y, labels);
    }

    public override BenchOutcome RunBaseline()
    {
        var (embedding, labels) = Input;
        int n = embedding.EntityCount;
        var knn = ProjectionBenchData.NaiveKnn(embedding.Coordinates, n, embedding.Dimension, 14);
        var xy = Umap.Run(embedding.Coordinates, n, embedding.Dimension, new UmapOptions { Sequential = true }, null, default, knn);
        var x = new float[n]; var y = new float[n];
        for (int i = 0; i < n; i++) { x[i] = xy[2 * i]; y[i] = xy[2 * i + 1]; }
        return ProjectionBenchData.Outcome(embedding, x, y, labels);
    }
}

public sealed class UmapFashionBench : UmapBenchBase
{
    public override string Dataset => "Fashion-MNIST 70,000 × 3 (PCA)";
    protected override (Embedding, Dictionary<string, string>) Input => ProjectionBenchData.Fashion;
}

public sealed class UmapBlobsBench : UmapBenchBase
{
    public override string Dataset => "atlas size: 50,000 × 3 Gaussian blobs, 10 labels";
    protected override (Embedding, Dictionary<string, string>) Input => ProjectionBenchData.Blobs;
}

public abstract class TsneBenchBase : BenchCase
{
    protected abstract (Embedding Embedding, Dictionary<string, string> Labels) Input { get; }
    public override string Stage => "projection-tsne";
    // No in-process baseline (an exact t-SNE on a subsample is not like for like): scikit-learn's TSNE on the same input is
    // the peers row tsne/* (build.ps1 -Task Bench -Peers).

    public override void Prepare() => _ = Input;

    public override BenchOutcome RunCandidate()
    {
        var (embedding, labels) = Input;
        var projection = ProjectionBuilder.Build(embedding, new ProjectionRequest { Method = ProjectionMethod.Tsne, ComputeQuality = false });
        var outcome = ProjectionBenchData.Outcome(embedding, projection.X, projection.Y, labels);
        outcome["KL"] = projection.Quality["kl_divergence"];
        return outcome;
    }
}

public sealed class TsneFashionBench : TsneBenchBase
{
    public override string Dataset => "Fashion-MNIST 70,000 × 3 (PCA)";
    protected override (Embedding, Dictionary<string, string>) Input => ProjectionBenchData.Fashion;
}

public sealed class TsneBlobsBench : TsneBenchBase
{
    public override string Dataset => "atlas size: 50,000 × 3 Gaussian blobs, 10 labels";
    protected override (Embedding, Dictionary<string, string>) Input => ProjectionBenchData.Blobs;
}
