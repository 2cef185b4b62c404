using EmbedPS.Core.Common;
using MathNet.Numerics.LinearAlgebra;

namespace EmbedPS.Core.Projection;

/// <summary>The similarity transform found by <see cref="ProcrustesAlignment.Fit"/>: y ≈ Scale·(x − SourceMean)·Rotation + TargetMean.</summary>
public sealed record AlignmentResult(double Scale, double[,] Rotation, double[] SourceMean, double[] TargetMean, int SharedCount, double MedianDisplacement)
{
    public bool Reflected => Rotation[0, 0] * Rotation[1, 1] - Rotation[0, 1] * Rotation[1, 0] < 0;
    public double AngleDegrees => Math.Atan2(Rotation[0, 1], Rotation[0, 0]) * 180 / Math.PI;
}

/// <summary>
/// Orthogonal Procrustes with scale (Schönemann 1966; scale as in Gower's generalised Procrustes): on the entities both
/// layouts share, centre both, M = Xᵀ Y, SVD M = U S Vᵀ, rotation R = U Vᵀ (reflections allowed), scale = tr(S)/‖X‖².
/// </summary>
public static class ProcrustesAlignment
{
    /// <summary>Aligns <paramref name="x"/>/<paramref name="y"/> (over <paramref name="entities"/>) onto <paramref name="previous"/> in place.</summary>
    public static AlignmentResult AlignInPlace(EntityIds entities, float[] x, float[] y, Projection previous)
    {
        var source = new List<int>();
        var target = new List<int>();
        for (int i = 0; i < entities.Count; i++)
        {
            int j = previous.Entities.IndexOf(entities[i]);
            if (j >= 0) { source.Add(i); target.Add(j); }
        }
        if (source.Count < 3)
            throw new EmbedPSException("AlignmentTooFewShared", EmbedPSErrorKind.InvalidData,
                $"-AlignTo: the previous projection shares only {source.Count} entities with this one; at least 3 are needed.");
        var sx = new double[source.Count]; var sy = new double[source.Count];
        var tx = new double[source.Count]; var ty = new double[source.Count];
        for (int t = 0; t < source.Count; t++) { sx[t] = x[source[t]]; sy[t] = y[source[t]]; tx[t] = previous.X[target[t]]; ty[t] = previous.Y[target[t]]; }
        var fit = Fit(sx, sy, tx, ty);
        Apply(fit, x, y);
        var displacement = new double[source.Count];
        for (int t = 0; t < source.Count; t++)
        {
            double dx = x[source[t]] - tx[t], dy = y[source[t]] - ty[t];
            displacement[t] = Math.Sqrt(dx * dx + dy * dy);
        }
        Array.Sort(displacement);
        double median = displacement.Length % 2 == 1 ? displacement[displacement.Length / 2]
            : (displacement[displacement.Length / 2 - 1] + displacement[displacement.Length / 2]) / 2;
        return fit with { MedianDisplacement = median };
    }

    public static AlignmentResult Fit(double[] sx, double[] sy, double[] tx, double[] ty)
    {
        int n = sx.Length;
        double msx = sx.Average(), msy = sy.Average(), mtx = tx.Average(), mty = ty.Average();
        var m = Matrix<double>.Build.Dense(2, 2);
        double norm = 0;
        for (int t = 0; t < n; t++)
        {
            double ax = sx[t] - msx, ay = sy[t] - msy, bx = tx[t] - mtx, by = ty[t] - mty;
            m[0, 0] += ax * bx; m[0, 1] += ax * by; m[1, 0] += ay * bx; m[1, 1] += ay * by;
            norm += ax * ax + ay * ay;
        }
        var svd = m.Svd(true);
        var r = svd.U * svd.VT;
        double scale = norm > 0 ? svd.S.Sum() / norm : 1;
        var rotation = new double[2, 2] { { r[0, 0], r[0, 1] }, { r[1, 0], r[1, 1] } };
        return new AlignmentResult(scale, rotation, [msx, msy], [mtx, mty], n, double.NaN);
    }

    public static void Apply(AlignmentResult fit, float[] x, float[] y)
    {
        var r = fit.Rotation;
        for (int i = 0; i < x.Length; i++)
        {
            double ax = x[i] - fit.SourceMean[0], ay = y[i] - fit.SourceMean[1];
            x[i] = (float)(fit.Scale * (ax * r[0, 0] + ay * r[1, 0]) + fit.TargetMean[0]);
            y[i] = (float)(fit.Scale * (ax * r[0, 1] + ay * r[1, 1]) + fit.TargetMean[1]);
        }
    }
}
