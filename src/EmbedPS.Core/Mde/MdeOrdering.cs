namespace EmbedPS.Core.Mde;

/// <summary>
/// An internal vertex order for the solve that keeps graph neighbours close in memory: the evaluation reads every
/// neighbour's row at random, so an order in which a vertex's neighbours sit near it (and near the neighbours of the
/// vertices processed just before) turns most of those reads into cache hits. Breadth-first (Cuthill–McKee) order over
/// the attractive edges: each component from a pseudo-peripheral vertex (the last vertex reached by a breadth-first
/// search from its lowest-numbered vertex), each vertex's neighbours in edge order. Deterministic and linear in the
/// number of edges (two searches). Repulsive pairs are random by construction; no order helps them (the kernel prefetches
/// their rows instead).
/// </summary>
public static class MdeOrdering
{
    /// <summary>The order as <c>order[new] = old</c>; vertices without attractive edges keep their relative order, at the
    /// end of the component search that reaches them.</summary>
    public static int[] BreadthFirst(int n, int[] source, int[] target, int attractiveCount)
    {
        var offsets = new int[n + 1];
        for (int k = 0; k < attractiveCount; k++) { offsets[source[k] + 1]++; offsets[target[k] + 1]++; }
        for (int i = 0; i < n; i++) offsets[i + 1] += offsets[i];
        var adjacency = new int[offsets[n]];
        var fill = new int[n];
        Array.Copy(offsets, fill, n);
        for (int k = 0; k < attractiveCount; k++)
        {
            int i = source[k], j = target[k];
            adjacency[fill[i]++] = j;
            adjacency[fill[j]++] = i;
        }
        var order = new int[n];
        var position = new int[n];
        Array.Fill(position, -1);
        var mark = new int[n]; // scratch for the peripheral search: the round that last reached a vertex
        int placed = 0, round = 0;
        var queue = new int[n];
        for (int seed = 0; seed < n; seed++)
        {
            if (position[seed] >= 0) continue;
            // Pseudo-peripheral start: the last vertex a breadth-first search from the seed reaches.
            round++;
            int head = 0, tail = 0, last = seed;
            queue[tail++] = seed; mark[seed] = round;
            while (head < tail)
            {
                int v = queue[head++]; last = v;
                for (int e = offsets[v]; e < offsets[v + 1]; e++)
                {
                    int j = adjacency[e];
                    if (mark[j] != round) { mark[j] = round; queue[tail++] = j; }
                }
            }
            // The numbering search, from there.
            int start = placed;
            order[placed] = last; position[last] = placed; placed++;
            for (int h = start; h < placed; h++)
            {
                int v = order[h];
                for (int e = offsets[v]; e < offsets[v + 1]; e++)
                {
                    int j = adjacency[e];
                    if (position[j] < 0) { position[j] = placed; order[placed++] = j; }
                }
            }
        }
        return order;
    }

    /// <summary>The inverse of a permutation: <c>inverse[order[k]] = k</c>.</summary>
    public static int[] Inverse(int[] order)
    {
        var inverse = new int[order.Length];
        for (int k = 0; k < order.Length; k++) inverse[order[k]] = k;
        return inverse;
    }
}
