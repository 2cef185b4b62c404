using EmbedPS.Core.Common;
using EmbedPS.Core.NeighborPreservation;

namespace EmbedPS.Core.Mde;

/// <summary>Where a map that should stay put starts (the nightly pipeline's AlignTo = 'latest').</summary>
public static class StableStart
{
    /// <summary>
    /// The start of a stable map: entities that persist start where they were; a new entity starts at the mean of its
    /// neighbours that persist (at the centroid when none does), so it appears near its neighbours.
    /// </summary>
    public static float[] FromPrevious(NeighborGraph graph, Embedding previous, out int matched)
    {
        int n = graph.EntityCount, d = previous.Dimension;
        var x = new float[n * d];
        var placed = new bool[n];
        var centroid = new double[d];
        matched = 0;
        for (int i = 0; i < n; i++)
        {
            int j = previous.Entities.IndexOf(graph.Entities[i]);
            if (j < 0) continue;
            for (int a = 0; a < d; a++) { x[i * d + a] = previous.Coordinates[j * d + a]; centroid[a] += previous.Coordinates[j * d + a]; }
            placed[i] = true; matched++;
        }
        for (int a = 0; a < d; a++) centroid[a] /= Math.Max(1, matched);
        var sums = new double[n * d];
        var counts = new int[n];
        for (int e = 0; e < graph.EdgeCount; e++)
        {
            if (graph.Weights[e] <= 0) continue;
            int s = graph.EdgeSource[e], t = graph.EdgeTarget[e];
            if (s == t) continue;
            if (!placed[s] && placed[t]) { for (int a = 0; a < d; a++) sums[s * d + a] += x[t * d + a]; counts[s]++; }
            if (!placed[t] && placed[s]) { for (int a = 0; a < d; a++) sums[t * d + a] += x[s * d + a]; counts[t]++; }
        }
        var random = new DeterministicRandom(17, 0x57AB);
        for (int i = 0; i < n; i++)
        {
            if (placed[i]) continue;
            for (int a = 0; a < d; a++)
                x[i * d + a] = (float)(counts[i] > 0 ? sums[i * d + a] / counts[i] : centroid[a]) + (float)(1e-3 * (random.NextDouble() - 0.5));
        }
        return x;
    }
}
