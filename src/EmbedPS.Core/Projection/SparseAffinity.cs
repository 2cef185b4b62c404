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
        // Directed CSR sorted by column. Rows are sorted in parallel on keys
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
        // The transpose by a counting sort: row j lists the i with an entry i→j, in increasing i (so sorted by column).
        var revOffsets = new int[count + 1];
        foreach (var j in dirCols) revOffsets[j + 1]++;
        for (int i = 0; i < count; i++) revOffsets[i + 1] += revOffsets[i];
        var revCols = new int[dirCols.Length];
        var revVals = new float[dirCols.Length];
        var cursor = (int[])revOffsets.Clone();
        for (int i = 0; i < count; i++)
            for (int e = dirOffsets[i]; e < dirOffsets[i + 1]; e++)
            {
                int slot = cursor[dirCols[e]]++;
                revCols[slot] = i; revVals[slot] = dirVals[e];
            }
        // Row i of the result merges its own entries (i→j, value v) with the transposed ones (j→i, value w), both sorted by
        // column: combine(v, w) where both exist or only i→j does (w = 0), combine(w, 0) where only j→i does; zeros dropped.
        // Counted in one pass, written in a second (rows in parallel: they are disjoint).
        var finalOffsets = new int[count + 1];
        Parallel.For(0, (count + 1023) / 1024, block =>
        {
            for (int i = block * 1024, end = Math.Min(count, (block + 1) * 1024); i < end; i++)
                finalOffsets[i + 1] = MergeRow(i, dirOffsets, dirCols, dirVals, revOffsets, revCols, revVals, combine, null, null, 0);
        });
        for (int i = 0; i < count; i++) finalOffsets[i + 1] += finalOffsets[i];
        var cols = new int[finalOffsets[count]];
        var vals = new float[finalOffsets[count]];
        Parallel.For(0, (count + 1023) / 1024, block =>
        {
            for (int i = block * 1024, end = Math.Min(count, (block + 1) * 1024); i < end; i++)
                MergeRow(i, dirOffsets, dirCols, dirVals, revOffsets, revCols, revVals, combine, cols, vals, finalOffsets[i]);
        });
        return new SparseAffinity(count, finalOffsets, cols, vals);
    }

    /// <summary>
    /// Merges row <paramref name="i"/>'s own entries with its transposed ones (see <see cref="Symmetrize"/>); writes the non-zero
    /// results from <paramref name="at"/> when <paramref name="cols"/> is given. Returns how many there are.
    /// </summary>
    private static int MergeRow(int i, int[] dirOffsets, int[] dirCols, float[] dirVals, int[] revOffsets, int[] revCols, float[] revVals,
        Func<float, float, float> combine, int[]? cols, float[]? vals, int at)
    {
        int a = dirOffsets[i], aEnd = dirOffsets[i + 1], b = revOffsets[i], bEnd = revOffsets[i + 1], written = 0;
        while (a < aEnd || b < bEnd)
        {
            int column; float w;
            if (b == bEnd || (a < aEnd && dirCols[a] < revCols[b])) { column = dirCols[a]; w = combine(dirVals[a], 0f); a++; }
            else if (a == aEnd || revCols[b] < dirCols[a]) { column = revCols[b]; w = combine(revVals[b], 0f); b++; }
            else { column = dirCols[a]; w = combine(dirVals[a], revVals[b]); a++; b++; }
            if (w <= 0) continue;
            if (cols is not null) { cols[at + written] = column; vals![at + written] = w; }
            written++;
        }
        return written;
    }
}
