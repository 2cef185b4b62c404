using System.Globalization;
using EmbedPS.Core.Common;
using Parquet;
using Parquet.Schema;

namespace EmbedPS.Core.Artifacts;

/// <summary>Reading: the frame, footer and content-hash checks, whole tables, row groups and plain Parquet files.</summary>
public static partial class ParquetArtifact
{
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
            reader = ParquetSync.Wait(ParquetReader.CreateAsync(stream, cancellationToken: cancellation));
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
            // hashing the reads the Parquet decoder makes, which seek between column chunks; see docs/artifacts.md).
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
            ParseFooter(full, SettingsKey, () => { Provenance.ParseSettings(metadata.GetValueOrDefault(SettingsKey), provenance.Settings, provenance.Swept); return 0; });
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
                if (reader is not null) ParquetSync.Dispose(reader);
                stream?.Dispose();
            }
        }
    }

    /// <summary>
    /// The one error for a Parquet file that cannot be read (an artifact or a plain input: collections, edge lists, metadata),
    /// whatever the Parquet library threw; the frame checks use the same id.
    /// </summary>
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
        var reader = ParquetSync.Wait(ParquetReader.CreateAsync(stream, cancellationToken: cancellation));
        using var disposeReader = ParquetSync.Using(reader);
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
    /// content hash is its state at the footer's start), so every byte is hashed once, not twice.
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
            var reader = ParquetSync.Wait(ParquetReader.CreateAsync(stream, cancellationToken: cancellation));
            using var disposeReader = ParquetSync.Using(reader);
            var columns = ReadColumns(reader, full, cancellation, out var order, out var rows);
            return (columns, order, rows);
        }
        catch (EmbedPSException) { throw; }
        catch (OperationCanceledException) { throw; }
        catch (Exception ex)
        {
            throw Unreadable(full, ex);
        }
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
            case long[] a: ParquetSync.Wait(group.ReadAsync<long>(field, a.AsMemory(offset, count), cancellationToken: ct)); break;
            case long?[] a: ParquetSync.Wait(group.ReadAsync<long>(field, a.AsMemory(offset, count), cancellationToken: ct)); break;
            case int[] a: ParquetSync.Wait(group.ReadAsync<int>(field, a.AsMemory(offset, count), cancellationToken: ct)); break;
            case int?[] a: ParquetSync.Wait(group.ReadAsync<int>(field, a.AsMemory(offset, count), cancellationToken: ct)); break;
            case float[] a: ParquetSync.Wait(group.ReadAsync<float>(field, a.AsMemory(offset, count), cancellationToken: ct)); break;
            case float?[] a: ParquetSync.Wait(group.ReadAsync<float>(field, a.AsMemory(offset, count), cancellationToken: ct)); break;
            case double[] a: ParquetSync.Wait(group.ReadAsync<double>(field, a.AsMemory(offset, count), cancellationToken: ct)); break;
            case double?[] a: ParquetSync.Wait(group.ReadAsync<double>(field, a.AsMemory(offset, count), cancellationToken: ct)); break;
            case short[] a: ParquetSync.Wait(group.ReadAsync<short>(field, a.AsMemory(offset, count), cancellationToken: ct)); break;
            case short?[] a: ParquetSync.Wait(group.ReadAsync<short>(field, a.AsMemory(offset, count), cancellationToken: ct)); break;
            case bool[] a: ParquetSync.Wait(group.ReadAsync<bool>(field, a.AsMemory(offset, count), cancellationToken: ct)); break;
            case bool?[] a: ParquetSync.Wait(group.ReadAsync<bool>(field, a.AsMemory(offset, count), cancellationToken: ct)); break;
            case DateTime[] a: ParquetSync.Wait(group.ReadAsync<DateTime>(field, a.AsMemory(offset, count), cancellationToken: ct)); break;
            case DateTime?[] a: ParquetSync.Wait(group.ReadAsync<DateTime>(field, a.AsMemory(offset, count), cancellationToken: ct)); break;
            case decimal[] a: ParquetSync.Wait(group.ReadAsync<decimal>(field, a.AsMemory(offset, count), cancellationToken: ct)); break;
            case decimal?[] a: ParquetSync.Wait(group.ReadAsync<decimal>(field, a.AsMemory(offset, count), cancellationToken: ct)); break;
            case string?[] a: ParquetSync.Wait(group.ReadAsync(field, new Memory<string?>(a, offset, count), null, ct)); break;
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
