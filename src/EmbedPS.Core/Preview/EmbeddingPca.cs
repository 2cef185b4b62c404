using EmbedPS.Core.Mde;
using MathNet.Numerics.LinearAlgebra;

namespace EmbedPS.Core.Preview;

/// <summary>
/// The 2-D view of an embedding that shows the most structure: its first two principal components (eigenvectors of the
/// d × d covariance of the coordinates with the largest eigenvalues), each signed so its largest entry is positive.
/// </summary>
public sealed record EmbeddingPca(float[] X, float[] Y, double[] VarianceShare, double[][] Components)
{
    public static EmbeddingPca Compute(Embedding embedding, CancellationToken cancellation = default)
    {
        int n = embedding.EntityCount, d = embedding.Dimension;
        var coords = embedding.Coordinates;
        var mean = new double[d];
        for (int i = 0; i < n; i++) for (int a = 0; a < d; a++) mean[a] += coords[i * d + a];
        for (int a = 0; a < d; a++) mean[a] /= Math.Max(1, n);
        // Covariance accumulated per chunk (fixed chunking, summed in order) so the result does not depend on threads.
        const int chunk = 65_536;
        int chunks = (n + chunk - 1) / chunk;
        var partial = new double[chunks][];
        Parallel.For(0, chunks, new ParallelOptions { CancellationToken = cancellation }, c =>
        {
            var s = new double[d * d];
            var row = new double[d];
            for (int i = c * chunk, end = Math.Min(n, (c + 1) * chunk); i < end; i++)
            {
                for (int a = 0; a < d; a++) row[a] = coords[i * d + a] - mean[a];
                for (int a = 0; a < d; a++) for (int b = a; b < d; b++) s[a * d + b] += row[a] * row[b];
            }
            partial[c] = s;
        });
        var cov = Matrix<double>.Build.Dense(d, d);
        for (int a = 0; a < d; a++)
        {
            for (int b = a; b < d; b++)
            {
                double sum = 0;
                foreach (var s in partial) sum += s[a * d + b];
                cov[a, b] = cov[b, a] = sum / Math.Max(1, n - 1);
            }
        }
        var evd = cov.Evd(Symmetricity.Symmetric);
        var order = Enumerable.Range(0, d).OrderByDescending(k => evd.EigenValues[k].Real).ToArray();
        double total = Math.Max(1e-300, order.Sum(k => Math.Max(0, evd.EigenValues[k].Real)));
        int take = Math.Min(2, d);
        var components = new double[take][];
        var share = new double[take];
        for (int c = 0; c < take; c++)
        {
            var v = evd.EigenVectors.Column(order[c]).ToArray();
            int big = 0;
            for (int a = 1; a < d; a++) if (Math.Abs(v[a]) > Math.Abs(v[big])) big = a;
            if (v[big] < 0) for (int a = 0; a < d; a++) v[a] = -v[a];
            components[c] = v;
            share[c] = Math.Max(0, evd.EigenValues[order[c]].Real) / total;
        }
        var x = new float[n];
        var y = new float[n];
        Parallel.For(0, n, i =>
        {
            double px = 0, py = 0;
            for (int a = 0; a < d; a++)
            {
                double centred = coords[i * d + a] - mean[a];
                px += centred * components[0][a];
                if (take > 1) py += centred * components[1][a];
            }
            x[i] = (float)px;
            y[i] = (float)py;
        });
        return new EmbeddingPca(x, y, share, components);
    }
}
