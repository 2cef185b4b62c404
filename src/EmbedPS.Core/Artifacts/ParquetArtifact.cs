using System.Globalization;
using System.Reflection;
using EmbedPS.Core.Common;
using Parquet;
using Parquet.Schema;

namespace EmbedPS.Core.Artifacts;

/// <summary>A named column of an artifact: one of long, int, float, double or string values.</summary>
public sealed record ArtifactColumn(string Name, Array Values)
{
    public static ArtifactColumn EntityIds(string name, EntityIds ids, ReadOnlySpan<int> indices)
    {
        if (ids.IsInteger)
        {
            var source = ids.Integers!;
            var values = new long[indices.Length];
            for (int i = 0; i < indices.Length; i++) values[i] = source[indices[i]];
            return new ArtifactColumn(name, values);
        }
        var strings = ids.Strings!;
        var text = new string[indices.Length];
        for (int i = 0; i < indices.Length; i++) text[i] = strings[indices[i]];
        return new ArtifactColumn(name, text);
    }

    /// <summary>Writes the ids of <paramref name="indices"/> into <paramref name="target"/> (long[] or string[], as <paramref name="ids"/> stores them).</summary>
    internal static void FillEntityIds(EntityIds ids, ReadOnlySpan<int> indices, Array target)
    {
        if (ids.IsInteger)
        {
            var source = ids.Integers!;
            var values = (long[])target;
            for (int i = 0; i < indices.Length; i++) values[i] = source[indices[i]];
            return;
        }
        var strings = ids.Strings!;
        var text = (string[])target;
        for (int i = 0; i < indices.Length; i++) text[i] = strings[indices[i]];
    }

    public static ArtifactColumn AllEntityIds(string name, EntityIds ids) =>
        new(name, ids.IsInteger ? ids.Integers! : ids.Strings!);
}

/// <summary>What an artifact file holds once read: its footer and its columns by name.</summary>
public sealed class ArtifactTable
{
    public required string Path { get; init; }
    public required ArtifactKind Kind { get; init; }
    public required int Schema { get; init; }
    public required Provenance Provenance { get; init; }
    public required IReadOnlyDictionary<string, string> Metadata { get; init; }
    public required IReadOnlyDictionary<string, Array> Columns { get; init; }
    public required IReadOnlyList<string> ColumnOrder { get; init; }
    public long RowCount { get; init; }
    /// <summary>The file row of this table's first row (0 for a whole table; a row group's start for <see cref="ArtifactRowGroups.ReadRowGroup"/>).</summary>
    public long FirstRow { get; init; }

    public T[] Get<T>(string name)
    {
        if (!Columns.TryGetValue(name, out var values))
            throw new EmbedPSException("ArtifactColumnMissing", EmbedPSErrorKind.InvalidData,
                $"Artifact '{Path}' has no column '{name}'. Columns: {string.Join(", ", ColumnOrder)}.") { File = Path, Column = name };
        if (values is T[] typed) return typed;
        // Accept widening conversions that other writers (DuckDB, Spark) commonly produce.
        var result = new T[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            var v = values.GetValue(i);
            if (v is null) throw new EmbedPSException("ArtifactNullValue", EmbedPSErrorKind.InvalidData,
                $"Artifact '{Path}', row {FirstRow + i + 1}, column '{name}': null value.") { File = Path, Row = FirstRow + i + 1, Column = name };
            result[i] = (T)Convert.ChangeType(v, typeof(T), CultureInfo.InvariantCulture);
        }
        return result;
    }

    public bool Has(string name) => Columns.ContainsKey(name);

    /// <summary>An entity id column, typed as the file stores it (int64 or string).</summary>
    public Array GetEntityIdColumn(string name)
    {
        var values = Columns.TryGetValue(name, out var v) ? v : Get<string>(name);
        return values switch
        {
            long[] or string[] => values,
            int[] ints => Array.ConvertAll(ints, x => (long)x),
            _ => Get<string>(name),
        };
    }

    public string? MetadataValue(string key) => Metadata.TryGetValue(key, out var v) ? v : null;
}

/// <summary>
/// Reads and writes EmbedPS artifacts: one Parquet file, plain columns any reader understands, and
/// footer key-value metadata (<c>embedps.kind</c>, <c>embedps.schema</c>, <c>embedps.version</c>,
/// <c>embedps.created</c>, <c>embedps.parameters</c>, <c>embedps.inputs</c>).
/// </summary>
public static class ParquetArtifact
{
    public const string KindKey = "embedps.kind";
    public const string SchemaKey = "embedps.schema";
    public const string VersionKey = "embedps.version";
    public const string CreatedKey = "embedps.created";
    public const string ParametersKey = "embedps.parameters";
    public const string InputsKey = "embedps.inputs";

    public const int RowGroupSize = 1 << 20;

    public static string LibraryVersion { get; } =
        typeof(ParquetArtifact).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion?.Split('+')[0]
        ?? typeof(ParquetArtifact).Assembly.GetName().Version?.ToString() ?? "0.0.0";

    /// <summary>
    /// Writes the artifact atomically (temporary file, then rename) and records the written file's
    /// path and SHA-256 in <paramref name="provenance"/>.
    /// </summary>
    public static void Write(string path, ArtifactKind kind, int schema, Provenance provenance,
        IReadOnlyList<ArtifactColumn> columns, IReadOnlyDictionary<string, string>? extraMetadata = null,
        CancellationToken cancellation = default, int rowGroupSize = RowGroupSize)
    {
        if (columns.Count == 0) throw new ArgumentException("An artifact needs at least one column.", nameof(columns));
        long rows = columns[0].Values.Length;
        foreach (var c in columns)
        {
            if (c.Values.Length != rows)
                throw new ArgumentException($"Column '{c.Name}' has {c.Values.Length} values, expected {rows}.");
        }
        WriteCore(path, kind, schema, provenance, columns.Select(c => CreateField(c)).ToArray(), rows,
            (group, fields, start, count) =>
            {
                for (int c = 0; c < columns.Count; c++) WriteSlice(group, fields[c], columns[c].Values, (int)start, count, cancellation);
            }, extraMetadata, cancellation, rowGroupSize);
    }

    /// <summary>
    /// Writes an artifact one row group at a time: <paramref name="produceRowGroup"/> fills the columns' values for rows
    /// [start, start + count) (arrays of at least count values, typed like <paramref name="columns"/>' samples). Memory is
    /// one row group, whatever the number of rows — for artifacts whose columns would otherwise be materialised whole.
    /// </summary>
    public static void WriteStreaming(string path, ArtifactKind kind, int schema, Provenance provenance,
        IReadOnlyList<ArtifactColumn> columns, long rows, Func<long, int, Array[]> produceRowGroup,
        IReadOnlyDictionary<string, string>? extraMetadata = null, CancellationToken cancellation = default, int rowGroupSize = RowGroupSize)
    {
        WriteCore(path, kind, schema, provenance, columns.Select(c => CreateField(c)).ToArray(), rows,
            (group, fields, start, count) =>
            {
                var values = produceRowGroup(start, count);
                for (int c = 0; c < fields.Length; c++) WriteSlice(group, fields[c], values[c], 0, count, cancellation);
            }, extraMetadata, cancellation, rowGroupSize);
    }

    private static void WriteCore(string path, ArtifactKind kind, int schema, Provenance provenance, DataField[] dataFields, long rows,
        Action<ParquetRowGroupWriter, DataField[], long, int> writeRowGroup, IReadOnlyDictionary<string, string>? extraMetadata,
        CancellationToken cancellation, int rowGroupSize = RowGroupSize)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [KindKey] = ArtifactKinds.Name(kind),
            [SchemaKey] = schema.ToString(CultureInfo.InvariantCulture),
            [VersionKey] = LibraryVersion,
            [CreatedKey] = provenance.Created.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            [ParametersKey] = provenance.ParametersJson(),
            [InputsKey] = provenance.InputsJson(),
        };
        if (extraMetadata is not null)
        {
            foreach (var (key, value) in extraMetadata) metadata[key] = value;
        }

        var fields = dataFields.Cast<Field>().ToArray();
        string? fileHash = null;
        AtomicFile.Write(path, file =>
        {
            // Every byte before the footer is hashed as it is written; the hash goes into the footer (embedps.content-sha256),
            // so that a corrupted page is found on import even though Parquet.Net writes no page checksums.
            using var stream = new HashingWriteStream(file);
            var writer = ParquetWriter.CreateAsync(new ParquetSchema(fields), stream, WriterOptions(dataFields), cancellationToken: cancellation).GetAwaiter().GetResult();
            bool completed = false;
            try
            {
                writer.CustomMetadata = metadata;
                for (long start = 0; start < Math.Max(rows, 1); start += rowGroupSize)
                {
                    cancellation.ThrowIfCancellationRequested();
                    int count = (int)Math.Min(rowGroupSize, rows - start);
                    using var group = writer.CreateRowGroup();
                    writeRowGroup(group, dataFields, start, count);
                }
                completed = true;
            }
            finally
            {
                if (completed && stream.CurrentHash() is { } hash)
                {
                    metadata[ContentHashKey] = ContentHash(hash, dataFields.Select(f => (f.Name, f.ClrType)), rows, metadata);
                    writer.CustomMetadata = metadata;
                }
                writer.DisposeAsync().AsTask().GetAwaiter().GetResult();
                // The same running hash, once the footer is written too, is the whole file's SHA-256: no second read of the file.
                // Not when a test interceptor sits between this stream and the disk (it may change what reaches the file).
                if (completed && AtomicFile.StreamInterceptor.Value is null) fileHash = stream.CurrentHash();
            }
        }, cancellation);

        provenance.ArtifactPath = Path.GetFullPath(path);
        provenance.ArtifactSha256 = fileHash ?? FileHash.Sha256(path);
        provenance.WriterVersion = LibraryVersion;
    }

    /// <summary>
    /// Integer columns (entity ids, indices, counts) are written DELTA_BINARY_PACKED, a standard Parquet encoding every reader
    /// (DuckDB, Arrow, Spark) decodes: ids in an edge list change by small steps, so the atlas co-occurrence artifact shrinks
    /// from 1.1 GB to about a third and both writing and reading it cost a fraction of the plain encoding's time.
    /// </summary>
    private static ParquetOptions WriterOptions(DataField[] fields)
    {
        var options = new ParquetOptions();
        foreach (var field in fields)
        {
            if (field.ClrType == typeof(long) || field.ClrType == typeof(int))
                options.ColumnEncodingHints[field.Name] = EncodingHint.DeltaBinaryPacked;
        }
        return options;
    }

    private static DataField CreateField(ArtifactColumn column) => column.Values switch
    {
        long[] => new DataField<long>(column.Name),
        int[] => new DataField<int>(column.Name),
        float[] => new DataField<float>(column.Name),
        double[] => new DataField<double>(column.Name),
        string[] => new DataField<string>(column.Name),
        _ => throw new NotSupportedException($"Column '{column.Name}' has unsupported type {column.Values.GetType().Name}."),
    };

    private static void WriteSlice(ParquetRowGroupWriter group, DataField field, Array values, int start, int count, CancellationToken cancellation)
    {
        switch (values)
        {
            case long[] l: group.WriteAsync<long>(field, new ReadOnlyMemory<long>(l, start, count), cancellationToken: cancellation).GetAwaiter().GetResult(); break;
            case int[] i: group.WriteAsync<int>(field, new ReadOnlyMemory<int>(i, start, count), cancellationToken: cancellation).GetAwaiter().GetResult(); break;
            case float[] f: group.WriteAsync<float>(field, new ReadOnlyMemory<float>(f, start, count), cancellationToken: cancellation).GetAwaiter().GetResult(); break;
            case double[] d: group.WriteAsync<double>(field, new ReadOnlyMemory<double>(d, start, count), cancellationToken: cancellation).GetAwaiter().GetResult(); break;
            case string[] s: group.WriteAsync(field, new ArraySegment<string>(s, start, count)).GetAwaiter().GetResult(); break;
            default: throw new NotSupportedException(values.GetType().Name);
        }
    }

    /// <summary>Reads an artifact whole. Throws a clear error when the file is not an EmbedPS artifact of the expected kind.</summary>
    public static ArtifactTable Read(string path, ArtifactKind? expectedKind = null, CancellationToken cancellation = default)
    {
        using var file = Open(path, expectedKind, cancellation);
        return file.ReadAll(cancellation);
    }

    /// <summary>
    /// Opens an artifact for reading one row group at a time (<see cref="ArtifactRowGroups.ReadRowGroup"/>): the frame, the footer
    /// and the content hash are checked first, in one streaming pass over the file, so that no page is decoded before every byte
    /// has been verified. Memory is the footer plus what the caller keeps of each row group.
    /// </summary>
    public static ArtifactRowGroups Open(string path, ArtifactKind? expectedKind = null, CancellationToken cancellation = default) =>
        OpenCore(path, expectedKind, null, cancellation)!;

    /// <summary>
    /// Every problem <see cref="Read"/> would stop at, without stopping: an unreadable file gives one problem; otherwise the footer
    /// and column checks of <see cref="ArtifactValidation"/> each add theirs. An empty list means the artifact passes the checks.
    /// </summary>
    public static ArtifactTable? Inspect(string path, List<ArtifactProblem> problems, ArtifactKind? expectedKind = null, CancellationToken cancellation = default)
    {
        try
        {
            using var file = OpenCore(path, expectedKind, problems, cancellation);
            return file?.ReadAll(cancellation, problems);
        }
        catch (EmbedPSException ex)
        {
            problems.Add(new ArtifactProblem(ex.ErrorId, ex.Message, ex.File ?? Path.GetFullPath(path), Column: ex.Column, Row: ex.Row, Value: ex.Value));
            return null;
        }
    }

    private static ArtifactRowGroups? OpenCore(string path, ArtifactKind? expectedKind, List<ArtifactProblem>? collect, CancellationToken cancellation)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new EmbedPSException("ArtifactIsDirectory", EmbedPSErrorKind.InvalidArgument, $"'{full}' is a directory, not an artifact file.") { File = full };
        if (!File.Exists(full))
            throw new EmbedPSException("ArtifactNotFound", EmbedPSErrorKind.ObjectNotFound, $"Artifact file '{full}' does not exist.") { File = full };
        var problems = collect ?? new List<ArtifactProblem>();
        void Stop() { if (collect is null && problems.Count > 0) throw problems[0].ToException(); }
        FileStream? stream = null;
        ParquetReader? reader = null;
        bool handedOver = false;
        try
        {
            stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            long footerStart = CheckFrame(stream, full);
            reader = ParquetReader.CreateAsync(stream, cancellationToken: cancellation).GetAwaiter().GetResult();
            var metadata = new Dictionary<string, string>(reader.CustomMetadata ?? new Dictionary<string, string>(), StringComparer.Ordinal);
            if (!metadata.TryGetValue(KindKey, out var kindName) || !ArtifactKinds.TryParse(kindName, out var kind))
            {
                throw new EmbedPSException("NotAnEmbedPSArtifact", EmbedPSErrorKind.InvalidData,
                    $"'{full}' is a Parquet file but not an EmbedPS artifact: its footer has no valid '{KindKey}' key" +
                    (kindName is null ? "." : $" (found '{kindName}').")) { File = full, Column = KindKey };
            }
            if (expectedKind is { } expected && expected != kind)
            {
                throw new EmbedPSException("WrongArtifactKind", EmbedPSErrorKind.InvalidData,
                    $"'{full}' is {Grammar.WithArticle(kindName)} artifact; expected {Grammar.WithArticle(ArtifactKinds.Name(expected))} artifact.") { File = full, Value = kindName };
            }
            int schema = ArtifactValidation.CheckFooter(full, kind, metadata, problems);
            Stop();
            // Verified before anything is decoded: one sequential pass with a 1 MiB buffer (measured cheaper and simpler than
            // hashing the reads the Parquet decoder makes, which seek between column chunks; see README, "Artifact contract").
            var (pagesHash, fileHash) = HashFile(stream, footerStart, cancellation);
            long totalRows = 0;
            var groupRows = new long[reader.RowGroupCount];
            for (int g = 0; g < reader.RowGroupCount; g++) { using var group = reader.OpenRowGroupReader(g); groupRows[g] = group.RowCount; totalRows += group.RowCount; }
            var contentHash = ContentHash(pagesHash, reader.Schema.GetDataFields().Select(f => (f.Name, f.ClrType)), totalRows, metadata);
            if (!metadata.TryGetValue(ContentHashKey, out var expectedHash))
            {
                problems.Add(new ArtifactProblem("ContentHashMissing",
                    $"'{full}': the footer has no '{ContentHashKey}' key. Every artifact EmbedPS writes carries this hash of its content, so the file was damaged, " +
                    "edited or rewritten by another tool, or written by an EmbedPS build older than the hash; its content cannot be verified. Rewrite it from its inputs.",
                    full, ContentHashKey));
                Stop();
                if (collect is not null) return null;
            }
            else if (!string.Equals(expectedHash, contentHash, StringComparison.OrdinalIgnoreCase))
            {
                problems.Add(new ArtifactProblem("ContentHashMismatch",
                    $"'{full}': the data pages, schema or EmbedPS footer keys do not match the SHA-256 recorded in footer key '{ContentHashKey}' when the file was written: the file was corrupted or modified after writing. Rewrite it from its inputs.",
                    full, ContentHashKey, Value: contentHash));
                Stop();
                if (collect is not null) return null; // corrupt pages: decoding them could only add noise
            }
            stream.Position = 0;
            var provenance = new Provenance
            {
                Parameters = Provenance.ParseParameters(metadata.GetValueOrDefault(ParametersKey)),
                Inputs = ParseFooter(full, InputsKey, () => Provenance.ParseInputs(metadata.GetValueOrDefault(InputsKey))),
                Created = DateTime.TryParse(metadata.GetValueOrDefault(CreatedKey), CultureInfo.InvariantCulture,
                    DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var created) ? created : File.GetLastWriteTimeUtc(full),
                ArtifactPath = full,
                ArtifactSha256 = fileHash,
                WriterVersion = metadata.GetValueOrDefault(VersionKey),
            };
            var result = new ArtifactRowGroups(stream, reader, full, kind, schema, provenance, metadata, groupRows, totalRows);
            handedOver = true;
            return result;
        }
        catch (EmbedPSException) { throw; }
        catch (OperationCanceledException) { throw; }
        catch (Exception ex) // whatever a corrupt file makes the Parquet library throw, the user gets the file named
        {
            throw Unreadable(full, ex);
        }
        finally
        {
            if (!handedOver)
            {
                if (reader is not null) new SyncDispose(reader).Dispose();
                stream?.Dispose();
            }
        }
    }

    internal static EmbedPSException Unreadable(string full, Exception ex) =>
        new("ArtifactUnreadable", EmbedPSErrorKind.InvalidData,
            $"'{full}' is not a readable Parquet file (truncated or corrupt?): {ex.GetType().Name}: {ex.Message}", ex) { File = full };

    /// <summary>Reads every row group of <paramref name="reader"/> into whole columns.</summary>
    internal static Dictionary<string, Array> ReadAllColumns(ParquetReader reader, string path, CancellationToken cancellation, out List<string> order, out long rows) =>
        ReadColumns(reader, path, cancellation, out order, out rows);

    /// <summary>Reads the named columns of one row group into <paramref name="buffers"/> (reused when their length fits) and normalises them.</summary>
    internal static Dictionary<string, Array> ReadGroupColumns(ParquetReader reader, int rowGroup, IReadOnlyList<string> names, Dictionary<string, Array> buffers, string path, long firstRow, CancellationToken cancellation)
    {
        using var group = reader.OpenRowGroupReader(rowGroup);
        int count = checked((int)group.RowCount);
        var fields = reader.Schema.GetDataFields();
        var result = new Dictionary<string, Array>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var field = fields.FirstOrDefault(f => f.Name == name);
            if (field is null) continue;
            if (!buffers.TryGetValue(name, out var buffer) || buffer.Length != count)
                buffers[name] = buffer = CreateBuffer(field, count);
            ReadInto(group, field, buffer, 0, count, cancellation);
            result[name] = Normalize(buffer, path, name, firstRow);
        }
        return result;
    }

    /// <summary>Runs a footer parser; a JSON error names the file and the key.</summary>
    public static T ParseFooter<T>(string path, string key, Func<T> parse)
    {
        try { return parse(); }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or FormatException or ArgumentException or InvalidOperationException or NotSupportedException or OverflowException)
        {
            throw new EmbedPSException("BadFooterJson", EmbedPSErrorKind.InvalidData, $"'{path}': footer key '{key}' does not hold what EmbedPS wrote there: {ex.Message}", ex) { File = path, Column = key };
        }
    }

    /// <summary>
    /// Footer key of the content hash EmbedPS writes: SHA-256 over the SHA-256 of every byte before the Parquet footer (magic,
    /// row groups, pages), the columns' names and types, the row count, and every other 'embedps.*' footer key and value.
    /// Parquet.Net writes no page checksums, so this is what finds a corrupted page or a tampered footer key on import.
    /// </summary>
    public const string ContentHashKey = "embedps.content-sha256";

    /// <summary>
    /// The content hash (<see cref="ContentHashKey"/>) the file's footer should carry for its current pages, schema and
    /// 'embedps.*' keys. For tools that rewrite an artifact's footer on purpose, and for tests.
    /// </summary>
    public static string ComputeContentHash(string path, CancellationToken cancellation = default)
    {
        var full = Path.GetFullPath(path);
        using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        long footerStart = CheckFrame(stream, full);
        var reader = ParquetReader.CreateAsync(stream, cancellationToken: cancellation).GetAwaiter().GetResult();
        using var disposeReader = new SyncDispose(reader);
        var metadata = new Dictionary<string, string>(reader.CustomMetadata ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        var (pagesHash, _) = HashFile(stream, footerStart, cancellation);
        long totalRows = 0;
        for (int g = 0; g < reader.RowGroupCount; g++) { using var group = reader.OpenRowGroupReader(g); totalRows += group.RowCount; }
        return ContentHash(pagesHash, reader.Schema.GetDataFields().Select(f => (f.Name, f.ClrType)), totalRows, metadata);
    }

    private static string ContentHash(string pagesHash, IEnumerable<(string Name, Type Type)> fields, long rows, IReadOnlyDictionary<string, string> metadata)
    {
        var text = new System.Text.StringBuilder(pagesHash).Append('\n');
        foreach (var (name, type) in fields) text.Append(name).Append(':').Append(type.Name).Append('\n');
        text.Append("rows=").Append(rows.ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach (var (key, value) in metadata.Where(kv => kv.Key.StartsWith("embedps.", StringComparison.Ordinal) && kv.Key != ContentHashKey).OrderBy(kv => kv.Key, StringComparer.Ordinal))
            text.Append(key).Append('=').Append(value.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(value).Append('\n');
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>
    /// Checks the Parquet frame before a parser sees it ("PAR1" at both ends, a footer length inside the file) and returns
    /// where the footer starts.
    /// </summary>
    private static long CheckFrame(FileStream stream, string path)
    {
        long length = stream.Length;
        Span<byte> head = stackalloc byte[4];
        Span<byte> tail = stackalloc byte[8];
        if (length < 12) throw new EmbedPSException("ArtifactUnreadable", EmbedPSErrorKind.InvalidData, $"'{path}' is not a Parquet file: it has only {length} bytes (truncated?).") { File = path };
        stream.Position = 0; stream.ReadExactly(head);
        stream.Position = length - 8; stream.ReadExactly(tail);
        stream.Position = 0;
        if (!head.SequenceEqual("PAR1"u8))
            throw new EmbedPSException("ArtifactUnreadable", EmbedPSErrorKind.InvalidData, $"'{path}' is not a Parquet file: it does not start with the 'PAR1' magic bytes.") { File = path };
        if (!tail[4..].SequenceEqual("PAR1"u8))
            throw new EmbedPSException("ArtifactUnreadable", EmbedPSErrorKind.InvalidData, $"'{path}' is not a complete Parquet file: it does not end with the 'PAR1' magic bytes (truncated?).") { File = path };
        long footer = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(tail);
        if (footer <= 0 || footer > length - 12)
            throw new EmbedPSException("ArtifactUnreadable", EmbedPSErrorKind.InvalidData, $"'{path}' is not a readable Parquet file: its footer length {footer} does not fit a file of {length} bytes (truncated or corrupt?).") { File = path };
        return length - 8 - footer;
    }

    /// <summary>
    /// One read of the file: the SHA-256 of the bytes before the footer and of the whole file. One hash serves both (the
    /// content hash is its state at the footer's start), so every byte is hashed once: 0.9 s instead of 1.8 s on the 1.1 GB
    /// atlas co-occurrence artifact, whose sequential read from the page cache takes 0.2 s of that.
    /// </summary>
    private static (string Content, string File) HashFile(FileStream stream, long footerStart, CancellationToken cancellation)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        stream.Position = 0;
        long position = 0;
        string? content = null;
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            cancellation.ThrowIfCancellationRequested();
            if (content is null && position + read >= footerStart)
            {
                int before = (int)(footerStart - position);
                hash.AppendData(buffer, 0, before);
                content = Convert.ToHexStringLower(hash.GetCurrentHash());
                hash.AppendData(buffer, before, read - before);
            }
            else hash.AppendData(buffer, 0, read);
            position += read;
        }
        content ??= Convert.ToHexStringLower(hash.GetCurrentHash()); // unreachable for a framed file (the footer lies inside it)
        return (content, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    /// <summary>Reads a plain Parquet file (no EmbedPS footer required), e.g. an edge list written by Spark or DuckDB.</summary>
    public static (IReadOnlyDictionary<string, Array> Columns, IReadOnlyList<string> Order, long Rows) ReadPlain(string path, CancellationToken cancellation = default)
    {
        var full = Path.GetFullPath(path);
        try
        {
            using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            CheckFrame(stream, full);
            var reader = ParquetReader.CreateAsync(stream, cancellationToken: cancellation).GetAwaiter().GetResult();
            using var disposeReader = new SyncDispose(reader);
            var columns = ReadColumns(reader, full, cancellation, out var order, out var rows);
            return (columns, order, rows);
        }
        catch (EmbedPSException) { throw; }
        catch (OperationCanceledException) { throw; }
        catch (Exception ex)
        {
            throw new EmbedPSException("ParquetUnreadable", EmbedPSErrorKind.InvalidData,
                $"'{full}' is not a readable Parquet file (truncated or corrupt?): {ex.GetType().Name}: {ex.Message}", ex) { File = full };
        }
    }

    /// <summary>A write-through stream that hashes every byte written, in order; <see cref="CurrentHash"/> is null after a seek backwards.</summary>
    private sealed class HashingWriteStream(Stream inner) : Stream
    {
        private readonly System.Security.Cryptography.IncrementalHash _hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        private bool _broken;

        public string? CurrentHash() => _broken ? null : Convert.ToHexStringLower(_hash.GetCurrentHash());
        public override bool CanRead => false;
        public override bool CanSeek => inner.CanSeek;
        public override bool CanWrite => true;
        public override long Length => inner.Length;
        public override long Position
        {
            get => inner.Position;
            set { if (value != inner.Position) _broken = true; inner.Position = value; }
        }
        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin)
        {
            long before = inner.Position;
            long after = inner.Seek(offset, origin);
            if (after != before) _broken = true;
            return after;
        }
        public override void SetLength(long value) { _broken = true; inner.SetLength(value); }
        public override void Write(byte[] buffer, int offset, int count) { _hash.AppendData(buffer, offset, count); inner.Write(buffer, offset, count); }
        public override void Write(ReadOnlySpan<byte> buffer) { _hash.AppendData(buffer); inner.Write(buffer); }
        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _hash.AppendData(buffer.Span);
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
        public override void WriteByte(byte value) { Span<byte> one = [value]; Write(one); }
        protected override void Dispose(bool disposing) { if (disposing) _hash.Dispose(); base.Dispose(disposing); }
    }

    internal sealed class SyncDispose(IAsyncDisposable inner) : IDisposable
    {
        public void Dispose() => inner.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    private static Dictionary<string, Array> ReadColumns(ParquetReader reader, string path, CancellationToken cancellation, out List<string> order, out long rowCount)
    {
        var fields = reader.Schema.GetDataFields();
        rowCount = 0;
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            rowCount += group.RowCount;
        }
        if (rowCount > int.MaxValue) throw new EmbedPSException("ArtifactTooLarge", EmbedPSErrorKind.NotSupported, $"'{path}' has {rowCount} rows; at most {int.MaxValue} are supported in one file.") { File = path };
        var result = new Dictionary<string, Array>(StringComparer.Ordinal);
        order = new List<string>();
        int totalRows = (int)rowCount;
        var buffers = fields.Select(f => CreateBuffer(f, totalRows)).ToArray();
        int offset = 0;
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            cancellation.ThrowIfCancellationRequested();
            using var group = reader.OpenRowGroupReader(g);
            int count = (int)group.RowCount;
            for (int f = 0; f < fields.Length; f++)
            {
                ReadInto(group, fields[f], buffers[f], offset, count, cancellation);
            }
            offset += count;
        }
        for (int f = 0; f < fields.Length; f++)
        {
            var name = fields[f].Name;
            result[name] = Normalize(buffers[f], path, name);
            order.Add(name);
        }
        return result;
    }

    private static Array CreateBuffer(DataField field, int rows)
    {
        var t = field.ClrType;
        if (t == typeof(long)) return field.IsNullable ? new long?[rows] : new long[rows];
        if (t == typeof(int)) return field.IsNullable ? new int?[rows] : new int[rows];
        if (t == typeof(float)) return field.IsNullable ? new float?[rows] : new float[rows];
        if (t == typeof(double)) return field.IsNullable ? new double?[rows] : new double[rows];
        if (t == typeof(string) || t == typeof(ReadOnlyMemory<char>)) return new string?[rows];
        if (t == typeof(short)) return field.IsNullable ? new short?[rows] : new short[rows];
        if (t == typeof(bool)) return field.IsNullable ? new bool?[rows] : new bool[rows];
        if (t == typeof(DateTime)) return field.IsNullable ? new DateTime?[rows] : new DateTime[rows];
        if (t == typeof(decimal)) return field.IsNullable ? new decimal?[rows] : new decimal[rows];
        return new object?[rows];
    }

    private static void ReadInto(ParquetRowGroupReader group, DataField field, Array buffer, int offset, int count, CancellationToken ct)
    {
        switch (buffer)
        {
            case long[] a: group.ReadAsync<long>(field, a.AsMemory(offset, count), cancellationToken: ct).GetAwaiter().GetResult(); break;
            case long?[] a: group.ReadAsync<long>(field, a.AsMemory(offset, count), cancellationToken: ct).GetAwaiter().GetResult(); break;
            case int[] a: group.ReadAsync<int>(field, a.AsMemory(offset, count), cancellationToken: ct).GetAwaiter().GetResult(); break;
            case int?[] a: group.ReadAsync<int>(field, a.AsMemory(offset, count), cancellationToken: ct).GetAwaiter().GetResult(); break;
            case float[] a: group.ReadAsync<float>(field, a.AsMemory(offset, count), cancellationToken: ct).GetAwaiter().GetResult(); break;
            case float?[] a: group.ReadAsync<float>(field, a.AsMemory(offset, count), cancellationToken: ct).GetAwaiter().GetResult(); break;
            case double[] a: group.ReadAsync<double>(field, a.AsMemory(offset, count), cancellationToken: ct).GetAwaiter().GetResult(); break;
            case double?[] a: group.ReadAsync<double>(field, a.AsMemory(offset, count), cancellationToken: ct).GetAwaiter().GetResult(); break;
            case short[] a: group.ReadAsync<short>(field, a.AsMemory(offset, count), cancellationToken: ct).GetAwaiter().GetResult(); break;
            case short?[] a: group.ReadAsync<short>(field, a.AsMemory(offset, count), cancellationToken: ct).GetAwaiter().GetResult(); break;
            case bool[] a: group.ReadAsync<bool>(field, a.AsMemory(offset, count), cancellationToken: ct).GetAwaiter().GetResult(); break;
            case bool?[] a: group.ReadAsync<bool>(field, a.AsMemory(offset, count), cancellationToken: ct).GetAwaiter().GetResult(); break;
            case DateTime[] a: group.ReadAsync<DateTime>(field, a.AsMemory(offset, count), cancellationToken: ct).GetAwaiter().GetResult(); break;
            case DateTime?[] a: group.ReadAsync<DateTime>(field, a.AsMemory(offset, count), cancellationToken: ct).GetAwaiter().GetResult(); break;
            case decimal[] a: group.ReadAsync<decimal>(field, a.AsMemory(offset, count), cancellationToken: ct).GetAwaiter().GetResult(); break;
            case decimal?[] a: group.ReadAsync<decimal>(field, a.AsMemory(offset, count), cancellationToken: ct).GetAwaiter().GetResult(); break;
            case string?[] a: group.ReadAsync(field, new Memory<string?>(a, offset, count), null, ct).GetAwaiter().GetResult(); break;
            default: throw new NotSupportedException($"Column '{field.Name}' has unsupported Parquet type {field.ClrType.Name}.");
        }
    }

    /// <summary>Nullable columns without nulls (DuckDB and Spark write every column nullable) become plain arrays.</summary>
    private static Array Normalize(Array buffer, string path, string column, long firstRow = 0)
    {
        return buffer switch
        {
            long?[] a => Unwrap(a, path, column, firstRow),
            int?[] a => Unwrap(a, path, column, firstRow),
            float?[] a => Unwrap(a, path, column, firstRow),
            double?[] a => Unwrap(a, path, column, firstRow),
            short?[] a => Array.ConvertAll(Unwrap(a, path, column, firstRow), x => (int)x),
            short[] a => Array.ConvertAll(a, x => (int)x),
            bool?[] a => Unwrap(a, path, column, firstRow),
            DateTime?[] a => Unwrap(a, path, column, firstRow),
            decimal?[] a => Array.ConvertAll(Unwrap(a, path, column, firstRow), x => (double)x),
            decimal[] a => Array.ConvertAll(a, x => (double)x),
            _ => buffer,
        };
    }

    private static T[] Unwrap<T>(T?[] values, string path, string column, long firstRow) where T : struct
    {
        var result = new T[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] is not { } v)
                throw new EmbedPSException("NullValue", EmbedPSErrorKind.InvalidData,
                    $"'{path}', row {firstRow + i + 1}, column '{column}': null value where a number is required.") { File = path, Row = firstRow + i + 1, Column = column };
            result[i] = v;
        }
        return result;
    }
}
