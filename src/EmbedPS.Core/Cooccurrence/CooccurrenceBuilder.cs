using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Collections;
using EmbedPS.Core.Common;

namespace EmbedPS.Core.Cooccurrence;

/// <summary>
/// Computes the weighted co-occurrence matrix of entity collections:
/// W(i, j) = Σ over collections c holding both i and j of
///   collectionWeight(|c|) · pairWeight(w_ci, w_cj) · exp(−|v_ci − v_cj| / valueScale) · exp(−|t_ci − t_cj| / timeScale),
/// where collectionWeight(s) is 1, 1/(s−1) or 1/ln(1+s), pairWeight is 1, w_i·w_j or min(w_i, w_j), and each kernel is 1 when
/// its scale is 0. The diagonal (popularity) is the number of collections holding the entity.
/// Row by row through an inverted index entity → collections (see <see cref="SparseRowEngine"/>).
/// </summary>
public static class CooccurrenceBuilder
{
    /// <summary>
    /// Stops before any work when no pair can co-occur (no collections, or every collection has fewer than two entities):
    /// the matrix would be empty and every later stage would embed noise. One collection is allowed, with a warning.
    /// </summary>
    public static void CheckNotDegenerate(EntityCollectionSet set, IStageLog log)
    {
        if (set.CollectionCount == 0 || set.EntityCount < 2)
            throw new EmbedPSException("DegenerateInput", EmbedPSErrorKind.InvalidData,
                $"{set}: a co-occurrence matrix needs at least two entities in one collection; there are {set.EntityCount:N0} entities in {set.CollectionCount:N0} collections.");
        if (set.MaxCollectionSize < 2)
            throw new EmbedPSException("DegenerateInput", EmbedPSErrorKind.InvalidData,
                $"{set}: every collection holds a single entity, so no two entities ever co-occur and the matrix would have zero pairs. " +
                "Check -CollectionProperty and -EntityProperty (are they swapped, or is the collection column unique per row?).");
        if (set.CollectionCount == 1)
            log.Warning($"{set}: there is a single collection, so every pair of its entities co-occurs exactly once: the matrix, and any map made from it, carries no structure.");
    }

    public static CooccurrenceMatrix Build(EntityCollectionSet set, CooccurrenceOptions? options = null, IStageLog? log = null, CancellationToken cancellation = default)
    {
        options ??= new CooccurrenceOptions();
        log ??= StageLog.Null;
        options.Validate();
        CheckNotDegenerate(set, log);
        var source = new CollectionRowSource(set, options, cancellation);
        log.Verbose($"{set}: mean collection size {set.MeanCollectionSize:F1}, largest {set.MaxCollectionSize:N0}; weighting {options.CollectionWeighting}, pair weight {options.PairWeight}" +
                    (options.ValueScale > 0 ? $", value scale {options.ValueScale.ToString(CultureInfo.InvariantCulture)}" : "") +
                    (options.TimeScale > 0 ? $", time scale {options.TimeScale.ToString(CultureInfo.InvariantCulture)}" : "") + ".");
        var result = SparseRowEngine.Build(source, options, log, cancellation);
        var provenance = Provenance.Derived(set.Provenance, ArtifactKind.Collections, Parameters(options, result));
        // Negative item weights that the import was told are meant stay meant in the matrix (and its artifact re-imports).
        if (set.Provenance.Parameters.TryGetValue(ArtifactValidation.AllowNegativeWeightParameter, out var allow) && allow is true)
            provenance.Parameters[ArtifactValidation.AllowNegativeWeightParameter] = true;
        return new CooccurrenceMatrix(set.Entities, (int[])set.Popularity.Clone(), result.Offsets, result.Columns, result.Weights, provenance);
    }

    internal static IEnumerable<KeyValuePair<string, object?>> Parameters(CooccurrenceOptions options, SparseRowResult result)
    {
        yield return new("CollectionWeighting", options.CollectionWeighting.ToString());
        yield return new("PairWeight", options.PairWeight.ToString());
        yield return new("ValueScale", options.ValueScale);
        yield return new("TimeScale", options.TimeScale);
        yield return new("MaxPartners", options.MaxPartners == CooccurrenceOptions.AutoPartners ? "Auto" : options.MaxPartners);
        yield return new("AppliedMaxPartners", result.AppliedMaxPartners);
        yield return new("ExactNonZeros", result.ExactNonZeros);
    }

    /// <summary>Weight a collection of <paramref name="size"/> members adds to each of its pairs.</summary>
    public static float CollectionWeight(CollectionWeighting weighting, int size) => weighting switch
    {
        CollectionWeighting.None => 1f,
        CollectionWeighting.InverseSize => size > 1 ? (float)(1.0 / (size - 1)) : 0f,
        CollectionWeighting.InverseLogSize => (float)(1.0 / Math.Log(1.0 + size)),
        _ => throw new ArgumentOutOfRangeException(nameof(weighting)),
    };
}

/// <summary>Rows of the co-occurrence matrix from an inverted index entity → (collection, position of the entity in it).</summary>
internal sealed class CollectionRowSource : RowSource
{
    private readonly int[] _members;
    private readonly int[] _collectionOffsets;
    private readonly int[] _entityOffsets;
    private readonly int[] _entityCollections;
    private readonly int[] _entityPositions;
    private readonly float[] _collectionWeight;
    private readonly float[]? _itemWeights;
    private readonly double[]? _values;
    private readonly double[]? _timestamps;
    private readonly double _inverseValueScale;
    private readonly double _inverseTimeScale;
    private readonly PairWeight _pairWeight;
    private readonly bool _plain;
    private readonly bool _unitWeights;

    public CollectionRowSource(EntityCollectionSet set, CooccurrenceOptions options, CancellationToken cancellation)
    {
        EntityCount = set.EntityCount;
        _members = set.Members;
        _collectionOffsets = set.CollectionOffsets;
        _pairWeight = options.PairWeight;
        if (options.PairWeight != PairWeight.Count)
        {
            _itemWeights = set.Weights ?? throw new EmbedPSException("NoItemWeights", EmbedPSErrorKind.InvalidArgument,
                $"-PairWeight {options.PairWeight} needs per-item weights, but these collections have none. Import them with a weight column (Import-EntityCollection -WeightColumn) or use -PairWeight Count.");
            CheckAll(set, set.Weights, w => float.IsFinite(w) && w >= 0, "weight", "a finite number ≥ 0");
        }
        if (options.ValueScale > 0)
        {
            _values = set.Values ?? throw new EmbedPSException("NoItemValues", EmbedPSErrorKind.InvalidArgument,
                "-ValueScale needs per-item values, but these collections have none. Import them with a value column (Import-EntityCollection -ValueColumn).");
            CheckAll(set, set.Values, double.IsFinite, "value", "a finite number");
            _inverseValueScale = 1.0 / options.ValueScale;
        }
        if (options.TimeScale > 0)
        {
            _timestamps = set.Timestamps ?? throw new EmbedPSException("NoItemTimestamps", EmbedPSErrorKind.InvalidArgument,
                "-TimeScale needs per-item timestamps, but these collections have none. Import them with a timestamp column (Import-EntityCollection -TimestampColumn).");
            CheckAll(set, set.Timestamps, double.IsFinite, "timestamp", "a finite number");
            _inverseTimeScale = 1.0 / options.TimeScale;
        }
        _plain = _itemWeights is null && _values is null && _timestamps is null;
        _unitWeights = _plain && options.CollectionWeighting == CollectionWeighting.None;

        int collections = set.CollectionCount;
        _collectionWeight = new float[collections];
        for (int c = 0; c < collections; c++) _collectionWeight[c] = CooccurrenceBuilder.CollectionWeight(options.CollectionWeighting, set.SizeOf(c));

        // Inverted index by counting sort; collections are visited in ascending order, so each entity's list is
        // ascending too, which fixes the summation order of every pair.
        int n = EntityCount;
        _entityOffsets = new int[n + 1];
        for (int e = 0; e < n; e++) _entityOffsets[e + 1] = _entityOffsets[e] + set.Popularity[e];
        _entityCollections = new int[_members.Length];
        _entityPositions = new int[_members.Length];
        var cursor = _entityOffsets.AsSpan(0, n).ToArray();
        for (int c = 0; c < collections; c++)
        {
            if ((c & 65535) == 0) cancellation.ThrowIfCancellationRequested();
            for (int q = _collectionOffsets[c]; q < _collectionOffsets[c + 1]; q++)
            {
                int at = cursor[_members[q]]++;
                _entityCollections[at] = c;
                _entityPositions[at] = q;
            }
        }
    }

    private static void CheckAll<T>(EntityCollectionSet set, T[] items, Func<T, bool> valid, string what, string expected)
    {
        for (int c = 0; c < set.CollectionCount; c++)
        {
            for (int q = set.CollectionOffsets[c]; q < set.CollectionOffsets[c + 1]; q++)
            {
                if (valid(items[q])) continue;
                string value = Convert.ToString(items[q], CultureInfo.InvariantCulture) ?? "";
                throw new EmbedPSException("InvalidItem" + char.ToUpperInvariant(what[0]) + what[1..], EmbedPSErrorKind.InvalidData,
                    $"Collection '{set.Collections.GetText(c)}', entity '{set.Entities.GetText(set.Members[q])}': {what} {value} is not {expected}.")
                { Column = what, Value = value };
            }
        }
    }

    public override int EntityCount { get; }

    public override long PartnerUpperBound(int row)
    {
        long sum = 0;
        for (int k = _entityOffsets[row]; k < _entityOffsets[row + 1]; k++)
        {
            int c = _entityCollections[k];
            sum += _collectionOffsets[c + 1] - _collectionOffsets[c] - 1;
        }
        return sum;
    }

    public override bool UnitWeights => _unitWeights;

    // The row loops are compiled fully optimised at once (no tier-0 start): rows run densest first (the lowest indices
    // have the most partners above them), so the ~30 calls a method takes to be promoted would be among the heaviest rows
    // of the pass.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void CountUpper(int row, RowScratch s)
    {
        ref int counts = ref MemoryMarshal.GetArrayDataReference(s.Counts!);
        ref int members = ref MemoryMarshal.GetArrayDataReference(_members);
        var offsets = _collectionOffsets;
        for (int k = _entityOffsets[row], kEnd = _entityOffsets[row + 1]; k < kEnd; k++)
        {
            int c = _entityCollections[k];
            for (int q = _entityPositions[k] + 1, qEnd = offsets[c + 1]; q < qEnd; q++) Unsafe.Add(ref counts, Unsafe.Add(ref members, q))++;
        }
    }

    public override long UpperWork(int row)
    {
        long sum = 0;
        for (int k = _entityOffsets[row], kEnd = _entityOffsets[row + 1]; k < kEnd; k++)
            sum += _collectionOffsets[_entityCollections[k] + 1] - _entityPositions[k] - 1;
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void MarkUpperDense(int row, byte[] marks)
    {
        ref byte mark = ref MemoryMarshal.GetArrayDataReference(marks);
        ref int members = ref MemoryMarshal.GetArrayDataReference(_members);
        var offsets = _collectionOffsets;
        for (int k = _entityOffsets[row], kEnd = _entityOffsets[row + 1]; k < kEnd; k++)
        {
            int c = _entityCollections[k];
            for (int q = _entityPositions[k] + 1, qEnd = offsets[c + 1]; q < qEnd; q++) Unsafe.Add(ref mark, Unsafe.Add(ref members, q)) = 1;
        }
    }

    public override void MarkUpper(int row, RowScratch s) => Mark(row, s, upper: true);
    public override void AccumulateRow(int row, RowScratch s) { if (_plain) AccumulatePlain(row, s, upper: false); else AccumulateWeighted(row, s, upper: false, track: true); }
    public override void AccumulateUpper(int row, RowScratch s, bool track)
    {
        if (!_plain) AccumulateWeighted(row, s, upper: true, track);
        else if (track) AccumulatePlain(row, s, upper: true);
        else AccumulatePlainUntracked(row, s);
    }

    /// <summary>Upper triangle of a dense row, plain weights: a bare scatter-add (the row is then collected by a scan).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void AccumulatePlainUntracked(int row, RowScratch s)
    {
        ref double acc = ref MemoryMarshal.GetArrayDataReference(s.Acc);
        ref int members = ref MemoryMarshal.GetArrayDataReference(_members);
        var offsets = _collectionOffsets;
        for (int k = _entityOffsets[row], kEnd = _entityOffsets[row + 1]; k < kEnd; k++)
        {
            int c = _entityCollections[k];
            float w = _collectionWeight[c];
            for (int q = _entityPositions[k] + 1, qEnd = offsets[c + 1]; q < qEnd; q++)
            {
                Unsafe.Add(ref acc, Unsafe.Add(ref members, q)) += w;
            }
        }
        s.Count = 0;
    }

    // The hot loops index without bounds checks: member indices are < EntityCount by construction of the set.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Mark(int row, RowScratch s, bool upper)
    {
        ref int mark = ref MemoryMarshal.GetArrayDataReference(s.Mark);
        ref int members = ref MemoryMarshal.GetArrayDataReference(_members);
        ref int touched = ref MemoryMarshal.GetArrayDataReference(s.Touched);
        var offsets = _collectionOffsets;
        int stamp = s.Stamp, m = 0;
        Unsafe.Add(ref mark, row) = stamp;
        for (int k = _entityOffsets[row], kEnd = _entityOffsets[row + 1]; k < kEnd; k++)
        {
            int c = _entityCollections[k];
            // Members are sorted, so the partners above the diagonal are those after the row's own position.
            int qStart = upper ? _entityPositions[k] + 1 : offsets[c];
            for (int q = qStart, qEnd = offsets[c + 1]; q < qEnd; q++)
            {
                int j = Unsafe.Add(ref members, q);
                ref int mj = ref Unsafe.Add(ref mark, j);
                // Branch-free: whether j is new is unpredictable, so always write and advance by 0 or 1.
                bool fresh = mj != stamp;
                Unsafe.Add(ref touched, m) = j;
                m += Unsafe.As<bool, byte>(ref fresh);
                mj = stamp;
            }
        }
        s.Count = m;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void AccumulatePlain(int row, RowScratch s, bool upper)
    {
        ref double acc = ref MemoryMarshal.GetArrayDataReference(s.Acc);
        ref int mark = ref MemoryMarshal.GetArrayDataReference(s.Mark);
        ref int members = ref MemoryMarshal.GetArrayDataReference(_members);
        ref int touched = ref MemoryMarshal.GetArrayDataReference(s.Touched);
        var offsets = _collectionOffsets;
        int stamp = s.Stamp, m = 0;
        Unsafe.Add(ref mark, row) = stamp;
        for (int k = _entityOffsets[row], kEnd = _entityOffsets[row + 1]; k < kEnd; k++)
        {
            int c = _entityCollections[k];
            float w = _collectionWeight[c];
            int qStart = upper ? _entityPositions[k] + 1 : offsets[c];
            // In a full row the row itself is added too (no branch in the hot loop) and cleared after.
            for (int q = qStart, qEnd = offsets[c + 1]; q < qEnd; q++)
            {
                int j = Unsafe.Add(ref members, q);
                Unsafe.Add(ref acc, j) += w;
                ref int mj = ref Unsafe.Add(ref mark, j);
                bool fresh = mj != stamp;
                Unsafe.Add(ref touched, m) = j;
                m += Unsafe.As<bool, byte>(ref fresh);
                mj = stamp;
            }
        }
        Unsafe.Add(ref acc, row) = 0;
        s.Count = m;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void AccumulateWeighted(int row, RowScratch s, bool upper, bool track)
    {
        var acc = s.Acc;
        var mark = s.Mark;
        var touched = s.Touched;
        var members = _members;
        var offsets = _collectionOffsets;
        var itemWeights = _itemWeights;
        var values = _values;
        var timestamps = _timestamps;
        bool kernel = values is not null || timestamps is not null;
        int stamp = s.Stamp, m = 0;
        mark[row] = stamp;
        for (int k = _entityOffsets[row], kEnd = _entityOffsets[row + 1]; k < kEnd; k++)
        {
            int c = _entityCollections[k];
            int p = _entityPositions[k];
            float w = _collectionWeight[c];
            float wp = itemWeights is null ? 1f : itemWeights[p];
            double vp = values is null ? 0 : values[p];
            double tp = timestamps is null ? 0 : timestamps[p];
            for (int q = upper ? p + 1 : offsets[c], qEnd = offsets[c + 1]; q < qEnd; q++)
            {
                if (q == p) continue;
                int j = members[q];
                // Every factor is symmetric in (p, q) and they multiply in the same order from both sides.
                float contribution = w;
                if (itemWeights is not null)
                {
                    float wq = itemWeights[q];
                    contribution *= _pairWeight == PairWeight.WeightProduct ? wp * wq : Math.Min(wp, wq);
                }
                if (kernel)
                {
                    double exponent = 0;
                    if (values is not null) exponent += Math.Abs(vp - values[q]) * _inverseValueScale;
                    if (timestamps is not null) exponent += Math.Abs(tp - timestamps[q]) * _inverseTimeScale;
                    contribution *= (float)Math.Exp(-exponent);
                }
                acc[j] += contribution;
                if (track && mark[j] != stamp) { mark[j] = stamp; touched[m++] = j; }
            }
        }
        s.Count = m;
    }
}
