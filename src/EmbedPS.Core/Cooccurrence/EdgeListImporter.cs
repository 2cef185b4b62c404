using System.Globalization;
using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Common;
using nietras.SeparatedValues;

namespace EmbedPS.Core.Cooccurrence;

/// <summary>Column names of an edge list.</summary>
public sealed record EdgeListColumns(string EntityA = "entity_a", string EntityB = "entity_b", string Weight = "weight")
{
    /// <summary>Text encoding of CSV edge lists (an -Encoding name); null: a byte order mark's, else strict UTF-8.</summary>
    public string? Encoding { get; init; }
    /// <summary>Accept negative weights (rejected otherwise, with the file, line and value).</summary>
    public bool AllowNegativeWeight { get; init; }
}

/// <summary>
/// Reads a co-occurrence matrix from an EmbedPS 'cooccurrence' artifact or from a plain edge list
/// (<c>entity_a, entity_b, weight</c>) as a Spark or DuckDB job writes it: one Parquet or CSV file, or a folder of
/// part files (Spark's <c>part-*.parquet</c>; files starting with '_' or '.' are skipped). Rows with
/// entity_a = entity_b give the entity's popularity; every other row adds its weight to the unordered pair, so a pair
/// listed in both orientations, or in several part files, is summed.
/// </summary>
public static class EdgeListImporter
{
    public static CooccurrenceMatrix Read(string path, EdgeListColumns? columns = null, IStageLog? log = null, CancellationToken cancellation = default)
    {
        columns ??= new EdgeListColumns();
        log ??= StageLog.Null;
        var full = Path.GetFullPath(path);
        var files = ListFiles(full);
        if (files.Count == 1 && IsParquet(files[0]))
        {
            // An EmbedPS artifact reads as itself; any other Parquet file as a plain edge list.
            try
            {
                var matrix = CooccurrenceArtifact.Read(files[0], cancellation);
                log.Verbose($"'{files[0]}' is a cooccurrence artifact.");
                return matrix;
            }
            catch (EmbedPSException ex) when (ex.ErrorId == "NotAnEmbedPSArtifact") { }
        }
        var idsA = new List<Array>();
        var idsB = new List<Array>();
        var weights = new List<float[]>();
        var provenance = new Provenance();
        provenance.Parameters["Source"] = "edge-list";
        provenance.Parameters["EntityAColumn"] = columns.EntityA;
        provenance.Parameters["EntityBColumn"] = columns.EntityB;
        provenance.Parameters["WeightColumn"] = columns.Weight;
        if (columns.AllowNegativeWeight) provenance.Parameters[ArtifactValidation.AllowNegativeWeightParameter] = true;
        foreach (var file in files)
        {
            cancellation.ThrowIfCancellationRequested();
            var (a, b, w) = IsParquet(file) ? ReadParquet(file, columns, cancellation) : ReadCsv(file, columns, cancellation);
            log.Verbose($"Read {w.Length:N0} edges from '{file}'.");
            idsA.Add(a); idsB.Add(b); weights.Add(w);
            provenance.Inputs.Add(ArtifactInput.FromFile(file));
        }
        var allA = Concatenate(idsA);
        var allB = Concatenate(idsB);
        if (allA is long[] && allB is not long[] || allB is long[] && allA is not long[])
        {
            allA = AsText(allA);
            allB = AsText(allB);
        }
        var allW = weights.Count == 1 ? weights[0] : weights.SelectMany(x => x).ToArray();
        string source = files.Count == 1 ? files[0] : full;
        // A Spark or DuckDB job writes rows in no particular order: the entity order is the canonical one, not the order of appearance.
        var edges = EdgeListReader.Canonical(EdgeListReader.Index(allA, allB, source));
        var result = EdgeListReader.BuildSymmetric(edges, allW, provenance, source, out long repeated);
        if (repeated > 0)
            log.Warning($"'{source}': {repeated:N0} of {result.PairCount:N0} pairs were listed more than once (in either orientation or in several files) and their weights summed. " +
                        "That is right for shards of the collections; if the SQL wrote every pair in both orientations, the weights are doubled: keep only entity_a < entity_b.");
        if (result.Popularity.All(p => p == 0) && result.EntityCount > 0)
            log.Warning($"'{source}' has no rows with entity_a = entity_b, so entity popularity is unknown (0). Add them as shown in the documentation (the diagonal rows of the SQL).");
        return result;
    }

    private static bool IsParquet(string file) => file.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase) || file.EndsWith(".parq", StringComparison.OrdinalIgnoreCase);

    private static List<string> ListFiles(string full)
    {
        if (File.Exists(full)) return new List<string> { full };
        if (!Directory.Exists(full))
            throw new EmbedPSException("EdgeListNotFound", EmbedPSErrorKind.ObjectNotFound, $"Edge list '{full}' does not exist.") { File = full };
        bool Visible(string f) => !Path.GetFileName(f).StartsWith('_') && !Path.GetFileName(f).StartsWith('.');
        var parquet = Directory.EnumerateFiles(full, "*.parquet").Where(Visible).Order(StringComparer.Ordinal).ToList();
        if (parquet.Count > 0) return parquet;
        var csv = Directory.EnumerateFiles(full, "*.csv").Where(Visible).Order(StringComparer.Ordinal).ToList();
        if (csv.Count > 0) return csv;
        throw new EmbedPSException("EdgeListEmpty", EmbedPSErrorKind.InvalidData,
            $"Folder '{full}' holds no *.parquet or *.csv part files (files starting with '_' or '.' are skipped).") { File = full };
    }

    private static (Array A, Array B, float[] W) ReadParquet(string file, EdgeListColumns names, CancellationToken cancellation)
    {
        var (columns, order, _) = ParquetArtifact.ReadPlain(file, cancellation);
        Array Column(string name)
        {
            var key = order.FirstOrDefault(c => string.Equals(c, name, StringComparison.OrdinalIgnoreCase))
                ?? throw new EmbedPSException("EdgeListColumnMissing", EmbedPSErrorKind.InvalidData,
                    $"'{file}' has no column '{name}'. Columns: {string.Join(", ", order)}. An edge list needs entity_a, entity_b and weight (or name yours with -EntityAColumn, -EntityBColumn, -WeightColumn).")
                { File = file, Column = name };
            return columns[key];
        }
        Array Ids(string name) => Column(name) switch
        {
            long[] l => l,
            string?[] s => s,
            int[] i => Array.ConvertAll(i, x => (long)x),
            var other => throw new EmbedPSException("EdgeListColumnType", EmbedPSErrorKind.InvalidData,
                $"'{file}', column '{name}': entity ids must be integers or text, not {other.GetType().GetElementType()?.Name}.") { File = file, Column = name },
        };
        var weightColumn = Column(names.Weight);
        float[] weights = weightColumn switch
        {
            float[] f => f,
            double[] d => Array.ConvertAll(d, x => (float)x),
            long[] l => Array.ConvertAll(l, x => (float)x),
            int[] i => Array.ConvertAll(i, x => (float)x),
            _ => throw new EmbedPSException("EdgeListColumnType", EmbedPSErrorKind.InvalidData,
                $"'{file}', column '{names.Weight}': weights must be numbers, not {weightColumn.GetType().GetElementType()?.Name}.") { File = file, Column = names.Weight },
        };
        if (!names.AllowNegativeWeight)
        {
            for (int r = 0; r < weights.Length; r++)
                if (weights[r] < 0) throw NegativeWeight(file, r + 1, names.Weight, weights[r], isLine: false);
        }
        return (Ids(names.EntityA), Ids(names.EntityB), weights);
    }

    private static (Array A, Array B, float[] W) ReadCsv(string file, EdgeListColumns names, CancellationToken cancellation)
    {
        var encoding = TextDecoding.Parse(names.Encoding);
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using var text = TextDecoding.Open(stream, encoding);
        try
        {
            return ReadCsv(file, names, text, encoding, cancellation);
        }
        catch (System.Text.DecoderFallbackException ex)
        {
            throw TextDecoding.InvalidBytes(file, encoding, ex);
        }
    }

    private static (Array A, Array B, float[] W) ReadCsv(string file, EdgeListColumns names, StreamReader text, System.Text.Encoding? encoding, CancellationToken cancellation)
    {
        SepReader reader;
        try { reader = Sep.Reader(o => o with { Unescape = true, DisableColCountCheck = true }).From(text); }
        catch (InvalidDataException ex)
        {
            throw new EmbedPSException("MalformedCsv", EmbedPSErrorKind.InvalidData, $"'{file}', line 1: malformed CSV header ({ex.Message}).", ex) { File = file, Row = 1 };
        }
        using var disposeReader = reader;
        TextDecoding.CheckHeader(file, reader.Header.ColNames, encoding ?? text.CurrentEncoding);
        try
        {
            return ReadRows(file, names, reader, cancellation);
        }
        catch (InvalidDataException ex)
        {
            throw new EmbedPSException("MalformedCsv", EmbedPSErrorKind.InvalidData, $"'{file}': malformed CSV ({ex.Message}).", ex) { File = file };
        }
    }

    private static (Array A, Array B, float[] W) ReadRows(string file, EdgeListColumns names, SepReader reader, CancellationToken cancellation)
    {
        int Index(string name)
        {
            var header = reader.Header.ColNames;
            for (int i = 0; i < header.Count; i++)
            {
                if (string.Equals(header[i].Trim(), name, StringComparison.OrdinalIgnoreCase)) return i;
            }
            throw new EmbedPSException("EdgeListColumnMissing", EmbedPSErrorKind.InvalidData,
                $"'{file}' has no column '{name}' in its header ({string.Join(", ", header)}). An edge list needs entity_a, entity_b and weight (or name yours with -EntityAColumn, -EntityBColumn, -WeightColumn).")
            { File = file, Row = 1, Column = name };
        }
        int ia = Index(names.EntityA), ib = Index(names.EntityB), iw = Index(names.Weight);
        var a = new List<string>();
        var b = new List<string>();
        var w = new List<float>();
        foreach (var row in reader)
        {
            if ((a.Count & 65535) == 0) cancellation.ThrowIfCancellationRequested();
            if (row.ColCount != reader.Header.ColNames.Count)
                throw new EmbedPSException("ColumnCountMismatch", EmbedPSErrorKind.InvalidData,
                    $"'{file}', line {row.LineNumberFrom}: the row has {row.ColCount} column(s) but the header has {reader.Header.ColNames.Count} ({string.Join(", ", reader.Header.ColNames)}).")
                { File = file, Row = row.LineNumberFrom };
            var textA = row[ia].ToString();
            var textB = row[ib].ToString();
            var weightText = row[iw].Span;
            if (textA.Length == 0 || textB.Length == 0)
                throw new EmbedPSException("EdgeListEmptyId", EmbedPSErrorKind.InvalidData,
                    $"'{file}', line {row.LineNumberFrom}, column '{(textA.Length == 0 ? names.EntityA : names.EntityB)}': empty entity id.")
                { File = file, Row = row.LineNumberFrom, Column = textA.Length == 0 ? names.EntityA : names.EntityB };
            if (!float.TryParse(weightText, NumberStyles.Float, CultureInfo.InvariantCulture, out var weight) || !float.IsFinite(weight))
                throw new EmbedPSException("InvalidWeight", EmbedPSErrorKind.InvalidData,
                    $"'{file}', line {row.LineNumberFrom}, column '{names.Weight}': '{weightText.ToString()}' is not a finite number.")
                { File = file, Row = row.LineNumberFrom, Column = names.Weight, Value = weightText.ToString() };
            if (weight < 0 && !names.AllowNegativeWeight)
                throw NegativeWeight(file, row.LineNumberFrom, names.Weight, weight, isLine: true);
            a.Add(textA); b.Add(textB); w.Add(weight);
        }
        return (IntegersIfAll(a), IntegersIfAll(b), w.ToArray());
    }

    internal static EmbedPSException NegativeWeight(string file, long row, string column, float weight, bool isLine) =>
        new("NegativeWeight", EmbedPSErrorKind.InvalidData,
            $"'{file}', {(isLine ? "line" : "row")} {row}, column '{column}': the weight {weight.ToString(CultureInfo.InvariantCulture)} is negative. Co-occurrence weights must be ≥ 0; add -AllowNegativeWeight if negative weights are meant.")
        { File = file, Row = row, Column = column, Value = weight.ToString(CultureInfo.InvariantCulture) };

    /// <summary>int64 ids when every id is the canonical text of one (so '007' stays text), otherwise the text.</summary>
    private static Array IntegersIfAll(List<string> ids)
    {
        var integers = new long[ids.Count];
        for (int i = 0; i < ids.Count; i++)
        {
            if (!EntityIds.TryParseCanonicalInteger(ids[i], out integers[i])) return ids.ToArray();
        }
        return integers;
    }

    private static Array AsText(Array ids) => ids is long[] l ? Array.ConvertAll(l, x => x.ToString(CultureInfo.InvariantCulture)) : ids;

    private static Array Concatenate(List<Array> parts)
    {
        if (parts.Count == 1) return parts[0];
        if (parts.All(p => p is long[])) return parts.SelectMany(p => (long[])p).ToArray();
        return parts.SelectMany(p => p is long[] l ? l.Select(x => x.ToString(CultureInfo.InvariantCulture)) : ((string?[])p)!).ToArray();
    }
}
