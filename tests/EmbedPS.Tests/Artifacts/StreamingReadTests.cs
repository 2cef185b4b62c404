using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Common;
using EmbedPS.Core.Cooccurrence;
using EmbedPS.Core.NeighborPreservation;
using EmbedPS.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EmbedPS.Tests.Artifacts;

/// <summary>Random co-occurrence matrices and neighbour graphs, built directly (no pipeline), for the streaming readers.</summary>
internal static class StreamingTestData
{
    /// <summary>
    /// n entities, each with about <paramref name="meanUpper"/> partners above it (some rows empty), non-integer weights.
    /// Ids: 1000 + 3i (a small range: the reader's array lookup) or spread over the int64 range (its dictionary).
    /// </summary>
    public static CooccurrenceMatrix Matrix(int n, int meanUpper, int seed, bool spreadIds)
    {
        var random = new DeterministicRandom(seed);
        var upper = new int[n][];
        var upperWeights = new float[n][];
        var degree = new long[n + 1];
        var chosen = new HashSet<int>();
        for (int i = 0; i < n; i++)
        {
            chosen.Clear();
            int want = i % 11 == 5 || i == n - 1 ? 0 : random.NextInt(2 * meanUpper + 1);
            for (int t = 0; t < want; t++) chosen.Add(i + 1 + random.NextInt(n - i - 1));
            upper[i] = chosen.ToArray();
            upperWeights[i] = upper[i].Select(_ => 0.001f + random.NextSingle() * 50f).ToArray();
            foreach (var j in upper[i]) { degree[i + 1]++; degree[j + 1]++; }
        }
        for (int i = 0; i < n; i++) degree[i + 1] += degree[i];
        var cursor = degree.AsSpan(0, n).ToArray();
        var columns = new int[degree[n]];
        var weights = new float[degree[n]];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < upper[i].Length; k++)
            {
                int j = upper[i][k]; float w = upperWeights[i][k];
                columns[cursor[i]] = j; weights[cursor[i]++] = w;
                columns[cursor[j]] = i; weights[cursor[j]++] = w;
            }
        for (int i = 0; i < n; i++) columns.AsSpan((int)degree[i], (int)(degree[i + 1] - degree[i])).Sort(weights.AsSpan((int)degree[i], (int)(degree[i + 1] - degree[i])));
        var ids = spreadIds
            ? Enumerable.Range(0, n).Select(i => (long)(((ulong)i * 0x9E3779B97F4A7C15UL) >> 1) - (1L << 61)).ToArray()
            : Enumerable.Range(0, n).Select(i => 1000L + 3L * i).ToArray();
        var popularity = Enumerable.Range(0, n).Select(_ => random.NextInt(5000)).ToArray();
        return new CooccurrenceMatrix(EntityIds.FromIntegers(ids), popularity, degree, columns, weights);
    }

    /// <summary>What the matrix holds in memory: its arrays (partners, weights, offsets, popularity, row sums, ids).</summary>
    public static long Bytes(CooccurrenceMatrix m) =>
        m.ColumnIndices.LongLength * 4 + m.Weights.LongLength * 4 + m.RowOffsets.LongLength * 8 + m.Popularity.LongLength * 4
        + m.RowSums.LongLength * 8 + (long)m.EntityCount * 8;

    public static void AssertSame(CooccurrenceMatrix expected, CooccurrenceMatrix actual)
    {
        Assert.True(expected.Entities.SequenceEqual(actual.Entities));
        Assert.Equal(expected.Popularity, actual.Popularity);
        Assert.Equal(expected.RowOffsets, actual.RowOffsets);
        Assert.Equal(expected.ColumnIndices, actual.ColumnIndices);
        Assert.Equal(expected.Weights, actual.Weights);
        Assert.Equal(expected.RowSums, actual.RowSums);
    }
}

[Trait("Category", "Unit")]
public class StreamingReadTests
{
    [Theory]
    [InlineData(997, false)]
    [InlineData(997, true)]
    [InlineData(1 << 16, false)]
    public void Cooccurrence_read_row_group_by_row_group_matches_every_value_written(int rowGroupSize, bool spreadIds)
    {
        using var dir = new TempDirectory();
        var matrix = StreamingTestData.Matrix(3000, 20, seed: 11, spreadIds);
        Assert.True(matrix.NonZeroCount > 100_000);
        var path = dir.File("m.parquet");
        CooccurrenceArtifact.Write(matrix, path, CancellationToken.None, rowGroupSize);
        using (var file = ParquetArtifact.Open(path))
        {
            Assert.Equal(matrix.EntityCount + matrix.PairCount, file.RowCount);
            Assert.Equal((int)((file.RowCount + rowGroupSize - 1) / rowGroupSize), file.RowGroupCount);
        }

        var streamed = CooccurrenceArtifact.Read(path);
        StreamingTestData.AssertSame(matrix, streamed);
        StreamingTestData.AssertSame(matrix, (CooccurrenceMatrix)ArtifactStore.Read(path));
        // The whole-table path (Test-EmbedArtifact) agrees with the streaming one.
        StreamingTestData.AssertSame(matrix, CooccurrenceArtifact.FromTable(ParquetArtifact.Read(path)));
        Assert.Equal(Path.GetFullPath(path), streamed.Provenance.ArtifactPath);
        Assert.Equal(FileHash.Sha256(path), streamed.Provenance.ArtifactSha256);
    }

    [Fact]
    public void Neighbor_graph_read_row_group_by_row_group_matches_every_value_written()
    {
        using var dir = new TempDirectory();
        var random = new DeterministicRandom(5);
        int n = 2000, m = 30_000;
        var src = new int[m]; var dst = new int[m]; var w = new float[m]; var d = new float[m];
        for (int e = 0; e < m; e++)
        {
            int i = random.NextInt(n - 1);
            src[e] = i; dst[e] = i + 1 + random.NextInt(n - i - 1);
            w[e] = e % 5 == 0 ? -1f : 1 + random.NextInt(2);
            d[e] = random.NextSingle() * 10;
        }
        var ids = EntityIds.FromStrings(Enumerable.Range(0, n).Select(i => "node-" + (n - i)).ToArray());
        var graph = new NeighborGraph(ids, Enumerable.Range(0, n).Select(i => i % 17).ToArray(), src, dst, w, d);
        var path = dir.File("g.parquet");
        NeighborGraphArtifact.Write(graph, path, CancellationToken.None, 777);

        foreach (var back in new[] { NeighborGraphArtifact.Read(path), (NeighborGraph)ArtifactStore.Read(path), NeighborGraphArtifact.FromTable(ParquetArtifact.Read(path)) })
        {
            Assert.True(graph.Entities.SequenceEqual(back.Entities));
            Assert.Equal(graph.Popularity, back.Popularity);
            Assert.Equal(src, back.EdgeSource);
            Assert.Equal(dst, back.EdgeTarget);
            Assert.Equal(w, back.Weights);
            Assert.Equal(d, back.Distances);
            Assert.Equal(m / 5, back.RepulsiveEdgeCount);
        }
    }

    [Fact]
    public void Streaming_write_produces_the_next_row_group_into_the_other_slot_while_one_is_written()
    {
        // The producer runs ahead on another thread: consecutive row groups must come in alternating slots, each slot's arrays
        // must not be refilled before the group in them has been written, and the file must hold exactly what was produced.
        using var dir = new TempDirectory();
        const int rows = 10_007, groupSize = 1000;
        var slots = new[] { (A: new long[groupSize], W: new float[groupSize]), (A: new long[groupSize], W: new float[groupSize]) };
        var calls = new List<(long Start, int Count, int Slot)>();
        var random = new DeterministicRandom(5);
        var delays = Enumerable.Range(0, 11).Select(_ => random.NextInt(4)).ToArray();
        var path = dir.File("streamed.parquet");
        ParquetArtifact.WriteStreaming(path, ArtifactKind.Cooccurrence, CooccurrenceArtifact.Schema, new Provenance(),
            [new ArtifactColumn("entity_a", Array.Empty<long>()), new ArtifactColumn("entity_b", Array.Empty<long>()), new ArtifactColumn("weight", Array.Empty<float>())],
            rows, (start, count, slot) =>
            {
                lock (calls) calls.Add((start, count, slot));
                Thread.Sleep(delays[calls.Count - 1]);
                var (a, w) = slots[slot];
                for (int t = 0; t < count; t++) { a[t] = start + t; w[t] = start + t; }
                return [a, a, w];
            }, rowGroupSize: groupSize);

        Assert.Equal(11, calls.Count);
        for (int g = 0; g < calls.Count; g++)
        {
            Assert.Equal(g * (long)groupSize, calls[g].Start);
            Assert.Equal(g < 10 ? groupSize : 7, calls[g].Count);
            Assert.Equal(g % 2, calls[g].Slot);
        }
        var table = ParquetArtifact.Read(path);
        Assert.Equal(Enumerable.Range(0, rows).Select(i => (long)i), table.Get<long>("entity_a"));
        Assert.Equal(Enumerable.Range(0, rows).Select(i => (long)i), table.Get<long>("entity_b"));
        Assert.Equal(Enumerable.Range(0, rows).Select(i => (float)i), table.Get<float>("weight"));
    }

    /// <summary>A co-occurrence file in row groups of 100: 300 self rows (ids 1..300), then 3,000 edges; <paramref name="edit"/> breaks one row.</summary>
    private static string CraftedCooccurrence(TempDirectory dir, Action<long[], long[], float[]> edit)
    {
        int n = 300, edges = 3000;
        var a = new long[n + edges]; var b = new long[n + edges]; var w = new float[n + edges];
        for (int i = 0; i < n; i++) { a[i] = b[i] = i + 1; w[i] = i; }
        for (int e = 0; e < edges; e++) { a[n + e] = 1 + e % n; b[n + e] = 1 + (e * 7 + 1 + e % n) % n; if (a[n + e] == b[n + e]) b[n + e] = 1 + b[n + e] % n; w[n + e] = 1 + e % 4; }
        edit(a, b, w);
        var path = dir.File("crafted.parquet");
        ParquetArtifact.Write(path, ArtifactKind.Cooccurrence, CooccurrenceArtifact.Schema, new Provenance(),
            [new ArtifactColumn("entity_a", a), new ArtifactColumn("entity_b", b), new ArtifactColumn("weight", w)], rowGroupSize: 100);
        return path;
    }

    [Theory]
    [InlineData("unknown", "UnknownEntity", 2345L, "entity_b")]
    [InlineData("negative", "NegativeWeight", 2901L, "weight")]
    [InlineData("duplicate-self", "DuplicateEntity", 151L, "entity_a")]
    [InlineData("fractional-popularity", "BadValue", 250L, "weight")]
    public void A_problem_in_a_later_row_group_is_reported_at_its_file_row(string problem, string errorId, long row, string column)
    {
        using var dir = new TempDirectory();
        var path = CraftedCooccurrence(dir, (a, b, w) =>
        {
            int r = (int)row - 1;
            switch (problem)
            {
                case "unknown": b[r] = 999; break;
                case "negative": w[r] = -2; break;
                case "duplicate-self": a[r] = b[r] = 7; break;
                case "fractional-popularity": w[r] = 2.5f; break;
            }
        });
        var streamed = Assert.Throws<EmbedPSException>(() => CooccurrenceArtifact.Read(path));
        Assert.Equal(errorId, streamed.ErrorId);
        Assert.Equal(row, streamed.Row);
        Assert.Equal(column, streamed.Column);
        Assert.Equal(Path.GetFullPath(path), streamed.File);
        // The whole-table checks (Test-EmbedArtifact) report the same first problem.
        var problems = ArtifactStore.Test(path);
        Assert.Equal(errorId, problems[0].ErrorId);
        Assert.Equal(row, problems[0].Row);
        Assert.Equal(streamed.Message, problems[0].Message);
    }

    [Fact]
    public void A_corrupted_page_in_a_later_row_group_is_refused_before_decoding()
    {
        using var dir = new TempDirectory();
        var path = CraftedCooccurrence(dir, (_, _, _) => { });
        var bytes = File.ReadAllBytes(path);
        int footerStart = bytes.Length - 8 - BitConverter.ToInt32(bytes, bytes.Length - 8);
        bytes[footerStart - 20] ^= 0x40; // inside the last row group's last page
        File.WriteAllBytes(path, bytes);
        var ex = Assert.Throws<EmbedPSException>(() => CooccurrenceArtifact.Read(path));
        Assert.True(ex.ErrorId is "ContentHashMismatch" or "ArtifactUnreadable", ex.ErrorId);
        Assert.Equal(Path.GetFullPath(path), ex.File);
    }

    [Fact]
    public void A_matrix_larger_than_the_memory_this_process_may_use_is_refused_naming_file_and_amounts()
    {
        using var dir = new TempDirectory();
        var path = CraftedCooccurrence(dir, (_, _, _) => { });
        MemoryBudget.Override.Value = new MemoryLimits(GcLimitBytes: 1L << 40, CgroupLimitBytes: 32 << 10, CgroupUsageBytes: 0, SystemAvailableBytes: null);
        try
        {
            var ex = Assert.Throws<EmbedPSException>(() => CooccurrenceArtifact.Read(path));
            Assert.Equal("InsufficientMemory", ex.ErrorId);
            Assert.Equal(Path.GetFullPath(path), ex.File);
            Assert.Contains(Path.GetFullPath(path), ex.Message);
            // 6,000 non-zeros × 8 bytes + 300 entities × 36 bytes; the cgroup leaves 32 KiB.
            Assert.Contains("needs 58,800 bytes", ex.Message);
            Assert.Contains("only 32,768 bytes", ex.Message);
            Assert.Contains("cgroup limit", ex.Message);
        }
        finally { MemoryBudget.Override.Value = null; }
    }
}

/// <summary>Alone in its collection, so that no other test allocates while the reader's allocations are counted.</summary>
[CollectionDefinition("AllocationMeasurement", DisableParallelization = true)]
public class AllocationMeasurementCollection;

[Collection("AllocationMeasurement")]
[Trait("Category", "Slow")]
public class StreamingReadAllocationTests(ITestOutputHelper output)
{
    [Fact]
    public void Reading_a_cooccurrence_artifact_holds_at_most_1_3_times_the_matrix()
    {
        using var dir = new TempDirectory();
        var matrix = StreamingTestData.Matrix(40_000, 50, seed: 2, spreadIds: false);
        Assert.True(matrix.NonZeroCount > 3_000_000, $"{matrix.NonZeroCount} non-zeros");
        var path = dir.File("big.parquet");
        CooccurrenceArtifact.Write(matrix, path, CancellationToken.None, 1 << 16);
        long matrixBytes = StreamingTestData.Bytes(matrix);
        matrix = null!;

        CooccurrenceArtifact.Read(path); // JIT and the Parquet library's one-time allocations
        long peak = 0, held = 0, allocated = 0;
        int probes = 0;
        CooccurrenceMatrix back = null!;
        // The heap is the whole process's: a thread left by an earlier test (a runspace, a browser driver) that frees memory
        // during the read makes the result look smaller than its arrays. That is caught below and the measurement repeated.
        for (int attempt = 0; attempt < 3; attempt++)
        {
            back = null!;
            long baseline = GC.GetTotalMemory(forceFullCollection: true);
            long attemptPeak = 0;
            probes = 0;
            // The live heap after every row group of both passes, while the group's columns, the id map and the growing result
            // are held: the read's high points (between them only one column chunk is decoded).
            EdgeArtifactStream.RowGroupProbe.Value = () => { probes++; attemptPeak = Math.Max(attemptPeak, GC.GetTotalMemory(forceFullCollection: true) - baseline); };
            long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            try { back = CooccurrenceArtifact.Read(path); }
            finally { EdgeArtifactStream.RowGroupProbe.Value = null; }
            allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
            held = GC.GetTotalMemory(forceFullCollection: true) - baseline;
            peak = Math.Max(attemptPeak, held);
            GC.KeepAlive(back);
            if (held >= 0.95 * matrixBytes) break;
            output.WriteLine($"attempt {attempt + 1}: the result held {held:N0} bytes, less than its arrays: the heap changed under the measurement; measuring again");
        }

        // The whole-table reader (what Read did before): its columns alone, held at once before the matrix is built.
        back = null!;
        long wholeBaseline = GC.GetTotalMemory(forceFullCollection: true);
        var table = ParquetArtifact.Read(path);
        long wholeColumns = GC.GetTotalMemory(forceFullCollection: true) - wholeBaseline;
        var whole = CooccurrenceArtifact.FromTable(table);
        long wholeHeld = GC.GetTotalMemory(forceFullCollection: true) - wholeBaseline; // columns and matrix, both held when FromTable returns
        GC.KeepAlive(table);
        table = null!;
        back = CooccurrenceArtifact.Read(path);

        Assert.Equal(matrixBytes, StreamingTestData.Bytes(back));
        StreamingTestData.AssertSame(whole, back);
        int groups;
        using (var file = ParquetArtifact.Open(path)) groups = file.RowGroupCount;
        Assert.True(groups >= 20, $"{groups} row groups");
        Assert.Equal(2 * groups, probes);
        double ratio = peak / (double)matrixBytes;
        output.WriteLine($"matrix {matrixBytes:N0} bytes ({back.NonZeroCount:N0} non-zeros, {groups} row groups); streaming read: peak live heap {peak:N0} ({ratio:F3}×), " +
            $"result {held:N0}, allocated in all {allocated:N0} ({allocated / (double)matrixBytes:F2}×, mostly the Parquet library's page buffers, collected as it goes); " +
            $"whole-table reader: columns alone {wholeColumns:N0} ({wholeColumns / (double)matrixBytes:F3}×), columns and matrix {wholeHeld:N0} ({wholeHeld / (double)matrixBytes:F3}×)");
        Assert.True(held >= 0.95 * matrixBytes, $"the result holds {held:N0} bytes, less than its arrays ({matrixBytes:N0}): the measurement is broken");
        Assert.True(ratio <= 1.3, $"the streaming read's live heap peaked at {ratio:F3}× the matrix");
        // The same measurement sees the whole-column reader's copies (so the bound above is not vacuous).
        Assert.True(wholeHeld > 2 * matrixBytes, $"the whole-table read held only {wholeHeld / (double)matrixBytes:F3}× the matrix");
    }
}
