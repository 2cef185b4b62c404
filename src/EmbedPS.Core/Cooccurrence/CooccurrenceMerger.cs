using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Common;

namespace EmbedPS.Core.Cooccurrence;

/// <summary>
/// Sums co-occurrence matrices computed from shards of the collections (per month, per machine) into one:
/// weights and popularity add up pair by pair, entities are matched by id. Because co-occurrence is a sum over
/// collections, the merge of disjoint shards equals the matrix of all collections at once (sums in float64, rounded once
/// to float32: exact for counts up to 2^24 per pair, within 2^-24 relative beyond; fractional weights to float32 precision). Entities are in the canonical order (ids sorted by value), whatever the
/// order of the shards. Shards must be computed without a cap for the sum to be exact; a cap can be applied to the merge.
/// </summary>
public static class CooccurrenceMerger
{
    public static CooccurrenceMatrix Merge(IReadOnlyList<CooccurrenceMatrix> matrices, CooccurrenceOptions? options = null, IStageLog? log = null, CancellationToken cancellation = default)
    {
        if (matrices.Count == 0) throw new ArgumentException("Merge needs at least one matrix.", nameof(matrices));
        options ??= new CooccurrenceOptions();
        log ??= StageLog.Null;
        options.Validate();
        var (entities, mergedOf) = UnionOfEntities(matrices);
        int n = entities.Count;
        var popularity = new int[n];
        var localOf = new int[matrices.Count][];
        for (int m = 0; m < matrices.Count; m++)
        {
            localOf[m] = new int[n];
            Array.Fill(localOf[m], -1);
            for (int local = 0; local < mergedOf[m].Length; local++)
            {
                localOf[m][mergedOf[m][local]] = local;
                popularity[mergedOf[m][local]] += matrices[m].Popularity[local];
            }
            if (matrices[m].Provenance.Parameters.TryGetValue("AppliedMaxPartners", out var applied) && Convert.ToInt64(applied ?? 0L) > 0)
                log.Warning($"Matrix {m + 1} was computed with -MaxPartners {applied}: its weak pairs were dropped, so the merge is not the exact sum over all collections.");
        }
        log.Verbose($"Merging {matrices.Count} matrices over {n:N0} entities ({matrices.Sum(x => x.NonZeroCount):N0} stored entries in all).");
        var source = new MergeRowSource(matrices, localOf, mergedOf, n);
        var result = SparseRowEngine.Build(source, options, log, cancellation);
        var provenance = new Provenance();
        provenance.Parameters["Operation"] = "Merge";
        provenance.Parameters["MatrixCount"] = matrices.Count;
        provenance.Parameters["MaxPartners"] = options.MaxPartners == CooccurrenceOptions.AutoPartners ? "Auto" : options.MaxPartners;
        provenance.Parameters["AppliedMaxPartners"] = result.AppliedMaxPartners;
        provenance.Parameters["ExactNonZeros"] = result.ExactNonZeros;
        if (matrices.Any(x => x.Provenance.Parameters.TryGetValue(ArtifactValidation.AllowNegativeWeightParameter, out var allow) && allow is true))
            provenance.Parameters[ArtifactValidation.AllowNegativeWeightParameter] = true;
        foreach (var matrix in matrices) provenance.Inputs.Add(matrix.Provenance.AsUpstream(ArtifactKind.Cooccurrence));
        return new CooccurrenceMatrix(entities, popularity, result.Offsets, result.Columns, result.Weights, provenance);
    }

    /// <summary>The merged entity list (canonical order: the same whatever the order of the shards) and, per matrix, local index → merged index.</summary>
    private static (EntityIds Entities, int[][] MergedOf) UnionOfEntities(IReadOnlyList<CooccurrenceMatrix> matrices)
    {
        var (entities, mergedOf) = UnionInOrderOfAppearance(matrices);
        var (sorted, rank) = CanonicalOrder.Sort(entities);
        if (rank is not null)
        {
            for (int m = 0; m < mergedOf.Length; m++)
            {
                // Shards may share one identity array: renumber a copy.
                mergedOf[m] = (int[])mergedOf[m].Clone();
                CanonicalOrder.Apply(mergedOf[m], rank);
            }
        }
        return (sorted, mergedOf);
    }

    private static (EntityIds Entities, int[][] MergedOf) UnionInOrderOfAppearance(IReadOnlyList<CooccurrenceMatrix> matrices)
    {
        var mergedOf = new int[matrices.Count][];
        bool sameIds = matrices.All(m => m.Entities.SequenceEqual(matrices[0].Entities));
        if (sameIds)
        {
            var identity = Enumerable.Range(0, matrices[0].EntityCount).ToArray();
            for (int m = 0; m < matrices.Count; m++) mergedOf[m] = identity;
            return (matrices[0].Entities, mergedOf);
        }
        if (matrices.All(m => m.Entities.IsInteger))
        {
            var index = new Dictionary<long, int>();
            var order = new List<long>();
            for (int m = 0; m < matrices.Count; m++)
            {
                var ids = matrices[m].Entities.Integers!;
                mergedOf[m] = new int[ids.Length];
                for (int i = 0; i < ids.Length; i++)
                {
                    if (!index.TryGetValue(ids[i], out var at)) { at = order.Count; index.Add(ids[i], at); order.Add(ids[i]); }
                    mergedOf[m][i] = at;
                }
            }
            return (EntityIds.FromIntegers(order.ToArray()), mergedOf);
        }
        // Mixed or text ids: match on the id text.
        var textIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var textOrder = new List<string>();
        for (int m = 0; m < matrices.Count; m++)
        {
            var ids = matrices[m].Entities;
            mergedOf[m] = new int[ids.Count];
            for (int i = 0; i < ids.Count; i++)
            {
                var text = ids.GetText(i);
                if (!textIndex.TryGetValue(text, out var at)) { at = textOrder.Count; textIndex.Add(text, at); textOrder.Add(text); }
                mergedOf[m][i] = at;
            }
        }
        return (EntityIds.FromStrings(textOrder.ToArray()), mergedOf);
    }
}

/// <summary>Rows of the sum of several matrices, added in input order.</summary>
internal sealed class MergeRowSource : RowSource
{
    private readonly IReadOnlyList<CooccurrenceMatrix> _matrices;
    private readonly int[][] _localOf;
    private readonly int[][] _mergedOf;

    public MergeRowSource(IReadOnlyList<CooccurrenceMatrix> matrices, int[][] localOf, int[][] mergedOf, int entityCount)
    {
        _matrices = matrices;
        _localOf = localOf;
        _mergedOf = mergedOf;
        EntityCount = entityCount;
    }

    public override int EntityCount { get; }

    public override long PartnerUpperBound(int row)
    {
        long sum = 0;
        for (int m = 0; m < _matrices.Count; m++)
        {
            int local = _localOf[m][row];
            if (local >= 0) sum += _matrices[m].RowOffsets[local + 1] - _matrices[m].RowOffsets[local];
        }
        return sum;
    }

    public override void AccumulateRow(int row, RowScratch s) => Visit(row, s, accumulate: true, upper: false, track: true);
    public override void MarkUpper(int row, RowScratch s) => Visit(row, s, accumulate: false, upper: true, track: true);
    public override void AccumulateUpper(int row, RowScratch s, bool track) => Visit(row, s, accumulate: true, upper: true, track);

    private void Visit(int row, RowScratch s, bool accumulate, bool upper, bool track)
    {
        var acc = s.Acc;
        var mark = s.Mark;
        var touched = s.Touched;
        int stamp = s.Stamp, count = 0;
        mark[row] = stamp;
        for (int m = 0; m < _matrices.Count; m++)
        {
            int local = _localOf[m][row];
            if (local < 0) continue;
            var matrix = _matrices[m];
            var map = _mergedOf[m];
            var columns = matrix.ColumnIndices;
            var weights = matrix.Weights;
            for (long e = matrix.RowOffsets[local], end = matrix.RowOffsets[local + 1]; e < end; e++)
            {
                int j = map[columns[e]];
                if (upper && j < row) continue;
                if (accumulate) acc[j] += weights[e];
                if (track && mark[j] != stamp) { mark[j] = stamp; touched[count++] = j; }
            }
        }
        acc[row] = 0;
        s.Count = count;
    }
}
