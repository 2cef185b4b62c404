using System.Globalization;
using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Common;
using Parquet;
using Parquet.Schema;

namespace EmbedPS.Core.Collections;

/// <summary>
/// Streams long-format Parquet into a <see cref="CollectionImporter"/>: one file, or a folder of Hive-partitioned
/// files (<c>key=value/…/part-*.parquet</c>, as Spark and DuckDB write them) whose partition keys are usable as
/// columns. Only the needed columns are read, one row group at a time.
/// </summary>
internal static class ParquetCollectionReader
{
    private const string HiveNull = "__HIVE_DEFAULT_PARTITION__";

    /// <summary>Reads <paramref name="path"/> and returns the files read, in order.</summary>
    public static IReadOnlyList<string> Read(string path, CollectionImporter importer, IStageLog log, CancellationToken cancellation)
    {
        var files = ListFiles(path);
        long totalBytes = Math.Max(1, files.Sum(f => new FileInfo(f).Length));
        long doneBytes = 0;
        foreach (var file in files)
        {
            cancellation.ThrowIfCancellationRequested();
            var partitions = Directory.Exists(path) ? PartitionValues(path, file) : new List<KeyValuePair<string, string?>>();
            long size = new FileInfo(file).Length;
            ReadFile(file, partitions, importer, fraction => log.Progress((doneBytes + fraction * size) / totalBytes,
                $"{Path.GetFileName(file)}: {importer.RowCount:N0} rows"), cancellation);
            doneBytes += size;
        }
        log.Progress(1, $"{importer.RowCount:N0} rows");
        if (files.Count > 1) log.Verbose($"Read {files.Count} Parquet files under '{path}'.");
        return files;
    }

    private static List<string> ListFiles(string path)
    {
        if (!Directory.Exists(path)) return new List<string> { path };
        // Spark also writes _SUCCESS, _committed_* and .crc files; data files are the visible *.parquet ones.
        var files = Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
            .Where(f =>
            {
                var name = Path.GetFileName(f);
                return !name.StartsWith('.') && !name.StartsWith('_') &&
                       (name.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".parq", StringComparison.OrdinalIgnoreCase));
            })
            .Order(StringComparer.Ordinal)
            .ToList();
        if (files.Count == 0)
            throw new EmbedPSException("NoParquetFiles", EmbedPSErrorKind.InvalidData,
                $"The folder '{path}' holds no Parquet files (expected *.parquet files, optionally under key=value partition folders).") { File = path };
        return files;
    }

    /// <summary>The key=value folder names between the dataset root and the file, outermost first.</summary>
    private static List<KeyValuePair<string, string?>> PartitionValues(string root, string file)
    {
        var result = new List<KeyValuePair<string, string?>>();
        var relative = Path.GetRelativePath(root, Path.GetDirectoryName(file)!);
        if (relative == ".") return result;
        foreach (var segment in relative.Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar))
        {
            int eq = segment.IndexOf('=');
            if (eq <= 0) continue;
            var value = Uri.UnescapeDataString(segment[(eq + 1)..]);
            result.Add(new(Uri.UnescapeDataString(segment[..eq]), value == HiveNull ? null : value));
        }
        return result;
    }

    /// <summary>Where a needed column comes from: a Parquet field or a partition folder.</summary>
    private sealed class Source
    {
        public required string Name { get; init; }
        public DataField? Field { get; init; }
        public string? PartitionValue { get; init; }
        public bool IsPartition => Field is null;
        public Array? Chunk { get; set; }
    }

    private static void ReadFile(string file, List<KeyValuePair<string, string?>> partitions, CollectionImporter importer,
        Action<double> progress, CancellationToken cancellation)
    {
        var options = importer.Options;
        try
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            var reader = ParquetSync.Wait(ParquetReader.CreateAsync(stream, cancellationToken: cancellation));
            try
            {
                var fields = reader.Schema.GetDataFields();
                Source Find(string column, string role)
                {
                    var field = fields.FirstOrDefault(f => f.Name == column)
                                ?? Single(fields.Where(f => string.Equals(f.Name, column, StringComparison.OrdinalIgnoreCase)));
                    if (field is not null) return new Source { Name = field.Name, Field = field };
                    foreach (var (key, value) in partitions)
                    {
                        if (string.Equals(key, column, StringComparison.OrdinalIgnoreCase)) return new Source { Name = key, PartitionValue = value };
                    }
                    var available = fields.Select(f => $"'{f.Name}'").Concat(partitions.Select(p => $"'{p.Key}' (partition)")).Distinct();
                    throw new EmbedPSException("ColumnNotFound", EmbedPSErrorKind.InvalidArgument,
                        $"'{file}' has no {role} column '{column}'. Available columns: {string.Join(", ", available)}.") { File = file, Column = column };
                }
                var collection = Find(options.CollectionColumn, "collection");
                var entity = Find(options.EntityColumn, "entity");
                var weight = options.WeightColumn is { } w ? Find(w, "weight") : null;
                var value = options.ValueColumn is { } v ? Find(v, "value") : null;
                var timestamp = options.TimestampColumn is { } t ? Find(t, "timestamp") : null;
                // Ids from a text column stay text (the contract keeps the source type); integers become int64.
                if (IsText(collection.Field)) importer.Builder.KeepCollectionIdsAsText();
                if (IsText(entity.Field)) importer.Builder.KeepEntityIdsAsText();

                var sources = new[] { collection, entity, weight, value, timestamp }.Where(s => s is { IsPartition: false }).Select(s => s!).DistinctBy(s => s.Name).ToArray();
                var builder = importer.Builder;
                Span<char> collectionBuffer = stackalloc char[40], entityBuffer = stackalloc char[40];
                long rowBase = 0;
                for (int g = 0; g < reader.RowGroupCount; g++)
                {
                    cancellation.ThrowIfCancellationRequested();
                    using var group = reader.OpenRowGroupReader(g);
                    int count = checked((int)group.RowCount);
                    foreach (var source in sources) source.Chunk = ReadColumn(group, source.Field!, count, cancellation);
                    Array? Chunk(Source? s) => s is null || s.IsPartition ? null : sources.First(x => x.Name == s.Name).Chunk;
                    var collectionChunk = Chunk(collection);
                    var entityChunk = Chunk(entity);
                    var weightChunk = Chunk(weight);
                    var valueChunk = Chunk(value);
                    var timestampChunk = Chunk(timestamp);
                    for (int i = 0; i < count; i++)
                    {
                        long row = rowBase + i + 1;
                        var c = Id(collection, collectionChunk, i, collectionBuffer, file, row);
                        var e = Id(entity, entityChunk, i, entityBuffer, file, row);
                        float wv = weight is null ? 1f : CollectionImporter.CheckSign((float)Number(weight, weightChunk, i, file, row, "weight"), importer.Options, file, row, weight.Name);
                        double vv = value is null ? 0 : Number(value, valueChunk, i, file, row, "value");
                        double tv = timestamp is null ? 0 : Number(timestamp, timestampChunk, i, file, row, "timestamp");
                        builder.Add(c, e, wv, vv, tv);
                    }
                    rowBase += count;
                    progress((g + 1.0) / reader.RowGroupCount);
                }
            }
            finally
            {
                ParquetSync.Dispose(reader);
            }
        }
        catch (EmbedPSException) { throw; }
        catch (OperationCanceledException) { throw; }
        catch (Exception ex) // whatever a corrupt file makes the Parquet library throw (Thrift errors included), the user gets the file named
        {
            throw ParquetArtifact.Unreadable(file, ex);
        }
    }

    private static bool IsText(DataField? field) => field is not null && (field.ClrType == typeof(string) || field.ClrType == typeof(ReadOnlyMemory<char>));

    private static DataField? Single(IEnumerable<DataField> fields)
    {
        var list = fields.Take(2).ToList();
        return list.Count == 1 ? list[0] : null;
    }

    private static Array ReadColumn(ParquetRowGroupReader group, DataField field, int count, CancellationToken ct)
    {
        var t = field.ClrType;
        if (t == typeof(string) || t == typeof(ReadOnlyMemory<char>))
        {
            var strings = new string?[count];
            ParquetSync.Wait(group.ReadAsync(field, new Memory<string?>(strings), null, ct));
            return strings;
        }
        if (t == typeof(long)) return Read<long>(group, field, count, ct);
        if (t == typeof(int)) return Read<int>(group, field, count, ct);
        if (t == typeof(short)) return Read<short>(group, field, count, ct);
        if (t == typeof(sbyte)) return Read<sbyte>(group, field, count, ct);
        if (t == typeof(byte)) return Read<byte>(group, field, count, ct);
        if (t == typeof(ushort)) return Read<ushort>(group, field, count, ct);
        if (t == typeof(uint)) return Read<uint>(group, field, count, ct);
        if (t == typeof(ulong)) return Read<ulong>(group, field, count, ct);
        if (t == typeof(float)) return Read<float>(group, field, count, ct);
        if (t == typeof(double)) return Read<double>(group, field, count, ct);
        if (t == typeof(decimal)) return Read<decimal>(group, field, count, ct);
        if (t == typeof(DateTime)) return Read<DateTime>(group, field, count, ct);
        if (t == typeof(DateTimeOffset)) return Read<DateTimeOffset>(group, field, count, ct);
        if (t == typeof(bool)) return Read<bool>(group, field, count, ct);
        throw new EmbedPSException("UnsupportedColumnType", EmbedPSErrorKind.NotSupported,
            $"Column '{field.Name}' has Parquet type {t.Name}, which cannot hold ids or numbers here.") { Column = field.Name };
    }

    private static T?[] Read<T>(ParquetRowGroupReader group, DataField field, int count, CancellationToken ct) where T : struct
    {
        var values = new T?[count];
        if (field.IsNullable)
        {
            ParquetSync.Wait(group.ReadAsync<T>(field, values.AsMemory(), cancellationToken: ct));
            return values;
        }
        // A required (non-nullable) column goes into a plain buffer: read into a nullable one, Parquet.Net left rows of larger files unset.
        var plain = new T[count];
        ParquetSync.Wait(group.ReadAsync<T>(field, plain.AsMemory(), cancellationToken: ct));
        for (int i = 0; i < count; i++) values[i] = plain[i];
        return values;
    }

    private static ReadOnlySpan<char> Id(Source source, Array? chunk, int i, Span<char> buffer, string file, long row)
    {
        if (source.IsPartition)
        {
            if (string.IsNullOrEmpty(source.PartitionValue)) throw CollectionImporter.EmptyId(file, row, source.Name);
            return source.PartitionValue;
        }
        switch (chunk)
        {
            case string?[] s:
                var text = s[i];
                if (string.IsNullOrEmpty(text)) throw CollectionImporter.EmptyId(file, row, source.Name);
                return text;
            case long?[] l: return Format(l[i], buffer, file, row, source.Name);
            case int?[] n: return Format(n[i], buffer, file, row, source.Name);
            case short?[] n: return Format(n[i], buffer, file, row, source.Name);
            case sbyte?[] n: return Format(n[i], buffer, file, row, source.Name);
            case byte?[] n: return Format(n[i], buffer, file, row, source.Name);
            case ushort?[] n: return Format(n[i], buffer, file, row, source.Name);
            case uint?[] n: return Format(n[i], buffer, file, row, source.Name);
            case ulong?[] n: return Format(n[i], buffer, file, row, source.Name);
            default:
                var boxed = chunk!.GetValue(i);
                if (boxed is null) throw CollectionImporter.EmptyId(file, row, source.Name);
                return Convert.ToString(boxed, CultureInfo.InvariantCulture) ?? throw CollectionImporter.EmptyId(file, row, source.Name);
        }
    }

    private static ReadOnlySpan<char> Format<T>(T? value, Span<char> buffer, string file, long row, string column) where T : struct, ISpanFormattable
    {
        if (value is not { } v) throw CollectionImporter.EmptyId(file, row, column);
        if (!v.TryFormat(buffer, out int written, default, CultureInfo.InvariantCulture)) return v.ToString(null, CultureInfo.InvariantCulture);
        return buffer[..written];
    }

    private static double Number(Source source, Array? chunk, int i, string file, long row, string what)
    {
        if (source.IsPartition)
        {
            var text = source.PartitionValue ?? "";
            return what switch
            {
                "weight" => CollectionImporter.ParseWeight(text, file, row, source.Name),
                "timestamp" => CollectionImporter.ParseTimestamp(text, file, row, source.Name),
                _ => CollectionImporter.ParseNumber(text, file, row, source.Name, what),
            };
        }
        double result;
        switch (chunk)
        {
            case double?[] d when d[i] is { } x: result = x; break;
            case float?[] f when f[i] is { } x: result = x; break;
            case long?[] l when l[i] is { } x: result = x; break;
            case int?[] n when n[i] is { } x: result = x; break;
            case DateTime?[] dt when dt[i] is { } x: return CollectionImporter.ToUnixSeconds(x);
            case DateTimeOffset?[] dto when dto[i] is { } x: return CollectionImporter.ToUnixSeconds(x);
            case string?[] s when s[i] is { } x:
                return what switch
                {
                    "weight" => CollectionImporter.ParseWeight(x, file, row, source.Name),
                    "timestamp" => CollectionImporter.ParseTimestamp(x, file, row, source.Name),
                    _ => CollectionImporter.ParseNumber(x, file, row, source.Name, what),
                };
            default:
                var boxed = chunk?.GetValue(i);
                if (boxed is null)
                    throw new EmbedPSException(what == "weight" ? "InvalidWeight" : what == "timestamp" ? "InvalidTimestamp" : "InvalidValue", EmbedPSErrorKind.InvalidData,
                        $"{CollectionImporter.Describe(file, row, source.Name, false)}: the {what} is null.") { File = file, Row = row, Column = source.Name };
                if (boxed is bool)
                    throw new EmbedPSException("InvalidValue", EmbedPSErrorKind.InvalidData,
                        $"{CollectionImporter.Describe(file, row, source.Name, false)}: a boolean column cannot hold {Grammar.WithArticle(what)}.") { File = file, Row = row, Column = source.Name };
                result = Convert.ToDouble(boxed, CultureInfo.InvariantCulture);
                break;
        }
        if (!double.IsFinite(result) || (what == "weight" && !float.IsFinite((float)result)))
            throw new EmbedPSException(what == "weight" ? "InvalidWeight" : "InvalidValue", EmbedPSErrorKind.InvalidData,
                $"{CollectionImporter.Describe(file, row, source.Name, false)}: the {what} '{result.ToString(CultureInfo.InvariantCulture)}' is not a finite number.")
            { File = file, Row = row, Column = source.Name, Value = result.ToString(CultureInfo.InvariantCulture) };
        return result;
    }
}
