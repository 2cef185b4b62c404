using System.Runtime.CompilerServices;

namespace EmbedPS.Core.Projection;

/// <summary>A square sparse matrix in CSR form (rows sorted by column), used for UMAP's fuzzy graph and t-SNE's P.</summary>
public sealed class SparseAffinity
{
    public SparseAffinity(int count, int[] rowOffsets, int[] columns, float[] values)
    {
        Count = count; RowOffsets = rowOffsets; Columns = columns; Values = values;
    }

    public int Count { get; }
    public int[] RowOffsets { get; }
    public int[] Columns { get; }
    public float[] Values { get; }
    public int NonZeroCount => Columns.Length;

    /// <summary>
    /// Symmetrises a directed kNN affinity (row i holds k entries at <c>neighbors[i*k + r]</c> with <c>values[i*k + r]</c>,
    /// entries &lt; 0 index skipped) into both (i, j) and (j, i) entries with <paramref name="combine"/>(v_ij, v_ji),
    /// where a missing direction counts as 0. Zero results are dropped.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static SparseAffinity Symmetrize(int count, int k, int[] neighbors, float[] values, Func<float, float, float> combine)
    {
        // Directed CSR sorted by column, so the reverse entry is a binary search away. Rows are sorted in parallel on keys
        // (column << 32 | rank), so a duplicated neighbour keeps its first occurrence, then compacted in order.
        var rowLength = new int[count];
        var rowCols = new int[(long)count * k];
        var rowVals = new float[(long)count * k];
        Parallel.For(0, (count + 1023) / 1024, () => new long[k], [MethodImpl(MethodImplOptions.AggressiveOptimization)] (block, _, keys) =>
        {
            int end = Math.Min(count, (block + 1) * 1024);
            for (int i = block * 1024; i < end; i++)
            {
                int m = 0;
                for (int r = 0; r < k; r++) { int j = neighbors[i * k + r]; if (j >= 0 && j != i && values[i * k + r] > 0) keys[m++] = ((long)j << 32) | (uint)r; }
                keys.AsSpan(0, m).Sort();
                int kept = 0, last = -1;
                for (int t = 0; t < m; t++)
                {
                    int j = (int)(keys[t] >> 32), r = (int)(keys[t] & 0xFFFFFFFF);
                    if (j == last) continue; // duplicate neighbour: keep the first
                    rowCols[(long)i * k + kept] = j; rowVals[(long)i * k + kept] = values[i * k + r]; kept++; last = j;
                }
                rowLength[i] = kept;
            }
            return keys;
        }, _ => { });
        var dirOffsets = new int[count + 1];
        for (int i = 0; i < count; i++) dirOffsets[i + 1] = dirOffsets[i] + rowLength[i];
        var dirCols = new int[dirOffsets[count]];
        var dirVals = new float[dirOffsets[count]];
        for (int i = 0; i < count; i++)
        {
            Array.Copy(rowCols, (long)i * k, dirCols, dirOffsets[i], rowLength[i]);
            Array.Copy(rowVals, (long)i * k, dirVals, dirOffsets[i], rowLength[i]);
        }
        float Reverse(int i, int j)
        {
            int lo = dirOffsets[j], hi = dirOffsets[j + 1] - 1;
            while (lo <= hi)
            {
                int mid = (lo + hi) >> 1;
                int c = dirCols[mid];
                if (c == i) return dirVals[mid];
                if (c < i) lo = mid + 1; else hi = mid - 1;
            }
            return 0f;
        }
        // Each entry (i→j) yields (i, j); it also yields (j, i) when j has no entry for i.
        var counts = new int[count + 1];
        for (int i = 0; i < count; i++)
            for (int e = dirOffsets[i]; e < dirOffsets[i + 1]; e++)
            {
                counts[i + 1]++;
                if (Reverse(i, dirCols[e]) == 0f) counts[dirCols[e] + 1]++;
            }
        for (int i = 0; i < count; i++) counts[i + 1] += counts[i];
        var offsets = (int[])counts.Clone();
        var cols = new int[counts[count]];
        var vals = new float[counts[count]];
        var cursor = (int[])counts.Clone();
        for (int i = 0; i < count; i++)
            for (int e = dirOffsets[i]; e < dirOffsets[i + 1]; e++)
            {
                int j = dirCols[e];
                float back = Reverse(i, j);
                float w = combine(dirVals[e], back);
                cols[cursor[i]] = j; vals[cursor[i]++] = w;
                if (back == 0f) { cols[cursor[j]] = i; vals[cursor[j]++] = w; }
            }
        // Sort rows by column (in parallel: rows are disjoint) and drop zeros.
        Parallel.For(0, count, i => Array.Sort(cols, vals, offsets[i], offsets[i + 1] - offsets[i]));
        int write = 0;
        var finalOffsets = new int[count + 1];
        for (int i = 0; i < count; i++)
        {
            for (int t = offsets[i]; t < offsets[i + 1]; t++)
            {
                if (vals[t] <= 0) continue;
                cols[write] = cols[t]; vals[write] = vals[t]; write++;
            }
            finalOffsets[i + 1] = write;
        }
        Array.Resize(ref cols, write);
        Array.Resize(ref vals, write);
        return new SparseAffinity(count, finalOffsets, cols, vals);
    }
}
