using System.Globalization;
using EmbedPS.Core.Common;
using nietras.SeparatedValues;

namespace EmbedPS.Core.Preview;

/// <summary>
/// A metadata table as read, before it is joined to a stage's entities: named text columns (column-major) and where each
/// row came from. The one reader of metadata for every cmdlet and the pipeline: CSV/TSV (Sep: quoted fields may hold
/// delimiters, quotes and line breaks; the separator is detected from the header; strict decoding), a plain Parquet table
/// (values as invariant text), or rows of objects given as columns.
/// </summary>
public sealed class MetadataTable
{
    private readonly long[]? _lines;

    private MetadataTable(string source, string? file, IReadOnlyList<string> names, IReadOnlyList<string?[]> columns, long[]? lines)
    {
        Source = source;
        File = file;
        Names = names;
        Columns = columns;
        _lines = lines;
        RowCount = columns.Count == 0 ? 0 : columns[0].Length;
    }

    /// <summary>For messages: "'path'" or "12 pipeline objects".</summary>
    public string Source { get; }
    /// <summary>The file, when the table came from one.</summary>
    public string? File { get; }
    public IReadOnlyList<string> Names { get; }
    public IReadOnlyList<string?[]> Columns { get; }
    public int RowCount { get; }

    /// <summary>Where row <paramref name="row"/> (0-based) is: the CSV line it starts on (the header is line 1), else its 1-based data row.</summary>
    public long RowNumber(int row) => _lines is not null ? _lines[row] : row + 1;

    /// <summary>"line 7" for a CSV file, "row 6" otherwise.</summary>
    public string RowWord => _lines is not null ? "line" : "row";

    /// <summary>A table given as columns (pipeline objects; tests).</summary>
    public static MetadataTable FromColumns(IReadOnlyList<string> names, IReadOnlyList<string?[]> columns, string source)
    {
        if (names.Count != columns.Count) throw new ArgumentException($"{names.Count} names for {columns.Count} columns.");
        return new MetadataTable(source, null, names.Select(n => n.Trim()).ToList(), columns, null);
    }

    /// <summary>Reads a metadata file: Parquet by its extension, else CSV/TSV.</summary>
    public static MetadataTable Read(string path, CancellationToken cancellation = default)
    {
        if (!System.IO.File.Exists(path))
            throw new EmbedPSException("MetadataNotFound", EmbedPSErrorKind.ObjectNotFound, $"The metadata file '{path}' does not exist.") { File = path };
        return IsParquet(path) ? ReadParquet(path, cancellation) : ReadCsv(path, headerOnly: false, cancellation);
    }

    /// <summary>The column names of a metadata file, without reading its rows (for validating settings up front).</summary>
    public static IReadOnlyList<string> ReadHeader(string path, CancellationToken cancellation = default)
    {
        if (!System.IO.File.Exists(path))
            throw new EmbedPSException("MetadataNotFound", EmbedPSErrorKind.ObjectNotFound, $"The metadata file '{path}' does not exist.") { File = path };
        if (!IsParquet(path)) return ReadCsv(path, headerOnly: true, cancellation).Names;
        return Artifacts.ParquetArtifact.ReadPlain(path, cancellation).Order.Select(n => n.Trim()).ToList();
    }

    /// <summary>The index of <paramref name="name"/> among the columns (case-insensitive), or -1.</summary>
    public int IndexOf(string name)
    {
        for (int c = 0; c < Names.Count; c++) if (string.Equals(Names[c], name, StringComparison.OrdinalIgnoreCase)) return c;
        return -1;
    }

    private static bool IsParquet(string path) => path.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase);

    private static MetadataTable ReadParquet(string path, CancellationToken cancellation)
    {
        var (columns, order, _) = Artifacts.ParquetArtifact.ReadPlain(path, cancellation);
        var text = order.Select(name =>
        {
            var values = columns[name];
            var strings = new string?[values.Length];
            for (int r = 0; r < values.Length; r++) strings[r] = values.GetValue(r) is { } v ? Convert.ToString(v, CultureInfo.InvariantCulture) : null;
            return strings;
        }).ToList();
        return new MetadataTable($"'{path}'", path, order.Select(n => n.Trim()).ToList(), text, null);
    }

    private static MetadataTable ReadCsv(string path, bool headerOnly, CancellationToken cancellation)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            using var text = TextDecoding.Open(stream, null); // strict: an invalid byte is an error, not a merged label
            using var reader = Sep.Reader(o => o with { Unescape = true, DisableColCountCheck = true }).From(text);
            var names = reader.Header.ColNames.Select(n => n.Trim()).ToList();
            if (names.Count == 0 || names.All(n => n.Length == 0))
                throw new EmbedPSException("MetadataEmpty", EmbedPSErrorKind.InvalidData, $"The metadata file '{path}' has no header row.") { File = path, Row = 1 };
            TextDecoding.CheckHeader(path, names, text.CurrentEncoding);
            if (headerOnly) return new MetadataTable($"'{path}'", path, names, names.Select(_ => Array.Empty<string?>()).ToList(), Array.Empty<long>());
            var rows = names.Select(_ => new List<string?>()).ToList();
            var lines = new List<long>();
            foreach (var row in reader)
            {
                if ((row.RowIndex & 0xFFF) == 0) cancellation.ThrowIfCancellationRequested();
                if (row.Span.IsWhiteSpace()) continue; // a blank line
                lines.Add(row.LineNumberFrom);
                for (int c = 0; c < names.Count; c++) rows[c].Add(c < row.ColCount ? row[c].ToString() : null);
            }
            return new MetadataTable($"'{path}'", path, names, rows.Select(r => r.ToArray()).ToList(), lines.ToArray());
        }
        catch (System.Text.DecoderFallbackException ex)
        {
            throw TextDecoding.InvalidBytes(path, null, ex);
        }
        catch (Exception ex) when (ex is not EmbedPSException and not OperationCanceledException)
        {
            throw new EmbedPSException("MetadataUnreadable", EmbedPSErrorKind.InvalidData, $"Cannot read the metadata file '{path}': {ex.Message}", ex) { File = path };
        }
    }
}

/// <summary>How metadata is joined to entities, and how the caller names its settings in messages.</summary>
public sealed record MetadataJoinOptions
{
    /// <summary>The id column (case-insensitive).</summary>
    public string IdColumn { get; init; } = "entity";
    /// <summary>A repeated id keeps its first row, with a warning naming the ids and rows (else it is an error).</summary>
    public bool AllowDuplicateIds { get; init; }
    /// <summary>What the user sets to name the id column: "-IdProperty" for a cmdlet, "Metadata.IdProperty" in a pipeline config.</summary>
    public string IdSetting { get; init; } = "-IdProperty";
    /// <summary>What the user sets to allow repeated ids: "-AllowDuplicateId", or "Metadata.AllowDuplicateId".</summary>
    public string DuplicateSetting { get; init; } = "-AllowDuplicateId";
}
