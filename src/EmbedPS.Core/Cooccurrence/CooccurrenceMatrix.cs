using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Common;

namespace EmbedPS.Core.Cooccurrence;

/// <summary>
/// Symmetric sparse co-occurrence weights in CSR form, without the diagonal: row i's partners are
/// <c>ColumnIndices[RowOffsets[i] .. RowOffsets[i+1])</c> (ascending) with <see cref="Weights"/>.
/// Every unordered pair appears twice (i→j and j→i) with the same weight.
/// </summary>
public sealed class CooccurrenceMatrix
{
    public CooccurrenceMatrix(EntityIds entities, int[] popularity, long[] rowOffsets, int[] columnIndices, float[] weights, Provenance? provenance = null)
    {
        if (popularity.Length != entities.Count) throw new ArgumentException("popularity must have one entry per entity.");
        if (rowOffsets.Length != entities.Count + 1) throw new ArgumentException("rowOffsets must have EntityCount + 1 entries.");
        if (rowOffsets[^1] != columnIndices.Length || columnIndices.Length != weights.Length)
            throw new ArgumentException("rowOffsets, columnIndices and weights disagree on the number of non-zeros.");
        Entities = entities;
        Popularity = popularity;
        RowOffsets = rowOffsets;
        ColumnIndices = columnIndices;
        Weights = weights;
        Provenance = provenance ?? new Provenance();
        // Each row summed in order by one thread, so the sums do not depend on the number of threads (an atlas matrix has ~400 M
        // entries: a serial loop here was a second of the stage).
        var rowSums = new double[entities.Count];
        Parallel.For(0, (entities.Count + 255) / 256, block =>
        {
            for (int i = block * 256, end = Math.Min(entities.Count, i + 256); i < end; i++)
            {
                double sum = 0;
                for (long k = rowOffsets[i]; k < rowOffsets[i + 1]; k++) sum += weights[k];
                rowSums[i] = sum;
            }
        });
        RowSums = rowSums;
    }

    public EntityIds Entities { get; }
    public int[] Popularity { get; }
    public long[] RowOffsets { get; }
    public int[] ColumnIndices { get; }
    public float[] Weights { get; }
    public double[] RowSums { get; }
    public Provenance Provenance { get; }

    public int EntityCount => Entities.Count;
    /// <summary>Stored entries (both triangles).</summary>
    public long NonZeroCount => ColumnIndices.LongLength;
    /// <summary>Distinct unordered pairs with a non-zero weight.</summary>
    public long PairCount => NonZeroCount / 2;

    public ReadOnlySpan<int> PartnersOf(int row) => ColumnIndices.AsSpan((int)RowOffsets[row], (int)(RowOffsets[row + 1] - RowOffsets[row]));
    public ReadOnlySpan<float> WeightsOf(int row) => Weights.AsSpan((int)RowOffsets[row], (int)(RowOffsets[row + 1] - RowOffsets[row]));

    /// <summary>The weight of pair (i, j), 0 when absent; binary search in row i.</summary>
    public float WeightOf(int i, int j)
    {
        var partners = PartnersOf(i);
        int k = partners.BinarySearch(j);
        return k >= 0 ? WeightsOf(i)[k] : 0f;
    }

    public override string ToString() => $"CooccurrenceMatrix: {EntityCount:N0} entities, {PairCount:N0} pairs";
}
