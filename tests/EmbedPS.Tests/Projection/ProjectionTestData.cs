using EmbedPS.Core.Common;
using EmbedPS.Core.Mde;

namespace EmbedPS.Tests.Projections;

internal static class ProjectionTestData
{
    /// <summary>Gaussian blobs: <paramref name="clusters"/> centres uniform in [−spread, spread]^dim, unit-variance points, labels = cluster.</summary>
    public static (float[] Data, int[] Labels) Blobs(int count, int dimension, int clusters, int seed, double spread = 10)
    {
        var rng = new DeterministicRandom(seed, 7);
        var centres = new double[clusters * dimension];
        for (int t = 0; t < centres.Length; t++) centres[t] = (rng.NextDouble() * 2 - 1) * spread;
        var data = new float[count * dimension];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = i % clusters;
            for (int c = 0; c < dimension; c++) data[i * dimension + c] = (float)(centres[labels[i] * dimension + c] + rng.NextGaussian());
        }
        return (data, labels);
    }

    public static Embedding AsEmbedding(float[] data, int dimension)
    {
        int n = data.Length / dimension;
        return new Embedding(EntityIds.FromIntegers(Enumerable.Range(1, n).Select(i => (long)i).ToArray()), new int[n], dimension, data);
    }

    public static Dictionary<string, string> LabelMap(int[] labels) =>
        Enumerable.Range(0, labels.Length).ToDictionary(i => (i + 1).ToString(), i => "g" + labels[i]);

    public static double LabelAccuracy(float[] xy, int[] labels)
    {
        var points = new EmbedPS.Core.Projection.PointSet(EntityIds.FromIntegers(Enumerable.Range(1, labels.Length).Select(i => (long)i).ToArray()), xy, 2);
        return EmbedPS.Core.Quality.EmbeddingQuality.LabelAccuracy(points, LabelMap(labels)).Accuracy!.Value;
    }
}
