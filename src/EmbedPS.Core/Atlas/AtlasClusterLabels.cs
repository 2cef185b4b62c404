using EmbedPS.Core.Common;

namespace EmbedPS.Core.Atlas;

/// <summary>A label placed on a layout: shown from zoom level <see cref="Level"/> on, higher priority first.</summary>
public sealed record AtlasLabel(int Layout, float X, float Y, string Text, int Level, double Priority);

/// <summary>
/// Automatic cluster labels for one layout at three levels of detail: k-means (k-means++ seeding, Lloyd iterations on a
/// sample of at most 50,000 points) with k = 12, 48 and 192, capped at one cluster per 10 points. Each cluster is named
/// after its most popular member and placed on the member nearest its centre (a real point in a dense region, not an
/// empty spot between two lobes); its priority is its size. The viewer shows deeper levels as the zoom grows and drops
/// labels that would overlap.
/// </summary>
public static class AtlasClusterLabels
{
    private static readonly int[] ClustersPerLevel = { 12, 48, 192 };
    private const int SampleSize = 50_000;
    private const int Iterations = 12;

    public static List<AtlasLabel> Compute(int layout, float[] xy, int count, Func<int, string> label, Func<int, double> popularity, int seed, CancellationToken cancellation)
    {
        var labels = new List<AtlasLabel>();
        if (count < 20) return labels;
        var sample = Sample(count, seed);
        for (int level = 0; level < ClustersPerLevel.Length; level++)
        {
            int k = Math.Min(ClustersPerLevel[level], count / 10);
            if (k < 2) break;
            var centres = KMeans(xy, sample, k, seed + level, cancellation);
            var assignment = new int[count];
            Parallel.For(0, count, new ParallelOptions { CancellationToken = cancellation }, i => assignment[i] = Nearest(centres, k, xy[2 * i], xy[2 * i + 1]));
            var size = new int[k];
            var best = new int[k];
            var closest = new int[k];
            var closestDistance = new double[k];
            Array.Fill(best, -1);
            Array.Fill(closest, -1);
            Array.Fill(closestDistance, double.PositiveInfinity);
            for (int i = 0; i < count; i++)
            {
                int c = assignment[i];
                size[c]++;
                if (best[c] < 0 || popularity(i) > popularity(best[c])) best[c] = i;
                double dx = xy[2 * i] - centres[2 * c], dy = xy[2 * i + 1] - centres[2 * c + 1];
                double d = dx * dx + dy * dy;
                if (d < closestDistance[c]) { closestDistance[c] = d; closest[c] = i; }
            }
            for (int c = 0; c < k; c++)
            {
                if (size[c] < 3) continue;
                var anchor = closest[c];
                labels.Add(new AtlasLabel(layout, xy[2 * anchor], xy[2 * anchor + 1], label(best[c]), level, size[c]));
            }
        }
        return labels;
    }

    private static int[] Sample(int count, int seed)
    {
        if (count <= SampleSize) return Enumerable.Range(0, count).ToArray();
        // A partial Fisher–Yates shuffle: the first SampleSize entries are a uniform sample without repeats.
        var order = Enumerable.Range(0, count).ToArray();
        var random = new DeterministicRandom(seed, 7);
        for (int i = 0; i < SampleSize; i++)
        {
            int j = i + random.NextInt(count - i);
            (order[i], order[j]) = (order[j], order[i]);
        }
        Array.Resize(ref order, SampleSize);
        Array.Sort(order);
        return order;
    }

    private static double[] KMeans(float[] xy, int[] sample, int k, int seed, CancellationToken cancellation)
    {
        int n = sample.Length;
        var centres = new double[2 * k];
        var random = new DeterministicRandom(seed, 11);
        // k-means++ seeding (Arthur & Vassilvitskii 2007): each new centre drawn with probability ∝ squared distance.
        int first = sample[random.NextInt(n)];
        centres[0] = xy[2 * first]; centres[1] = xy[2 * first + 1];
        var distance = new double[n];
        for (int s = 0; s < n; s++) distance[s] = Squared(xy, sample[s], centres[0], centres[1]);
        for (int c = 1; c < k; c++)
        {
            double total = 0;
            for (int s = 0; s < n; s++) total += distance[s];
            double target = random.NextDouble() * total;
            int chosen = n - 1;
            for (int s = 0; s < n; s++) { target -= distance[s]; if (target <= 0) { chosen = s; break; } }
            int point = sample[chosen];
            centres[2 * c] = xy[2 * point]; centres[2 * c + 1] = xy[2 * point + 1];
            for (int s = 0; s < n; s++) distance[s] = Math.Min(distance[s], Squared(xy, sample[s], centres[2 * c], centres[2 * c + 1]));
        }
        var assignment = new int[n];
        for (int iteration = 0; iteration < Iterations; iteration++)
        {
            cancellation.ThrowIfCancellationRequested();
            Parallel.For(0, n, s => assignment[s] = Nearest(centres, k, xy[2 * sample[s]], xy[2 * sample[s] + 1]));
            var sum = new double[2 * k];
            var members = new int[k];
            for (int s = 0; s < n; s++)
            {
                int c = assignment[s];
                sum[2 * c] += xy[2 * sample[s]]; sum[2 * c + 1] += xy[2 * sample[s] + 1];
                members[c]++;
            }
            for (int c = 0; c < k; c++)
            {
                if (members[c] == 0) continue;
                centres[2 * c] = sum[2 * c] / members[c];
                centres[2 * c + 1] = sum[2 * c + 1] / members[c];
            }
        }
        return centres;
    }

    private static double Squared(float[] xy, int i, double cx, double cy)
    {
        double dx = xy[2 * i] - cx, dy = xy[2 * i + 1] - cy;
        return dx * dx + dy * dy;
    }

    private static int Nearest(double[] centres, int k, double x, double y)
    {
        int best = 0;
        double bestDistance = double.PositiveInfinity;
        for (int c = 0; c < k; c++)
        {
            double dx = x - centres[2 * c], dy = y - centres[2 * c + 1];
            double d = dx * dx + dy * dy;
            if (d < bestDistance) { bestDistance = d; best = c; }
        }
        return best;
    }
}
