namespace EmbedPS.Core.Projection;

/// <summary>Puts a layout that was refined from an earlier one back onto the earlier one's axes.</summary>
public static class LayoutAlignment
{
    /// <summary>
    /// Maps a layout that started from <paramref name="previous"/> back onto it: x' = a·x + b and y' = c·y + d, least squares over the
    /// shared entities. UMAP rescales its start to [0, 10] on each axis and t-SNE shrinks it; this undoes exactly that, without
    /// rotating (a layout refined from a start keeps its orientation). Returns the shared count and the median residual.
    /// </summary>
    public static (int Shared, double MedianResidual) AlignAxes(Projection projection, Projection previous)
    {
        var mine = new List<int>(); var theirs = new List<int>();
        for (int i = 0; i < projection.EntityCount; i++)
        {
            int j = previous.Entities.IndexOf(projection.Entities[i]);
            if (j >= 0) { mine.Add(i); theirs.Add(j); }
        }
        if (mine.Count < 3) return (mine.Count, double.NaN);
        static (double Scale, double Offset) Fit(float[] from, float[] to, List<int> a, List<int> b)
        {
            double mf = 0, mt = 0;
            for (int k = 0; k < a.Count; k++) { mf += from[a[k]]; mt += to[b[k]]; }
            mf /= a.Count; mt /= a.Count;
            double sft = 0, sff = 0;
            for (int k = 0; k < a.Count; k++) { double df = from[a[k]] - mf; sft += df * (to[b[k]] - mt); sff += df * df; }
            double scale = sff > 0 ? sft / sff : 1;
            return (scale, mt - scale * mf);
        }
        var (sx, ox) = Fit(projection.X, previous.X, mine, theirs);
        var (sy, oy) = Fit(projection.Y, previous.Y, mine, theirs);
        for (int i = 0; i < projection.EntityCount; i++)
        {
            projection.X[i] = (float)(sx * projection.X[i] + ox);
            projection.Y[i] = (float)(sy * projection.Y[i] + oy);
        }
        var residuals = new double[mine.Count];
        for (int k = 0; k < mine.Count; k++)
        {
            double dx = projection.X[mine[k]] - previous.X[theirs[k]], dy = projection.Y[mine[k]] - previous.Y[theirs[k]];
            residuals[k] = Math.Sqrt(dx * dx + dy * dy);
        }
        Array.Sort(residuals);
        return (mine.Count, residuals[residuals.Length / 2]);
    }
}
