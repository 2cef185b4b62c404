using System.Globalization;
using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Common;

namespace EmbedPS.Core.Collections;

/// <summary>Which columns (or properties) of a long-format source hold what; one row per collection–entity pair.</summary>
public sealed record CollectionImportOptions
{
    public string CollectionColumn { get; init; } = "collection";
    public string EntityColumn { get; init; } = "entity";
    public string? WeightColumn { get; init; }
    public string? ValueColumn { get; init; }
    public string? TimestampColumn { get; init; }
    /// <summary>CSV field separator; null picks one from the extension (tab for .tsv and .tab, else comma).</summary>
    public char? Delimiter { get; init; }
    /// <summary>Text encoding of CSV input (an -Encoding name); null: a byte order mark's, else strict UTF-8.</summary>
    public string? Encoding { get; init; }
    /// <summary>Accept negative weights (they are rejected otherwise: most weightings and the neighbour search assume w ≥ 0).</summary>
    public bool AllowNegativeWeight { get; init; }

    /// <summary>The parameters as recorded in the artifact footer.</summary>
    public IEnumerable<KeyValuePair<string, object?>> AsParameters()
    {
        yield return new("CollectionProperty", CollectionColumn);
        yield return new("EntityProperty", EntityColumn);
        if (WeightColumn is not null) yield return new("WeightProperty", WeightColumn);
        if (ValueColumn is not null) yield return new("ValueProperty", ValueColumn);
        if (TimestampColumn is not null) yield return new("TimestampProperty", TimestampColumn);
        if (Delimiter is { } d) yield return new("Delimiter", d.ToString());
        if (Encoding is not null) yield return new("Encoding", Encoding);
        if (AllowNegativeWeight) yield return new(Artifacts.ArtifactValidation.AllowNegativeWeightParameter, true);
    }
}

/// <summary>
/// Reads long-format collection data — CSV/TSV files, Parquet files or Hive-partitioned Parquet folders, and
/// in-memory records — into one <see cref="EntityCollectionBuilder"/>, then builds the set. Every source is streamed:
/// memory grows with the pairs kept, not the file size. Bad input throws an <see cref="EmbedPSException"/> that names
/// the file, the line or row, the column and the value; nothing is built from a failed import.
/// </summary>
public sealed class CollectionImporter
{
    private readonly EntityCollectionBuilder _builder;
    private readonly List<ArtifactInput> _inputs = new();
    private long _pipelineRows;

    public CollectionImporter(CollectionImportOptions options)
    {
        Options = options ?? throw new ArgumentNullException(nameof(options));
        if (string.IsNullOrWhiteSpace(options.CollectionColumn)) throw new ArgumentException("The collection column name is empty.", nameof(options));
        if (string.IsNullOrWhiteSpace(options.EntityColumn)) throw new ArgumentException("The entity column name is empty.", nameof(options));
        _builder = new EntityCollectionBuilder(options.WeightColumn is not null, options.ValueColumn is not null, options.TimestampColumn is not null);
    }

    public CollectionImportOptions Options { get; }

    /// <summary>Rows read so far from every source (before duplicate pairs are merged).</summary>
    public long RowCount => _builder.RowCount;
    public int EntityCount => _builder.EntityCount;
    public int CollectionCount => _builder.CollectionCount;
    public IReadOnlyList<ArtifactInput> Inputs => _inputs;

    internal EntityCollectionBuilder Builder => _builder;

    /// <summary>True for a Parquet file or a folder (read as a Hive-partitioned Parquet dataset).</summary>
    public static bool IsParquet(string path) =>
        Directory.Exists(path) || path.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".parq", StringComparison.OrdinalIgnoreCase);

    /// <summary>Reads a CSV/TSV file, a Parquet file, or a folder of Hive-partitioned Parquet files.</summary>
    public void ReadPath(string path, IStageLog log, CancellationToken cancellation)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full) && !Directory.Exists(full))
            throw new EmbedPSException("InputNotFound", EmbedPSErrorKind.ObjectNotFound, $"Cannot find '{full}'.") { File = full };
        long before = RowCount;
        try
        {
            if (IsParquet(full))
            {
                var files = ParquetCollectionReader.Read(full, this, log, cancellation);
                foreach (var file in files) _inputs.Add(ArtifactInput.FromFile(file));
            }
            else
            {
                CsvCollectionReader.Read(full, DelimiterFor(full), this, log, cancellation);
                _inputs.Add(ArtifactInput.FromFile(full));
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new EmbedPSException("InputUnreadable", EmbedPSErrorKind.ResourceUnavailable, $"Cannot read '{full}': {ex.Message}", ex) { File = full };
        }
        log.Verbose($"Read {RowCount - before:N0} rows from '{full}'.");
    }

    public char DelimiterFor(string path)
    {
        if (Options.Delimiter is { } d) return d;
        var extension = Path.GetExtension(path);
        return extension.Equals(".tsv", StringComparison.OrdinalIgnoreCase) || extension.Equals(".tab", StringComparison.OrdinalIgnoreCase) ? '\t' : ',';
    }

    /// <summary>
    /// Adds one in-memory record (a pipeline object's property values). <paramref name="source"/> names the
    /// record source in errors; <paramref name="row"/> is its 1-based position.
    /// </summary>
    public void AddRecord(string source, long row, object? collection, object? entity, object? weight = null, object? value = null, object? timestamp = null)
    {
        Span<char> collectionBuffer = stackalloc char[32];
        Span<char> entityBuffer = stackalloc char[32];
        var c = IdText(collection, collectionBuffer, source, row, Options.CollectionColumn);
        var e = IdText(entity, entityBuffer, source, row, Options.EntityColumn);
        float w = Options.WeightColumn is { } wc ? CheckSign(Weight(weight, source, row, wc), Options, source, row, wc) : 1f;
        double v = Options.ValueColumn is { } vc ? Number(value, source, row, vc, "value") : 0;
        double t = Options.TimestampColumn is { } tc ? Timestamp(timestamp, source, row, tc) : 0;
        _builder.Add(c, e, w, v, t);
        _pipelineRows++;
    }

    /// <summary>Builds the set; its provenance records the options and every input file (size and SHA-256).</summary>
    public EntityCollectionSet Build(IEnumerable<KeyValuePair<string, object?>>? extraParameters = null)
    {
        if (_builder.RowCount == 0)
            throw new EmbedPSException("NoRows", EmbedPSErrorKind.InvalidData, "The input holds no collection–entity rows.");
        var provenance = new Provenance();
        foreach (var (key, value) in Options.AsParameters()) provenance.Parameters[key] = value;
        if (extraParameters is not null) foreach (var (key, value) in extraParameters) provenance.Parameters[key] = value;
        if (_pipelineRows > 0) provenance.Parameters["PipelineRecords"] = _pipelineRows;
        provenance.Inputs.AddRange(_inputs);
        return _builder.Build(provenance);
    }

    // ---- value conversion shared by the readers; every failure names source, row, column and value ----

    internal static string Describe(string source, long row, string column, bool isLine) =>
        $"'{source}', {(isLine ? "line" : "row")} {row}, column '{column}'";

    internal static string Shorten(ReadOnlySpan<char> value) =>
        value.Length <= 80 ? value.ToString() : string.Concat(value[..77], "...");

    internal static EmbedPSException EmptyId(string source, long row, string column, bool isLine = false) =>
        new("EmptyId", EmbedPSErrorKind.InvalidData, $"{Describe(source, row, column, isLine)}: the id is empty.")
        { File = source, Row = row, Column = column, Value = "" };

    internal static float ParseWeight(ReadOnlySpan<char> text, string source, long row, string column, bool isLine = false)
    {
        if (!float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var w) || !float.IsFinite(w))
            throw new EmbedPSException("InvalidWeight", EmbedPSErrorKind.InvalidData,
                $"{Describe(source, row, column, isLine)}: the weight '{Shorten(text)}' is not a finite number.")
            { File = source, Row = row, Column = column, Value = text.ToString() };
        return w;
    }

    /// <summary>A negative weight is an error naming its place unless the import allows them.</summary>
    internal static float CheckSign(float w, CollectionImportOptions options, string source, long row, string column, bool isLine = false)
    {
        if (w < 0 && !options.AllowNegativeWeight)
            throw new EmbedPSException("NegativeWeight", EmbedPSErrorKind.InvalidData,
                $"{Describe(source, row, column, isLine)}: the weight {w.ToString(CultureInfo.InvariantCulture)} is negative. Weights must be ≥ 0; add -AllowNegativeWeight if negative weights are meant.")
            { File = source, Row = row, Column = column, Value = w.ToString(CultureInfo.InvariantCulture) };
        return w;
    }

    internal static double ParseNumber(ReadOnlySpan<char> text, string source, long row, string column, string what, bool isLine = false)
    {
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v))
            throw new EmbedPSException("InvalidValue", EmbedPSErrorKind.InvalidData,
                $"{Describe(source, row, column, isLine)}: the {what} '{Shorten(text)}' is not a finite number.")
            { File = source, Row = row, Column = column, Value = text.ToString() };
        return v;
    }

    /// <summary>A number is kept as is; a date (ISO 8601, UTC unless it carries an offset) becomes Unix seconds.</summary>
    internal static double ParseTimestamp(ReadOnlySpan<char> text, string source, long row, string column, bool isLine = false)
    {
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number)) return number;
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out var date))
            return ToUnixSeconds(date);
        throw new EmbedPSException("InvalidTimestamp", EmbedPSErrorKind.InvalidData,
            $"{Describe(source, row, column, isLine)}: the timestamp '{Shorten(text)}' is neither a number nor a date (use ISO 8601, e.g. 2024-05-01T12:00:00Z).")
        { File = source, Row = row, Column = column, Value = text.ToString() };
    }

    internal static double ToUnixSeconds(DateTimeOffset date) => (date.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / (double)TimeSpan.TicksPerSecond;

    internal static double ToUnixSeconds(DateTime date) =>
        ToUnixSeconds(date.Kind == DateTimeKind.Unspecified ? new DateTimeOffset(date, TimeSpan.Zero) : new DateTimeOffset(date.ToUniversalTime(), TimeSpan.Zero));

    /// <summary>The text of an id given as an object: strings as they are, integers in invariant form.</summary>
    internal static ReadOnlySpan<char> IdText(object? id, Span<char> buffer, string source, long row, string column)
    {
        switch (id)
        {
            case null: throw EmptyId(source, row, column);
            case string s:
                if (s.Length == 0) throw EmptyId(source, row, column);
                return s;
            case long or int or short or byte or sbyte or ushort or uint or ulong:
                {
                    var formattable = (ISpanFormattable)id;
                    if (formattable.TryFormat(buffer, out int written, default, CultureInfo.InvariantCulture)) return buffer[..written];
                    return formattable.ToString(null, CultureInfo.InvariantCulture);
                }
            case IFormattable f:
                {
                    var text = f.ToString(null, CultureInfo.InvariantCulture);
                    if (text.Length == 0) throw EmptyId(source, row, column);
                    return text;
                }
            default:
                {
                    var text = id.ToString() ?? "";
                    if (text.Length == 0) throw EmptyId(source, row, column);
                    return text;
                }
        }
    }

    private static float Weight(object? weight, string source, long row, string column) => weight switch
    {
        null => throw new EmbedPSException("InvalidWeight", EmbedPSErrorKind.InvalidData, $"{Describe(source, row, column, false)}: the weight is missing.")
        { File = source, Row = row, Column = column },
        string s => ParseWeight(s, source, row, column),
        float or double or decimal or long or int or short or byte or sbyte or ushort or uint or ulong => CheckedWeight(Convert.ToSingle(weight, CultureInfo.InvariantCulture), source, row, column),
        _ => ParseWeight(Convert.ToString(weight, CultureInfo.InvariantCulture), source, row, column),
    };

    private static float CheckedWeight(float w, string source, long row, string column) =>
        float.IsFinite(w) ? w : ParseWeight(w.ToString(CultureInfo.InvariantCulture), source, row, column);

    private static double Number(object? value, string source, long row, string column, string what) => value switch
    {
        null => throw new EmbedPSException("InvalidValue", EmbedPSErrorKind.InvalidData, $"{Describe(source, row, column, false)}: the {what} is missing.")
        { File = source, Row = row, Column = column },
        string s => ParseNumber(s, source, row, column, what),
        float or double or decimal or long or int or short or byte or sbyte or ushort or uint or ulong =>
            CheckedNumber(Convert.ToDouble(value, CultureInfo.InvariantCulture), source, row, column, what),
        _ => ParseNumber(Convert.ToString(value, CultureInfo.InvariantCulture), source, row, column, what),
    };

    private static double CheckedNumber(double v, string source, long row, string column, string what) =>
        double.IsFinite(v) ? v : ParseNumber(v.ToString(CultureInfo.InvariantCulture), source, row, column, what);

    private static double Timestamp(object? value, string source, long row, string column) => value switch
    {
        null => throw new EmbedPSException("InvalidTimestamp", EmbedPSErrorKind.InvalidData, $"{Describe(source, row, column, false)}: the timestamp is missing.")
        { File = source, Row = row, Column = column },
        DateTime dt => ToUnixSeconds(dt),
        DateTimeOffset dto => ToUnixSeconds(dto),
        string s => ParseTimestamp(s, source, row, column),
        _ => Number(value, source, row, column, "timestamp"),
    };
}
