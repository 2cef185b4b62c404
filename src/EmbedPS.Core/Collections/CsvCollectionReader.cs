using EmbedPS.Core.Common;
using nietras.SeparatedValues;

namespace EmbedPS.Core.Collections;

/// <summary>
/// Streams a long-format CSV/TSV file (header row, then one row per collection–entity pair) into a
/// <see cref="CollectionImporter"/>. Sep splits rows (quotes may hold delimiters, quotes and line breaks); the fields
/// we use are unescaped here so that a malformed quote is reported with its line instead of silently swallowing rows.
/// Blank lines are skipped; a UTF-8 BOM and CRLF line ends are accepted.
/// </summary>
internal static class CsvCollectionReader
{
    private const int ProgressEveryRows = 1 << 16;

    public static void Read(string path, char delimiter, CollectionImporter importer, IStageLog log, CancellationToken cancellation)
    {
        var options = importer.Options;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        long length = stream.Length;
        var name = Path.GetFileName(path);
        var readerOptions = new SepReaderOptions(new Sep(delimiter))
        {
            HasHeader = false,           // the header is read below: duplicate names are fine unless one we need is ambiguous
            DisableColCountCheck = true, // checked below, with a message that names the line
            DisableQuotesParsing = false,
            Unescape = false,            // unescaped below, so that malformed quotes are caught
        };
        var encoding = TextDecoding.Parse(options.Encoding);
        using var text = TextDecoding.Open(stream, encoding);
        SepReader reader;
        try
        {
            reader = readerOptions.From(text);
        }
        catch (System.Text.DecoderFallbackException ex)
        {
            throw TextDecoding.InvalidBytes(path, encoding, ex);
        }
        catch (InvalidDataException ex)
        {
            throw Malformed(path, 1, ex.Message);
        }
        using var disposeReader = reader;
        string[]? header = null;
        int collectionCol = -1, entityCol = -1, weightCol = -1, valueCol = -1, timestampCol = -1;
        var builder = importer.Builder;
        char[] collectionScratch = new char[256], entityScratch = new char[256], numberScratch = new char[64];
        long rows = 0, blankLinesBeforeHeader = 0;
        try
        {
            foreach (var row in reader)
            {
                var raw = row.Span;
                if (raw.IsWhiteSpace()) { blankLinesBeforeHeader++; continue; } // blank line
                long line = row.LineNumberFrom;
                if (header is null)
                {
                    // Sep numbers a row that runs to the end of the file (an unclosed quote) by its last line; the header starts after the blank lines.
                    line = blankLinesBeforeHeader + 1;
                    header = new string[row.ColCount];
                    for (int c = 0; c < header.Length; c++) header[c] = Field(row[c].Span, ref collectionScratch, path, line, $"#{c + 1}").ToString();
                    TextDecoding.CheckHeader(path, header, encoding ?? text.CurrentEncoding);
                    collectionCol = ColumnIndex(header, options.CollectionColumn, path, "collection");
                    entityCol = ColumnIndex(header, options.EntityColumn, path, "entity");
                    weightCol = options.WeightColumn is { } w ? ColumnIndex(header, w, path, "weight") : -1;
                    valueCol = options.ValueColumn is { } v ? ColumnIndex(header, v, path, "value") : -1;
                    timestampCol = options.TimestampColumn is { } t ? ColumnIndex(header, t, path, "timestamp") : -1;
                    continue;
                }
                if (row.ColCount != header.Length)
                {
                    for (int c = 0; c < row.ColCount; c++) CheckQuotes(row[c].Span, path, line, c < header.Length ? header[c] : $"#{c + 1}");
                    throw new EmbedPSException("ColumnCountMismatch", EmbedPSErrorKind.InvalidData,
                        $"'{path}', line {line}: the row has {row.ColCount} column(s) but the header has {header.Length} ({string.Join(", ", header)}); " +
                        $"a field that holds the delimiter '{Printable(delimiter)}' must be quoted. Row: '{CollectionImporter.Shorten(raw)}'.")
                    { File = path, Row = line, Value = raw.ToString() };
                }
                var collection = Field(row[collectionCol].Span, ref collectionScratch, path, line, header[collectionCol]);
                if (collection.IsEmpty) throw CollectionImporter.EmptyId(path, line, header[collectionCol], isLine: true);
                var entity = Field(row[entityCol].Span, ref entityScratch, path, line, header[entityCol]);
                if (entity.IsEmpty) throw CollectionImporter.EmptyId(path, line, header[entityCol], isLine: true);
                float weight = weightCol < 0 ? 1f
                    : CollectionImporter.CheckSign(CollectionImporter.ParseWeight(Field(row[weightCol].Span, ref numberScratch, path, line, header[weightCol]), path, line, header[weightCol], isLine: true),
                        options, path, line, header[weightCol], isLine: true);
                double value = valueCol < 0 ? 0
                    : CollectionImporter.ParseNumber(Field(row[valueCol].Span, ref numberScratch, path, line, header[valueCol]), path, line, header[valueCol], "value", isLine: true);
                double timestamp = timestampCol < 0 ? 0
                    : CollectionImporter.ParseTimestamp(Field(row[timestampCol].Span, ref numberScratch, path, line, header[timestampCol]), path, line, header[timestampCol], isLine: true);
                builder.Add(collection, entity, weight, value, timestamp);
                if ((++rows & (ProgressEveryRows - 1)) == 0)
                {
                    cancellation.ThrowIfCancellationRequested();
                    log.Progress(length == 0 ? 0 : (double)stream.Position / length, $"{name}: {rows:N0} rows, {builder.CollectionCount:N0} collections, {builder.EntityCount:N0} entities");
                }
            }
        }
        catch (System.Text.DecoderFallbackException ex)
        {
            throw TextDecoding.InvalidBytes(path, encoding, ex);
        }
        catch (InvalidDataException ex)
        {
            // Sep reports structural problems (e.g. a quote left open at the end of the file) itself.
            throw Malformed(path, null, ex.Message);
        }
        if (header is null)
            throw new EmbedPSException("EmptyFile", EmbedPSErrorKind.InvalidData, $"'{path}' is empty: expected a header row naming the columns, then one row per collection–entity pair.") { File = path };
        if (rows == 0)
            throw new EmbedPSException("HeaderOnly", EmbedPSErrorKind.InvalidData,
                $"'{path}' has a header ({string.Join(", ", header)}) but no data rows.") { File = path, Row = 2 };
        log.Progress(1, $"{name}: {rows:N0} rows");
    }

    private static EmbedPSException Malformed(string path, long? line, string detail) =>
        new("MalformedQuote", EmbedPSErrorKind.InvalidData, $"'{path}'{(line is { } l ? $", line {l}" : "")}: malformed CSV ({detail}).") { File = path, Row = line };

    private static string Printable(char c) => c == '\t' ? "\\t" : c.ToString();

    private static int ColumnIndex(string[] header, string column, string path, string role)
    {
        int index = Array.IndexOf(header, column);
        if (index >= 0)
        {
            if (Array.LastIndexOf(header, column) != index)
                throw new EmbedPSException("AmbiguousColumn", EmbedPSErrorKind.InvalidData,
                    $"'{path}', line 1: the header names the {role} column '{column}' more than once ({string.Join(", ", header.Select(h => $"'{h}'"))}).")
                { File = path, Row = 1, Column = column };
            return index;
        }
        // PowerShell users expect case-insensitive names; accept that when it is unambiguous.
        var matches = header.Select((name, i) => (name, i)).Where(x => string.Equals(x.name, column, StringComparison.OrdinalIgnoreCase)).ToArray();
        if (matches.Length == 1) return matches[0].i;
        throw new EmbedPSException("ColumnNotFound", EmbedPSErrorKind.InvalidArgument,
            $"'{path}' has no {role} column '{column}'. Available columns: {string.Join(", ", header.Select(h => $"'{h}'"))}.")
        { File = path, Row = 1, Column = column };
    }

    /// <summary>
    /// RFC 4180 unescaping of one field: a quoted field loses its outer quotes and "" becomes ". A quote anywhere in an
    /// unquoted field, an unclosed quote, or text after the closing quote is an error naming the line.
    /// </summary>
    private static ReadOnlySpan<char> Field(ReadOnlySpan<char> raw, ref char[] scratch, string path, long line, string column)
    {
        int quote = raw.IndexOf('"');
        if (quote < 0) return raw;
        CheckQuotes(raw, path, line, column);
        var inner = raw[1..^1];
        if (scratch.Length < inner.Length) scratch = new char[Math.Max(inner.Length, scratch.Length * 2)];
        int write = 0;
        for (int i = 0; i < inner.Length; i++)
        {
            char c = inner[i];
            scratch[write++] = c;
            if (c == '"') i++; // skip the second quote of ""
        }
        return scratch.AsSpan(0, write);
    }

    private static void CheckQuotes(ReadOnlySpan<char> raw, string path, long line, string column)
    {
        int quote = raw.IndexOf('"');
        if (quote < 0) return;
        string? problem = null;
        if (quote > 0) problem = "a quote inside an unquoted field";
        else if (raw.Length < 2) problem = "a quote that is never closed";
        else
        {
            var inner = raw[1..];
            int i = 0;
            while (problem is null)
            {
                int next = inner[i..].IndexOf('"');
                if (next < 0) { problem = "a quote that is never closed"; break; }
                i += next;
                if (i == inner.Length - 1) break; // the closing quote ends the field
                if (inner[i + 1] == '"') { i += 2; continue; }
                problem = "text after the closing quote (write a quote inside a quoted field as \"\")";
            }
        }
        if (problem is not null)
            throw new EmbedPSException("MalformedQuote", EmbedPSErrorKind.InvalidData,
                $"{CollectionImporter.Describe(path, line, column, isLine: true)}: malformed quote, {problem}: '{CollectionImporter.Shorten(raw)}'.")
            { File = path, Row = line, Column = column, Value = raw.ToString() };
    }
}
