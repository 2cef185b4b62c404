using EmbedPS.Core.Common;
using EmbedPS.Core.Cooccurrence;
using static EmbedPS.Tests.Cooccurrence.CooccurrenceTestData;

namespace EmbedPS.Tests.Cooccurrence;

[Trait("Category", "Unit")]
public class CooccurrenceBuilderTests
{
    // Entities A=0, B=1, C=2, D=3, E=4 (E is in no collection of size > 1).
    // Collections: {A,B,C} (size 3), {A,B} (size 2), {B,C,D} (size 3), {E} (size 1).
    private static readonly int[][] HandCollections = { new[] { 0, 1, 2 }, new[] { 0, 1 }, new[] { 1, 2, 3 }, new[] { 4 } };

    [Fact]
    public void Counts_by_hand()
    {
        var m = CooccurrenceBuilder.Build(Set(5, HandCollections));
        Assert.Equal(2f, m.WeightOf(0, 1)); // AB: collections 1 and 2
        Assert.Equal(1f, m.WeightOf(0, 2)); // AC
        Assert.Equal(0f, m.WeightOf(0, 3)); // AD never together
        Assert.Equal(2f, m.WeightOf(1, 2)); // BC
        Assert.Equal(1f, m.WeightOf(1, 3)); // BD
        Assert.Equal(1f, m.WeightOf(2, 3)); // CD
        Assert.Equal(10, m.NonZeroCount);   // 5 pairs, both ways
        Assert.Equal(new[] { 2, 3, 2, 1, 1 }, m.Popularity);
        Assert.Equal(0, m.PartnersOf(4).Length);
        Assert.Equal(3.0, m.RowSums[0]);
        AssertWellFormedSymmetric(m);
    }

    [Fact]
    public void InverseSize_by_hand()
    {
        var m = CooccurrenceBuilder.Build(Set(5, HandCollections), new CooccurrenceOptions { CollectionWeighting = CollectionWeighting.InverseSize });
        // Sizes 3, 2, 3 give 1/2, 1, 1/2 per pair.
        Assert.Equal(1.5f, m.WeightOf(0, 1));
        Assert.Equal(0.5f, m.WeightOf(0, 2));
        Assert.Equal(1.0f, m.WeightOf(1, 2));
        Assert.Equal(0.5f, m.WeightOf(1, 3));
        Assert.Equal(0.5f, m.WeightOf(3, 2));
        // Each collection gives each member a total of 1: A is in two collections.
        Assert.Equal(2.0, m.RowSums[0], 6);
    }

    [Fact]
    public void InverseLogSize_by_hand()
    {
        var m = CooccurrenceBuilder.Build(Set(5, HandCollections), new CooccurrenceOptions { CollectionWeighting = CollectionWeighting.InverseLogSize });
        Assert.Equal(1 / Math.Log(4) + 1 / Math.Log(3), m.WeightOf(0, 1), 5);
        Assert.Equal(1 / Math.Log(4), m.WeightOf(0, 2), 5);
        Assert.Equal(2 / Math.Log(4), m.WeightOf(1, 2), 5);
    }

    [Fact]
    public void Pair_weights_by_hand()
    {
        // {A:2, B:3} and {A:0.5, B:4, C:1}
        var collections = new[] { new[] { 0, 1 }, new[] { 0, 1, 2 } };
        var weights = new[] { new[] { 2f, 3f }, new[] { 0.5f, 4f, 1f } };
        var set = Set(3, collections, weights);
        var product = CooccurrenceBuilder.Build(set, new CooccurrenceOptions { PairWeight = PairWeight.WeightProduct });
        Assert.Equal(2f * 3f + 0.5f * 4f, product.WeightOf(0, 1));
        Assert.Equal(0.5f, product.WeightOf(0, 2));
        Assert.Equal(4f, product.WeightOf(1, 2));
        var min = CooccurrenceBuilder.Build(set, new CooccurrenceOptions { PairWeight = PairWeight.WeightMin });
        Assert.Equal(2f + 0.5f, min.WeightOf(0, 1));
        Assert.Equal(0.5f, min.WeightOf(2, 0));
        Assert.Equal(1f, min.WeightOf(1, 2));
        var count = CooccurrenceBuilder.Build(set);
        Assert.Equal(2f, count.WeightOf(0, 1));
    }

    [Fact]
    public void Value_and_time_kernels_by_hand()
    {
        // One collection {A, B, C} with values 0, 10, 30 and timestamps 0, 100, 100.
        var set = Set(3, new[] { new[] { 0, 1, 2 } }, values: new[] { new[] { 0.0, 10.0, 30.0 } }, timestamps: new[] { new[] { 0.0, 100.0, 100.0 } });
        var byValue = CooccurrenceBuilder.Build(set, new CooccurrenceOptions { ValueScale = 10 });
        Assert.Equal(Math.Exp(-1), byValue.WeightOf(0, 1), 6);
        Assert.Equal(Math.Exp(-3), byValue.WeightOf(0, 2), 6);
        Assert.Equal(Math.Exp(-2), byValue.WeightOf(1, 2), 6);
        var byTime = CooccurrenceBuilder.Build(set, new CooccurrenceOptions { TimeScale = 50 });
        Assert.Equal(Math.Exp(-2), byTime.WeightOf(0, 1), 6);
        Assert.Equal(1.0, byTime.WeightOf(1, 2), 6);
        var both = CooccurrenceBuilder.Build(set, new CooccurrenceOptions { ValueScale = 10, TimeScale = 50, CollectionWeighting = CollectionWeighting.InverseSize });
        Assert.Equal(0.5 * Math.Exp(-3) * Math.Exp(-2), both.WeightOf(0, 2), 6);
    }

    public static IEnumerable<object[]> AllWeightings()
    {
        foreach (var cw in Enum.GetValues<CollectionWeighting>())
        foreach (var pw in Enum.GetValues<PairWeight>())
        {
            yield return new object[] { cw, pw, 0.0, 0.0 };
        }
        yield return new object[] { CollectionWeighting.InverseLogSize, PairWeight.WeightMin, 25.0, 0.0 };
        yield return new object[] { CollectionWeighting.None, PairWeight.Count, 0.0, 3e6 };
        yield return new object[] { CollectionWeighting.InverseSize, PairWeight.WeightProduct, 40.0, 5e6 };
    }

    [Theory]
    [MemberData(nameof(AllWeightings))]
    public void Agrees_with_a_naive_dictionary_of_pairs_on_random_data(CollectionWeighting cw, PairWeight pw, double valueScale, double timeScale)
    {
        var set = Random(entityCount: 150, collectionCount: 600, maxSize: 25, seed: 11);
        var options = new CooccurrenceOptions { CollectionWeighting = cw, PairWeight = pw, ValueScale = valueScale, TimeScale = timeScale };
        var m = CooccurrenceBuilder.Build(set, options);
        AssertEqualsReference(Naive(set, options), m, cw == CollectionWeighting.None && pw == PairWeight.Count && valueScale == 0 && timeScale == 0 ? 0 : 2e-5);
        AssertWellFormedSymmetric(m);
        Assert.Equal(set.Popularity, m.Popularity);
    }

    [Fact]
    public void Counts_are_exact_with_dense_rows()
    {
        // Few entities, long collections: rows are dense, so the row is gathered by scanning instead of sorting.
        var set = Random(entityCount: 40, collectionCount: 300, maxSize: 35, seed: 5, attributes: false);
        var options = new CooccurrenceOptions();
        AssertEqualsReference(Naive(set, options), CooccurrenceBuilder.Build(set, options), 0);
    }

    [Trait("Category", "Slow")]
    [Theory]
    [InlineData(CollectionWeighting.None)]
    [InlineData(CollectionWeighting.InverseLogSize)]
    public void Counts_are_exact_when_dense_rows_are_counted_by_vector_scans(CollectionWeighting weighting)
    {
        // 300 entities, collections up to 200 long: most rows hold far more than 1/8 of the entities above them, so the counting
        // pass marks them in bytes and counts by vector scans (32 at a time, plus a tail), and with plain counts the weights are
        // summed in integers; the few sparse rows at the end still take the listing path.
        var set = Random(entityCount: 300, collectionCount: 250, maxSize: 200, seed: 21, attributes: false);
        var options = new CooccurrenceOptions { CollectionWeighting = weighting };
        var m = CooccurrenceBuilder.Build(set, options);
        AssertEqualsReference(Naive(set, options), m, weighting == CollectionWeighting.None ? 0 : 2e-5);
        AssertWellFormedSymmetric(m);
        var one = CooccurrenceBuilder.Build(set, options with { MaxDegreeOfParallelism = 1 });
        Assert.Equal(one.RowOffsets, m.RowOffsets);
        Assert.Equal(one.ColumnIndices, m.ColumnIndices);
        Assert.Equal(one.Weights, m.Weights);
    }

    [Fact]
    public void Counting_marks_by_vector_scan_agrees_with_a_plain_loop()
    {
        var random = new Random(3);
        for (int trial = 0; trial < 50; trial++)
        {
            int n = random.Next(1, 200), first = random.Next(0, n + 1);
            var marks = new byte[n];
            for (int j = first; j < n; j++) marks[j] = (byte)(random.Next(3) == 0 ? 1 : 0);
            var lower = new int[n];
            var expectedLower = new int[n];
            int expected = 0;
            for (int j = first; j < n; j++) { expected += marks[j]; expectedLower[j] += marks[j]; }
            Assert.Equal(expected, SparseRowEngine.CollectMarks(marks, lower, first));
            Assert.Equal(expectedLower, lower);
            Assert.All(marks, b => Assert.Equal(0, b));
        }
    }

    [Fact]
    public void Left_packed_count_scan_agrees_with_a_plain_loop_and_never_writes_past_the_row()
    {
        var random = new Random(5);
        for (int trial = 0; trial < 200; trial++)
        {
            int n = random.Next(1, 300), first = random.Next(0, n + 1);
            double density = random.NextDouble();
            var counts = new int[n];
            for (int j = first; j < n; j++) counts[j] = random.NextDouble() < density ? random.Next(1, 1000) : 0;
            var expectedColumns = new List<int>();
            var expectedWeights = new List<float>();
            for (int j = first; j < n; j++) if (counts[j] != 0) { expectedColumns.Add(j); expectedWeights.Add(counts[j]); }
            // The row sits between two sentinel regions that must stay untouched.
            int start = random.Next(0, 20), m = expectedColumns.Count;
            var columns = Enumerable.Repeat(-7, start + m + 20).ToArray();
            var weights = Enumerable.Repeat(-7f, start + m + 20).ToArray();
            Assert.Equal(m, SparseRowEngine.EmitCountsByScan(counts, columns, weights, start, first, m));
            Assert.Equal(expectedColumns, columns.Skip(start).Take(m));
            Assert.Equal(expectedWeights, weights.Skip(start).Take(m));
            Assert.All(columns.Take(start).Concat(columns.Skip(start + m)), c => Assert.Equal(-7, c));
            Assert.All(weights.Take(start).Concat(weights.Skip(start + m)), w => Assert.Equal(-7f, w));
            Assert.All(counts, c => Assert.Equal(0, c));
        }
    }

    [Fact]
    public void Rows_are_sorted_and_repeats_summed_like_a_naive_merge()
    {
        var random = new Random(8);
        for (int trial = 0; trial < 200; trial++)
        {
            int length = random.Next(0, 40);
            bool ascending = trial % 3 == 0;
            var cols = new int[length];
            var vals = new float[length];
            for (int k = 0; k < length; k++) { cols[k] = ascending ? (k == 0 ? 0 : cols[k - 1] + 1 + random.Next(3)) : random.Next(15); vals[k] = random.Next(1, 9) * 0.5f; }
            var expected = new SortedDictionary<int, double>();
            for (int k = 0; k < length; k++) expected[cols[k]] = expected.GetValueOrDefault(cols[k]) + vals[k];
            int kept = EdgeListReader.SortAndMergeRow(cols, vals);
            Assert.Equal(expected.Keys, cols.Take(kept));
            Assert.Equal(expected.Values.Select(v => (float)v), vals.Take(kept));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Counts_are_exact_with_sparse_rows(bool attributes)
    {
        // Many entities, short collections: rows are sparse, so they are gathered by sorting the touched partners.
        var set = Random(entityCount: 3000, collectionCount: 400, maxSize: 8, seed: 12, attributes);
        var options = attributes ? new CooccurrenceOptions { PairWeight = PairWeight.WeightProduct, TimeScale = 1e6 } : new CooccurrenceOptions();
        Assert.False(SparseRowEngine.ScanIsCheaper(7, 2000), "the test needs rows on the sorting path"); // rarely chosen entities have a few partners
        AssertEqualsReference(Naive(set, options), CooccurrenceBuilder.Build(set, options), attributes ? 2e-5 : 0);
    }

    [Fact]
    public void Result_does_not_depend_on_the_thread_count()
    {
        var set = Random(entityCount: 500, collectionCount: 2000, maxSize: 40, seed: 3);
        foreach (var options in new[]
        {
            new CooccurrenceOptions { CollectionWeighting = CollectionWeighting.InverseLogSize, PairWeight = PairWeight.WeightProduct, ValueScale = 30 },
            new CooccurrenceOptions { CollectionWeighting = CollectionWeighting.InverseSize, MaxPartners = 20 },
        })
        {
            var one = CooccurrenceBuilder.Build(set, options with { MaxDegreeOfParallelism = 1 });
            var many = CooccurrenceBuilder.Build(set, options with { MaxDegreeOfParallelism = 7 });
            Assert.Equal(one.RowOffsets, many.RowOffsets);
            Assert.Equal(one.ColumnIndices, many.ColumnIndices);
            Assert.Equal(one.Weights, many.Weights); // bit-identical floats
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(30)]
    public void MaxPartners_keeps_exactly_each_entitys_strongest_partners_and_stays_symmetric(int cap)
    {
        var set = Random(entityCount: 200, collectionCount: 800, maxSize: 20, seed: 8);
        var options = new CooccurrenceOptions { CollectionWeighting = CollectionWeighting.InverseLogSize };
        var full = CooccurrenceBuilder.Build(set, options);
        var capped = CooccurrenceBuilder.Build(set, options with { MaxPartners = cap });
        // Reference: each row's top `cap` by (weight desc, index asc), then the union of both sides, with true weights.
        int n = set.EntityCount;
        var keep = new HashSet<(int, int)>();
        for (int i = 0; i < n; i++)
        {
            var partners = full.PartnersOf(i).ToArray();
            var weights = full.WeightsOf(i).ToArray();
            foreach (var k in Enumerable.Range(0, partners.Length).OrderByDescending(k => weights[k]).ThenBy(k => partners[k]).Take(cap))
            {
                keep.Add((i, partners[k]));
                keep.Add((partners[k], i));
            }
        }
        Assert.Equal(keep.Count, capped.NonZeroCount);
        foreach (var (i, j) in keep) Assert.Equal(full.WeightOf(i, j), capped.WeightOf(i, j));
        AssertWellFormedSymmetric(capped);
        Assert.Equal(cap, Convert.ToInt32(capped.Provenance.Parameters["AppliedMaxPartners"]));
        Assert.Equal(full.NonZeroCount, Convert.ToInt64(capped.Provenance.Parameters["ExactNonZeros"]));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(12)]
    [InlineData(400)]
    public void An_explicit_cap_gives_the_same_matrix_with_or_without_the_counting_pass(int cap)
    {
        // Sparse enough that some rows have fewer than `cap` partners, so the counted path sizes rows below n·cap.
        var set = Random(entityCount: 300, collectionCount: 400, maxSize: 8, seed: 5);
        var options = new CooccurrenceOptions { CollectionWeighting = CollectionWeighting.InverseLogSize, MaxPartners = cap, MaxDegreeOfParallelism = 1 };
        // Default budget: n·cap fits, so the counting pass is skipped.
        var uncounted = CooccurrenceBuilder.Build(set, options);
        // A budget just below the n·cap bound (but above what the counted rows need) forces the counting pass.
        int n = set.EntityCount;
        long bound = SparseRowEngine.CappedBytes((long)n * Math.Min(cap, n - 1), n) + (long)n * SparseRowEngine.ScratchBytesPerEntity;
        var counted = CooccurrenceBuilder.Build(set, options with { MaxMemoryBytes = bound - 1 });
        Assert.Equal(counted.RowOffsets, uncounted.RowOffsets);
        Assert.Equal(counted.ColumnIndices, uncounted.ColumnIndices);
        Assert.Equal(counted.Weights, uncounted.Weights);
        Assert.Equal(counted.Provenance.Parameters["ExactNonZeros"], uncounted.Provenance.Parameters["ExactNonZeros"]);
        Assert.Equal(counted.Provenance.Parameters["AppliedMaxPartners"], uncounted.Provenance.Parameters["AppliedMaxPartners"]);
        var exact = CooccurrenceBuilder.Build(set, options with { MaxPartners = CooccurrenceOptions.AllPartners });
        Assert.Equal(exact.NonZeroCount, Convert.ToInt64(uncounted.Provenance.Parameters["ExactNonZeros"]));
        // A cap above every row keeps the exact matrix and says it applied none.
        int largestRow = Enumerable.Range(0, n).Max(i => exact.PartnersOf(i).Length);
        if (cap >= largestRow)
        {
            Assert.Equal(0, Convert.ToInt32(uncounted.Provenance.Parameters["AppliedMaxPartners"]));
            Assert.Equal(exact.ColumnIndices, uncounted.ColumnIndices);
            Assert.Equal(exact.Weights, uncounted.Weights);
        }
        else
        {
            Assert.Equal(cap, Convert.ToInt32(uncounted.Provenance.Parameters["AppliedMaxPartners"]));
            Assert.True(uncounted.NonZeroCount < exact.NonZeroCount);
        }
    }

    [Fact]
    public void The_memory_guard_stops_before_allocating_and_suggests_MaxPartners()
    {
        var set = Random(entityCount: 300, collectionCount: 1500, maxSize: 30, seed: 2, attributes: false);
        var exact = CooccurrenceBuilder.Build(set);
        long needed = SparseRowEngine.ExactBytes(exact.NonZeroCount, set.EntityCount);
        var ex = Assert.Throws<EmbedPSException>(() => CooccurrenceBuilder.Build(set, new CooccurrenceOptions { MaxPartners = 0, MaxMemoryBytes = needed / 2, MaxDegreeOfParallelism = 1 }));
        Assert.Equal("CooccurrenceTooLarge", ex.ErrorId);
        Assert.Equal(EmbedPSErrorKind.ResourceUnavailable, ex.Kind);
        Assert.Contains($"{exact.NonZeroCount:N0} non-zeros", ex.Message);
        Assert.Contains("-MaxPartners ", ex.Message);
        // The suggested cap really fits the same budget.
        var suggested = int.Parse(System.Text.RegularExpressions.Regex.Match(ex.Message, @"-MaxPartners (\d+)").Groups[1].Value);
        Assert.InRange(suggested, 1, 299);
        var fits = CooccurrenceBuilder.Build(set, new CooccurrenceOptions { MaxPartners = suggested, MaxMemoryBytes = needed / 2, MaxDegreeOfParallelism = 1 });
        Assert.True(fits.NonZeroCount < exact.NonZeroCount);
        // An explicit cap that does not fit is refused too.
        var tooBig = Assert.Throws<EmbedPSException>(() => CooccurrenceBuilder.Build(set, new CooccurrenceOptions { MaxPartners = 250, MaxMemoryBytes = needed / 2, MaxDegreeOfParallelism = 1 }));
        Assert.Equal("CooccurrenceTooLarge", tooBig.ErrorId);
    }

    [Fact]
    public void The_automatic_default_is_exact_when_it_fits_and_caps_with_a_warning_when_not()
    {
        var set = Random(entityCount: 600, collectionCount: 3000, maxSize: 80, seed: 4, attributes: false);
        var exact = CooccurrenceBuilder.Build(set);
        Assert.Equal(0, Convert.ToInt32(exact.Provenance.Parameters["AppliedMaxPartners"]));
        // A budget between the cap floor's need and the exact need.
        long needed = SparseRowEngine.ExactBytes(exact.NonZeroCount, set.EntityCount) + 600L * 12;
        var log = new RecordingStageLog();
        var auto = CooccurrenceBuilder.Build(set, new CooccurrenceOptions { MaxMemoryBytes = needed * 9 / 10, MaxDegreeOfParallelism = 1 }, log);
        int applied = Convert.ToInt32(auto.Provenance.Parameters["AppliedMaxPartners"]);
        Assert.InRange(applied, CooccurrenceOptions.MinimumAutoPartners, 599);
        Assert.Contains(log.Warnings, w => w.Contains($"-MaxPartners {applied}"));
        Assert.True(auto.NonZeroCount < exact.NonZeroCount);
        // Too small even for the floor: the guard fires.
        Assert.Equal("CooccurrenceTooLarge", Assert.Throws<EmbedPSException>(() =>
            CooccurrenceBuilder.Build(set, new CooccurrenceOptions { MaxMemoryBytes = 20_000, MaxDegreeOfParallelism = 1 })).ErrorId);
    }

    [Fact]
    public void Cancellation_stops_the_run()
    {
        var set = Random(entityCount: 2000, collectionCount: 4000, maxSize: 40, seed: 1, attributes: false);
        using var cts = new CancellationTokenSource();
        var log = new CancellingLog(cts);
        Assert.ThrowsAny<OperationCanceledException>(() => CooccurrenceBuilder.Build(set, new CooccurrenceOptions { MaxDegreeOfParallelism = 2 }, log, cts.Token));
        Assert.InRange(log.Calls, 1, 4); // stopped right after the first progress report
    }

    private sealed class CancellingLog(CancellationTokenSource cts) : IStageLog
    {
        public int Calls;
        public void Progress(double fraction, string status)
        {
            if (Interlocked.Increment(ref Calls) == 1) cts.Cancel();
        }
        public void Verbose(string message) { }
        public void Warning(string message) { }
    }

    [Fact]
    public void Weighted_modes_need_their_columns()
    {
        var set = Set(3, new[] { new[] { 0, 1, 2 } });
        Assert.Equal("NoItemWeights", Assert.Throws<EmbedPSException>(() => CooccurrenceBuilder.Build(set, new CooccurrenceOptions { PairWeight = PairWeight.WeightMin })).ErrorId);
        Assert.Equal("NoItemValues", Assert.Throws<EmbedPSException>(() => CooccurrenceBuilder.Build(set, new CooccurrenceOptions { ValueScale = 1 })).ErrorId);
        Assert.Equal("NoItemTimestamps", Assert.Throws<EmbedPSException>(() => CooccurrenceBuilder.Build(set, new CooccurrenceOptions { TimeScale = 1 })).ErrorId);
        var negative = Set(2, new[] { new[] { 0, 1 } }, new[] { new[] { 1f, -2f } });
        var ex = Assert.Throws<EmbedPSException>(() => CooccurrenceBuilder.Build(negative, new CooccurrenceOptions { PairWeight = PairWeight.WeightProduct }));
        Assert.Equal("InvalidItemWeight", ex.ErrorId);
        Assert.Contains("entity '101'", ex.Message);
        Assert.Contains("-2", ex.Message);
        Assert.Throws<ArgumentException>(() => CooccurrenceBuilder.Build(set, new CooccurrenceOptions { ValueScale = -1 }));
    }

    [Fact]
    public void Zero_weight_pairs_are_not_stored()
    {
        // B has weight 0 in the only collection it shares with C: the product is 0 and the pair must be absent.
        var set = Set(3, new[] { new[] { 0, 1 }, new[] { 1, 2 } }, new[] { new[] { 1f, 1f }, new[] { 0f, 3f } });
        var m = CooccurrenceBuilder.Build(set, new CooccurrenceOptions { PairWeight = PairWeight.WeightProduct });
        Assert.Equal(2, m.NonZeroCount);
        Assert.Equal(1f, m.WeightOf(0, 1));
        Assert.Equal(0f, m.WeightOf(1, 2));
        AssertWellFormedSymmetric(m);
    }
}
