using System.Runtime.CompilerServices;
using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Common;

namespace EmbedPS.Core.Cooccurrence;

/// <summary>
/// Persists a <see cref="CooccurrenceMatrix"/> as a 'cooccurrence' artifact: columns
/// <c>entity_a, entity_b, weight</c>. First one row per entity with entity_a = entity_b whose weight
/// is the entity's popularity (these rows also fix the entity order), then each unordered pair once (a before b).
/// </summary>
public static class CooccurrenceArtifact
{
    /// <summary>Registers this kind's codec (one row group at a time) with <see cref="ArtifactCodecs"/> when EmbedPS.Core loads.</summary>
    [ModuleInitializer]
    internal static void RegisterCodec() => ArtifactCodecs.Register<CooccurrenceMatrix>(ArtifactKind.Cooccurrence, FromTable, Write, Read);

    public const int Schema = 1;

    public static void Write(CooccurrenceMatrix matrix, string path, CancellationToken cancellation = default) =>
        Write(matrix, path, cancellation, ParquetArtifact.RowGroupSize);

    internal static void Write(CooccurrenceMatrix matrix, string path, CancellationToken cancellation, int rowGroupSize)
    {
        int n = matrix.EntityCount;
        long rows = n + matrix.PairCount;
        if (rows > int.MaxValue) throw new EmbedPSException("ArtifactTooLarge", EmbedPSErrorKind.NotSupported, $"{rows} rows exceed one artifact file; use -MaxPartners to bound the matrix.");
        // Pairs above the diagonal before each row, so that a row group can start anywhere in the matrix: the file is
        // written one row group at a time, never as whole columns (an atlas matrix has ~200 M pairs).
        var upperBefore = new long[n + 1];
        for (int i = 0; i < n; i++) upperBefore[i + 1] = upperBefore[i] + UpperCount(matrix.PartnersOf(i), i);
        var idSample = matrix.Entities.IsInteger ? (Array)Array.Empty<long>() : Array.Empty<string>();
        var columns = new List<ArtifactColumn> { new("entity_a", idSample), new("entity_b", idSample), new("weight", Array.Empty<float>()) };
        // Two sets of row-group buffers, reused: one is filled (on another thread) while the other is encoded. Fresh ones per
        // group were ~28 MB of large-object garbage each, which piled up to several GB before a full collection (the atlas
        // write peaked at 8.4 GB of heap for a 3.2 GB matrix).
        int size = (int)Math.Min(rowGroupSize, Math.Max(1, rows));
        var buffers = new[] { new RowGroupBuffers(size, matrix.Entities.IsInteger), new RowGroupBuffers(size, matrix.Entities.IsInteger) };
        ParquetArtifact.WriteStreaming(path, ArtifactKind.Cooccurrence, Schema, matrix.Provenance, columns, rows, (start, count, slot) =>
        {
            var (a, b, w, idsA, idsB) = buffers[slot];
            int t = 0;
            for (long r = start; t < count && r < n; r++, t++) { a[t] = (int)r; b[t] = (int)r; w[t] = matrix.Popularity[r]; }
            if (t < count)
            {
                long pair = start + t - n;
                // The row holding this pair: the last i with upperBefore[i] <= pair.
                int row = Array.BinarySearch(upperBefore, pair);
                if (row < 0) row = ~row - 1;
                while (row < n - 1 && upperBefore[row + 1] <= pair) row++;
                long skip = pair - upperBefore[row];
                for (int i = row; t < count; i++, skip = 0)
                {
                    var partners = matrix.PartnersOf(i);
                    var weights = matrix.WeightsOf(i);
                    int first = partners.Length - UpperCount(partners, i) + (int)skip;
                    for (int k = first; k < partners.Length && t < count; k++, t++) { a[t] = i; b[t] = partners[k]; w[t] = weights[k]; }
                }
            }
            ArtifactColumn.FillEntityIds(matrix.Entities, a.AsSpan(0, count), idsA);
            ArtifactColumn.FillEntityIds(matrix.Entities, b.AsSpan(0, count), idsB);
            return new Array[] { idsA, idsB, w };
        }, cancellation: cancellation, rowGroupSize: rowGroupSize);
    }

    /// <summary>One row group's columns: entity indices, weights, and the ids written for the indices.</summary>
    private sealed record RowGroupBuffers(int[] A, int[] B, float[] W, Array IdsA, Array IdsB)
    {
        public RowGroupBuffers(int size, bool integerIds)
            : this(new int[size], new int[size], new float[size], integerIds ? new long[size] : new string[size], integerIds ? new long[size] : new string[size]) { }
    }

    /// <summary>Partners above the diagonal (rows are sorted, so they are the tail of the row).</summary>
    private static int UpperCount(ReadOnlySpan<int> partners, int row)
    {
        int k = partners.BinarySearch(row);
        int firstAbove = k >= 0 ? k + 1 : ~k;
        return partners.Length - firstAbove;
    }

    /// <summary>
    /// Reads the artifact one row group at a time into the CSR matrix: after the content hash is verified (one streaming pass),
    /// a first pass over the row groups checks them, maps the ids and counts each entity's partners; the matrix's arrays are
    /// then allocated at their final size and a second pass scatters the weights into them. Peak memory is the matrix plus
    /// one row group, not the whole columns.
    /// </summary>
    public static CooccurrenceMatrix Read(string path, CancellationToken cancellation = default)
    {
        using var file = ParquetArtifact.Open(path, ArtifactKind.Cooccurrence, cancellation);
        return Read(file, cancellation);
    }

    /// <summary>As <see cref="Read(string, CancellationToken)"/>, from an artifact already opened (and verified).</summary>
    public static CooccurrenceMatrix Read(ArtifactRowGroups file, CancellationToken cancellation = default)
    {
        var stream = new EdgeArtifactStream(file);
        string[] columns = ["entity_a", "entity_b", "weight"];
        long[]? degree = null;
        int[]? popularity = null;
        stream.Pass(check: true, null, (group, a, b, count) =>
        {
            int n = stream.EntityCount;
            if (degree is null || degree.Length < n + 1)
            {
                int size = Math.Max(n + 1, 2 * (degree?.Length ?? 0));
                Array.Resize(ref degree, size);
                Array.Resize(ref popularity, size);
            }
            var weight = group.Get<float>("weight");
            for (int r = 0; r < count; r++)
            {
                int i = a[r], j = b[r];
                if (i < 0 || j < 0) continue; // an unknown entity: the pass throws at its end
                if (i == j) { popularity![i] += (int)Math.Round(weight[r]); continue; }
                degree[i + 1]++;
                degree[j + 1]++;
            }
        }, cancellation);
        int entities = stream.EntityCount;
        degree ??= new long[1];
        if (degree.Length != entities + 1) Array.Resize(ref degree, entities + 1);
        popularity ??= [];
        if (popularity.Length != entities) Array.Resize(ref popularity, entities);
        for (int i = 0; i < entities; i++) degree[i + 1] += degree[i];
        long nonZeros = degree[entities];
        if (nonZeros > Array.MaxLength)
            throw new EmbedPSException("ArtifactTooLarge", EmbedPSErrorKind.NotSupported, $"'{file.Path}' holds {nonZeros / 2:N0} pairs; a matrix holds at most {Array.MaxLength / 2:N0}.") { File = file.Path };
        EdgeArtifactStream.EnsureFits(file.Path, nonZeros * (sizeof(int) + sizeof(float)) + entities * 36L, $"the co-occurrence matrix ({nonZeros:N0} non-zeros)");
        var cursor = degree.AsSpan(0, entities).ToArray();
        var partners = new int[nonZeros];
        var weights = new float[nonZeros];
        stream.Pass(check: false, columns, (group, a, b, count) =>
        {
            var weight = group.Get<float>("weight");
            for (int r = 0; r < count; r++)
            {
                int i = a[r], j = b[r];
                if (i == j) continue;
                float w = weight[r];
                partners[cursor[i]] = j; weights[cursor[i]++] = w;
                partners[cursor[j]] = i; weights[cursor[j]++] = w;
            }
        }, cancellation);
        return EdgeListReader.SortAndMerge(stream.Entities(), popularity, degree, partners, weights, file.Provenance, out _);
    }

    public static CooccurrenceMatrix FromTable(ArtifactTable table)
    {
        var idsA = table.GetEntityIdColumn("entity_a");
        var idsB = table.GetEntityIdColumn("entity_b");
        var weight = table.Get<float>("weight");
        var edges = EdgeListReader.Index(idsA, idsB, table.Path);
        EdgeListReader.CheckKnownEntities(edges, table.Path);
        return EdgeListReader.BuildSymmetric(edges, weight, table.Provenance, table.Path);
    }
}

/// <summary>Turns an edge list with entity ids into dense indices and a symmetric CSR matrix.</summary>
public static class EdgeListReader
{
    public sealed record IndexedEdges(EntityIds Entities, int[] A, int[] B);

    /// <summary>Dense indices in order of first appearance (entity_a before entity_b on each row).</summary>
    public static IndexedEdges Index(Array idsA, Array idsB, string source)
    {
        int rows = idsA.Length;
        var a = new int[rows];
        var b = new int[rows];
        if (idsA is long[] la && idsB is long[] lb)
        {
            var map = new Dictionary<long, int>();
            var order = new List<long>();
            for (int r = 0; r < rows; r++)
            {
                a[r] = Lookup(map, order, la[r]);
                b[r] = Lookup(map, order, lb[r]);
            }
            return new IndexedEdges(EntityIds.FromIntegers(order.ToArray()), a, b);
        }
        var smap = new Dictionary<string, int>(StringComparer.Ordinal);
        var sorder = new List<string>();
        for (int r = 0; r < rows; r++)
        {
            a[r] = Lookup(smap, sorder, Text(idsA, r, source, "entity_a"));
            b[r] = Lookup(smap, sorder, Text(idsB, r, source, "entity_b"));
        }
        return new IndexedEdges(EntityIds.FromStrings(sorder.ToArray()), a, b);
    }

    /// <summary>
    /// An artifact lists every entity in its leading self rows (entity_a = entity_b), so entities first seen after them are
    /// unknown: an edge to one is an error naming its row.
    /// </summary>
    public static void CheckKnownEntities(IndexedEdges edges, string source)
    {
        int known = 0;
        while (known < edges.A.Length && edges.A[known] == edges.B[known]) known++;
        for (int r = known; r < edges.A.Length; r++)
        {
            int unknown = edges.A[r] >= known ? edges.A[r] : edges.B[r] >= known ? edges.B[r] : -1;
            if (unknown >= 0)
            {
                var column = edges.A[r] >= known ? "entity_a" : "entity_b";
                throw new EmbedPSException("UnknownEntity", EmbedPSErrorKind.InvalidData,
                    $"'{source}', row {r + 1}, column '{column}': entity '{edges.Entities.GetText(unknown)}' has no self row (the artifact lists its {known:N0} entities first); the edge points to an unknown entity.")
                { File = source, Row = r + 1, Column = column, Value = edges.Entities.GetText(unknown) };
            }
        }
    }

    /// <summary>The same edges with entities renumbered into the canonical order.</summary>
    public static IndexedEdges Canonical(IndexedEdges edges)
    {
        var (sorted, rank) = CanonicalOrder.Sort(edges.Entities);
        if (rank is null) return edges;
        var a = (int[])edges.A.Clone(); var b = (int[])edges.B.Clone();
        CanonicalOrder.Apply(a, rank); CanonicalOrder.Apply(b, rank);
        return new IndexedEdges(sorted, a, b);
    }

    private static string Text(Array ids, int r, string source, string column) => ids switch
    {
        long[] l => l[r].ToString(System.Globalization.CultureInfo.InvariantCulture),
        string[] s => s[r] ?? throw new EmbedPSException("NullId", EmbedPSErrorKind.InvalidData, $"'{source}', row {r + 1}, column '{column}': null entity id.") { File = source, Row = r + 1, Column = column },
        _ => throw new ArgumentException("ids must be long[] or string[]"),
    };

    private static int Lookup<T>(Dictionary<T, int> map, List<T> order, T id) where T : notnull
    {
        if (!map.TryGetValue(id, out var index))
        {
            index = order.Count;
            map.Add(id, index);
            order.Add(id);
        }
        return index;
    }

    /// <summary>
    /// Builds the symmetric CSR from pairs listed once each; rows with a == b give popularity (summed when repeated).
    /// Duplicate pairs (in either orientation) are summed.
    /// </summary>
    public static CooccurrenceMatrix BuildSymmetric(IndexedEdges edges, float[] weight, Provenance provenance, string source) =>
        BuildSymmetric(edges, weight, provenance, source, out _);

    /// <summary>As above; <paramref name="repeatedPairs"/> counts the unordered pairs that were listed more than once.</summary>
    public static CooccurrenceMatrix BuildSymmetric(IndexedEdges edges, float[] weight, Provenance provenance, string source, out long repeatedPairs)
    {
        int n = edges.Entities.Count;
        var popularity = new int[n];
        var degree = new long[n + 1];
        for (int r = 0; r < edges.A.Length; r++)
        {
            if (!float.IsFinite(weight[r]))
                throw new EmbedPSException("InvalidWeight", EmbedPSErrorKind.InvalidData, $"'{source}', row {r + 1}, column 'weight': {weight[r]} is not a finite number.") { File = source, Row = r + 1, Column = "weight", Value = weight[r].ToString(System.Globalization.CultureInfo.InvariantCulture) };
            if (edges.A[r] == edges.B[r]) { popularity[edges.A[r]] += (int)Math.Round(weight[r]); continue; }
            degree[edges.A[r] + 1]++;
            degree[edges.B[r] + 1]++;
        }
        for (int i = 0; i < n; i++) degree[i + 1] += degree[i];
        var cursor = degree.AsSpan(0, n).ToArray();
        var columns = new int[degree[n]];
        var values = new float[degree[n]];
        for (int r = 0; r < edges.A.Length; r++)
        {
            int i = edges.A[r], j = edges.B[r];
            if (i == j) continue;
            columns[cursor[i]] = j; values[cursor[i]++] = weight[r];
            columns[cursor[j]] = i; values[cursor[j]++] = weight[r];
        }
        return SortAndMerge(edges.Entities, popularity, degree, columns, values, provenance, out repeatedPairs);
    }

    /// <summary>
    /// The CSR matrix from rows scattered unsorted into <paramref name="columns"/> and <paramref name="values"/> at
    /// <paramref name="degree"/>'s prefix sums (each pair in both rows): sorts each row by column and sums repeated entries in
    /// place; the arrays are trimmed (one copy) only when something was merged.
    /// </summary>
    internal static CooccurrenceMatrix SortAndMerge(EntityIds entities, int[] popularity, long[] degree, int[] columns, float[] values, Provenance provenance, out long repeatedPairs)
    {
        int n = entities.Count;
        // Rows are independent: each is sorted and merged in place, in parallel. A row already in strictly ascending order (every
        // row of an artifact EmbedPS wrote: its pairs are listed in row order) is only checked, not sorted.
        var kept = new int[n];
        Parallel.For(0, n, i => kept[i] = SortAndMergeRow(columns.AsSpan((int)degree[i], (int)(degree[i + 1] - degree[i])), values.AsSpan((int)degree[i], (int)(degree[i + 1] - degree[i]))));
        var offsets = new long[n + 1];
        long write = 0, merged = 0;
        for (int i = 0; i < n; i++)
        {
            long start = degree[i];
            offsets[i] = write;
            if (write != start)
            {
                Array.Copy(columns, start, columns, write, kept[i]);
                Array.Copy(values, start, values, write, kept[i]);
            }
            merged += degree[i + 1] - start - kept[i];
            write += kept[i];
        }
        offsets[n] = write;
        repeatedPairs = merged / 2; // each repeat is merged once in either row
        if (write < columns.Length)
        {
            Array.Resize(ref columns, (int)write);
            Array.Resize(ref values, (int)write);
        }
        return new CooccurrenceMatrix(entities, popularity, offsets, columns, values, provenance);
    }

    /// <summary>Sorts one row by column and sums repeated columns (in double precision, rounded once); returns the entries kept at its start.</summary>
    internal static int SortAndMergeRow(Span<int> cols, Span<float> vals)
    {
        bool ascending = true;
        for (int k = 1; k < cols.Length && ascending; k++) ascending = cols[k - 1] < cols[k];
        if (ascending) return cols.Length;
        cols.Sort(vals);
        // Repeated pairs are summed in double precision and rounded once (float32 sums stop growing at 2^24).
        int write = 0;
        double sum = 0;
        for (int k = 0; k < cols.Length; k++)
        {
            if (write > 0 && cols[write - 1] == cols[k]) { sum += vals[k]; vals[write - 1] = (float)sum; continue; }
            cols[write] = cols[k];
            vals[write] = vals[k];
            sum = vals[k];
            write++;
        }
        return write;
    }
}
