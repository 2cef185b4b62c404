using System.Globalization;
using System.Text.Json;
using EmbedPS.Core.Common;

namespace EmbedPS.Core.Artifacts;

/// <summary>One problem found in an artifact: what, where (file, footer key or column and first bad row).</summary>
public sealed record ArtifactProblem(string ErrorId, string Message, string File, string? Key = null, string? Column = null, long? Row = null, string? Value = null)
{
    public EmbedPSException ToException() => new(ErrorId, EmbedPSErrorKind.InvalidData, Message) { File = File, Column = Column ?? Key, Row = Row, Value = Value };
    public override string ToString() => Message;
}

/// <summary>
/// The cheap checks every artifact passes on import (one pass over each column, no sorting): the footer (kind, a schema this
/// version reads, every JSON key parses, the keys a kind needs are present), a non-empty table, the columns a kind needs with
/// usable types, no null or empty ids, finite numbers, no negative popularity, distances or weights (unless the artifact's
/// parameters say negative weights were meant), unique entity ids. Each problem names the file, the key or column and the first bad row.
/// </summary>
public static class ArtifactValidation
{
    /// <summary>The newest schema of each kind this version reads.</summary>
    public const int SupportedSchema = 1;

    public const string AllowNegativeWeightParameter = "AllowNegativeWeight";

    /// <summary>Footer checks that need no columns. Adds to <paramref name="problems"/>; returns the parsed schema (0 when unusable).</summary>
    public static int CheckFooter(string path, ArtifactKind kind, IReadOnlyDictionary<string, string> metadata, List<ArtifactProblem> problems)
    {
        var version = metadata.GetValueOrDefault(ParquetArtifact.VersionKey);
        var writtenBy = version is null ? "an unknown EmbedPS version" : $"EmbedPS {version}";
        int schema = 0;
        if (!metadata.TryGetValue(ParquetArtifact.SchemaKey, out var schemaText))
            problems.Add(new("FooterKeyMissing", $"'{path}': the footer has no '{ParquetArtifact.SchemaKey}' key (the artifact schema).", path, ParquetArtifact.SchemaKey));
        else if (!int.TryParse(schemaText, NumberStyles.None, CultureInfo.InvariantCulture, out schema) || schema < 1)
        {
            problems.Add(new("BadFooterValue", $"'{path}': footer key '{ParquetArtifact.SchemaKey}' is '{schemaText}', not a positive integer.", path, ParquetArtifact.SchemaKey, Value: schemaText));
            schema = 0;
        }
        else if (schema > SupportedSchema)
            problems.Add(new("NewerSchema", $"'{path}': written by {writtenBy} with {ArtifactKinds.Name(kind)} schema {schema}; this version ({ParquetArtifact.LibraryVersion}) reads schema ≤ {SupportedSchema}. Update EmbedPS to read it.", path, ParquetArtifact.SchemaKey, Value: schemaText));
        if (metadata.TryGetValue(ParquetArtifact.CreatedKey, out var created) && !DateTime.TryParse(created, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out _))
            problems.Add(new("BadFooterValue", $"'{path}': footer key '{ParquetArtifact.CreatedKey}' is '{Shorten(created)}', not a date and time.", path, ParquetArtifact.CreatedKey, Value: created));
        Json(path, metadata, ParquetArtifact.ParametersKey, JsonValueKind.Object, required: false, problems);
        Json(path, metadata, ParquetArtifact.InputsKey, JsonValueKind.Array, required: false, problems);
        Json(path, metadata, ParquetArtifact.SettingsKey, JsonValueKind.Object, required: false, problems);
        switch (kind)
        {
            case ArtifactKind.NeighborGraph:
                // The graph is data only; files from before Invoke-Mde owned the penalties still carry the key: it must parse.
                Json(path, metadata, "embedps.configuration", JsonValueKind.Object, required: false, problems);
                break;
            case ArtifactKind.Embedding:
                if (Json(path, metadata, "embedps.history", JsonValueKind.Array, required: false, problems) is { } history)
                {
                    foreach (var item in history.RootElement.EnumerateArray())
                        if (item.ValueKind != JsonValueKind.Number) { problems.Add(new("BadFooterValue", $"'{path}': footer key 'embedps.history' must be an array of numbers; it holds {item.ValueKind}.", path, "embedps.history")); break; }
                    history.Dispose();
                }
                Number(path, metadata, "embedps.distortion", integer: false, problems);
                Number(path, metadata, "embedps.iterations", integer: true, problems);
                break;
            case ArtifactKind.Projection:
                if (Json(path, metadata, "embedps.quality", JsonValueKind.Object, required: false, problems) is { } quality)
                {
                    foreach (var p in quality.RootElement.EnumerateObject())
                        if (p.Value.ValueKind != JsonValueKind.Number) { problems.Add(new("BadFooterValue", $"'{path}': footer key 'embedps.quality', entry '{p.Name}' must be a number; it holds {p.Value.ValueKind}.", path, "embedps.quality")); break; }
                    quality.Dispose();
                }
                break;
        }
        return schema;
    }

    private static JsonDocument? Json(string path, IReadOnlyDictionary<string, string> metadata, string key, JsonValueKind expected, bool required, List<ArtifactProblem> problems)
    {
        if (!metadata.TryGetValue(key, out var text))
        {
            if (required) problems.Add(new("FooterKeyMissing", $"'{path}': the footer has no '{key}' key, which {key switch { "embedps.configuration" => "holds the embedding problem (dimension, penalties, constraint)", _ => "this kind needs" }}; nothing is assumed in its place.", path, key));
            return null;
        }
        try
        {
            var doc = JsonDocument.Parse(text);
            if (doc.RootElement.ValueKind != expected)
            {
                problems.Add(new("BadFooterJson", $"'{path}': footer key '{key}' must hold a JSON {(expected == JsonValueKind.Object ? "object" : "array")}, not {doc.RootElement.ValueKind}.", path, key, Value: Shorten(text)));
                doc.Dispose();
                return null;
            }
            return doc;
        }
        catch (JsonException ex)
        {
            problems.Add(new("BadFooterJson", $"'{path}': footer key '{key}' is not valid JSON ({ex.Message}): '{Shorten(text)}'.", path, key, Value: Shorten(text)));
            return null;
        }
    }

    private static void Number(string path, IReadOnlyDictionary<string, string> metadata, string key, bool integer, List<ArtifactProblem> problems)
    {
        if (!metadata.TryGetValue(key, out var text)) return;
        bool ok = integer ? int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out _)
            : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v);
        if (!ok) problems.Add(new("BadFooterValue", $"'{path}': footer key '{key}' is '{Shorten(text)}', not {(integer ? "a non-negative integer" : "a finite number")}.", path, key, Value: text));
    }

    /// <summary>
    /// What the column checks of a co-occurrence or neighbour-graph table carry from one row group to the next when the table is
    /// checked a row group at a time (<see cref="CheckColumns(ArtifactTable, List{ArtifactProblem}, RowGroupState?)"/>).
    /// </summary>
    public sealed class RowGroupState
    {
        internal bool ColumnsChecked;
        internal bool SelfRowsEnded;
        internal long SelfRowCount;
        internal readonly HashSet<string> SeenSelf = new(StringComparer.Ordinal);
    }

    /// <summary>Column checks of one kind. Adds to <paramref name="problems"/>.</summary>
    public static void CheckColumns(ArtifactTable table, List<ArtifactProblem> problems) => CheckColumns(table, problems, null);

    /// <summary>
    /// Column checks of one kind; with <paramref name="state"/>, <paramref name="table"/> is one row group of a file (rows are
    /// numbered from its <see cref="ArtifactTable.FirstRow"/>; the caller checks that the file has rows at all) and the checks
    /// that span row groups (the leading self rows) continue from the previous group. Adds to <paramref name="problems"/>.
    /// </summary>
    public static void CheckColumns(ArtifactTable table, List<ArtifactProblem> problems, RowGroupState? state)
    {
        var path = table.Path;
        if (table.RowCount == 0)
        {
            if (state is null) problems.Add(new("EmptyArtifact", $"'{path}': the {ArtifactKinds.Name(table.Kind)} table has no rows.", path));
            return;
        }
        bool allowNegative = table.Provenance.Parameters.TryGetValue(AllowNegativeWeightParameter, out var allow) && allow is true;
        if (state is null || !state.ColumnsChecked) KnownColumns(table, problems);
        if (state is not null) state.ColumnsChecked = true;
        switch (table.Kind)
        {
            case ArtifactKind.Collections:
                Ids(table, "collection", unique: false, problems);
                Ids(table, "entity", unique: false, problems);
                Numbers(table, "weight", required: false, NumberRule.Finite | (allowNegative ? 0 : NumberRule.NonNegative), problems, "weight");
                Numbers(table, "value", required: false, NumberRule.Finite, problems, "value");
                Numbers(table, "timestamp", required: false, NumberRule.Finite, problems, "timestamp");
                break;
            case ArtifactKind.Cooccurrence:
            case ArtifactKind.NeighborGraph:
            {
                bool ida = Ids(table, "entity_a", unique: false, problems), idb = Ids(table, "entity_b", unique: false, problems);
                var rule = table.Kind == ArtifactKind.Cooccurrence && !allowNegative ? NumberRule.Finite | NumberRule.NonNegative : NumberRule.Finite;
                var weight = Numbers(table, "weight", required: true, rule, problems, "weight");
                if (table.Kind == ArtifactKind.NeighborGraph && weight is not null) GraphDistances(table, weight.Value, problems);
                if (ida && idb && weight is not null) SelfRows(table, weight.Value, problems, state);
                break;
            }
            case ArtifactKind.Embedding:
            {
                Ids(table, "entity", unique: true, problems);
                int d = 0;
                while (table.Has("x" + d)) { Numbers(table, "x" + d, required: true, NumberRule.Finite, problems, "coordinate"); d++; }
                if (d == 0) problems.Add(new("ArtifactColumnMissing", $"'{path}' has no coordinate columns x0, x1, …. Columns: {string.Join(", ", table.ColumnOrder)}.", path, Column: "x0"));
                Numbers(table, "popularity", required: true, NumberRule.Finite | NumberRule.NonNegative | NumberRule.Integer, problems, "popularity");
                break;
            }
            case ArtifactKind.Projection:
                Ids(table, "entity", unique: true, problems);
                Numbers(table, "x", required: true, NumberRule.Finite, problems, "coordinate");
                Numbers(table, "y", required: true, NumberRule.Finite, problems, "coordinate");
                Numbers(table, "popularity", required: true, NumberRule.Finite | NumberRule.NonNegative | NumberRule.Integer, problems, "popularity");
                break;
        }
    }

    /// <summary>
    /// The columns of each kind's contract. Any other column is refused: a renamed optional column (weight → Weight) or a
    /// renamed coordinate (x1 → X1) would otherwise be silently dropped, giving an unweighted set or a lower-dimensional embedding.
    /// </summary>
    private static void KnownColumns(ArtifactTable table, List<ArtifactProblem> problems)
    {
        string[] known = table.Kind switch
        {
            ArtifactKind.Collections => ["collection", "entity", "weight", "value", "timestamp"],
            ArtifactKind.Cooccurrence => ["entity_a", "entity_b", "weight"],
            ArtifactKind.NeighborGraph => ["entity_a", "entity_b", "weight", "distance"],
            ArtifactKind.Embedding => ["entity", "popularity"],
            _ => ["entity", "x", "y", "popularity"],
        };
        int dimension = 0;
        if (table.Kind == ArtifactKind.Embedding) while (table.Has("x" + dimension)) dimension++;
        foreach (var column in table.ColumnOrder)
        {
            if (known.Contains(column, StringComparer.Ordinal)) continue;
            if (table.Kind == ArtifactKind.Embedding && column.Length > 1 && column[0] == 'x' && int.TryParse(column.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var axis)
                && axis < dimension && column == "x" + axis) continue;
            problems.Add(new("UnexpectedColumn", $"'{table.Path}': column '{column}' is not part of the {ArtifactKinds.Name(table.Kind)} artifact contract " +
                $"({(table.Kind == ArtifactKind.Embedding ? "entity, x0 … x{d-1}, popularity" : string.Join(", ", known))}); was the file edited?", table.Path, Column: column));
            return;
        }
        if (table.Kind == ArtifactKind.Embedding && table.Provenance.Parameters.TryGetValue("Dimension", out var recorded) && recorded is long d && d != dimension)
            problems.Add(new("DimensionMismatch", $"'{table.Path}': the footer's parameters record dimension {d}, but the table has coordinate columns x0 … x{dimension - 1} ({dimension}).", table.Path, ParquetArtifact.ParametersKey, Column: "x" + dimension));
    }

    [Flags]
    private enum NumberRule { Finite = 1, NonNegative = 2, Integer = 4 }

    /// <summary>A numeric column read as doubles without copying it.</summary>
    private readonly struct NumberColumn(Array values)
    {
        public int Length => values.Length;
        public double this[int r] => values switch
        {
            float[] f => f[r],
            double[] d => d[r],
            long[] l => l[r],
            int[] i => i[r],
            _ => throw new InvalidOperationException(),
        };
    }

    private static NumberColumn? Numbers(ArtifactTable table, string column, bool required, NumberRule rule, List<ArtifactProblem> problems, string what)
    {
        var path = table.Path;
        if (!table.Columns.TryGetValue(column, out var values))
        {
            if (required) problems.Add(new("ArtifactColumnMissing", $"'{path}' has no column '{column}'. Columns: {string.Join(", ", table.ColumnOrder)}.", path, Column: column));
            return null;
        }
        var numbers = new NumberColumn(values);
        switch (values)
        {
            case double[] or float[] or long[] or int[]: break;
            default:
                problems.Add(new("BadColumnType", $"'{path}', column '{column}': holds {values.GetType().GetElementType()?.Name} values; a {what} column must be numeric.", path, Column: column));
                return null;
        }
        // Fast path: a float column with every value finite and ≥ 0 (an atlas co-occurrence artifact: 200 M weights) needs no
        // per-row dispatch; a column that fails it is walked below to name the first bad row.
        if (values is float[] floats && (rule & ~(NumberRule.Finite | NumberRule.NonNegative)) == 0 && AllFiniteNonNegative(floats)) return numbers;
        for (int r = 0; r < numbers.Length; r++)
        {
            double v = numbers[r];
            string? problem = null;
            if ((rule & NumberRule.Finite) != 0 && !double.IsFinite(v)) problem = $"{Format(v)} is not a finite {what}";
            else if ((rule & NumberRule.NonNegative) != 0 && v < 0)
                problem = what == "weight" ? $"negative weight {Format(v)} (weights must be ≥ 0; negative weights are accepted only when the producing command was told they are meant, -AllowNegativeWeight)" : $"negative {what} {Format(v)}";
            else if ((rule & NumberRule.Integer) != 0 && (v != Math.Floor(v) || v > int.MaxValue)) problem = $"{Format(v)} is not a whole {what}";
            if (problem is not null)
            {
                long row = table.FirstRow + r + 1;
                problems.Add(new(what == "weight" && v < 0 ? "NegativeWeight" : "BadValue", $"'{path}', column '{column}', row {row}: {problem}.", path, Column: column, Row: row, Value: Format(v)));
                break; // the first bad row of each column
            }
        }
        return numbers;
    }

    private static bool AllFiniteNonNegative(float[] values)
    {
        // !(v >= 0) is true for negatives and NaN; v > MaxValue for +infinity.
        foreach (var v in values) if (!(v >= 0f) || v > float.MaxValue) return false;
        return true;
    }

    /// <summary>Neighbour-graph distances: finite and ≥ 0, except NaN on repulsive pairs of graph inputs (their distance is unknown).</summary>
    private static void GraphDistances(ArtifactTable table, NumberColumn weight, List<ArtifactProblem> problems)
    {
        if (Numbers(table, "distance", required: true, 0, problems, "distance") is not { } distance) return;
        for (int r = 0; r < distance.Length; r++)
        {
            double v = distance[r];
            if ((double.IsNaN(v) && weight[r] < 0) || (double.IsFinite(v) && v >= 0)) continue;
            long row = table.FirstRow + r + 1;
            problems.Add(new("BadValue", $"'{table.Path}', column 'distance', row {row}: {Format(v)} is not a distance (finite and ≥ 0; NaN only on a repulsive pair).",
                table.Path, Column: "distance", Row: row, Value: Format(v)));
            return;
        }
    }

    private static bool Ids(ArtifactTable table, string column, bool unique, List<ArtifactProblem> problems)
    {
        var path = table.Path;
        if (!table.Columns.TryGetValue(column, out var values))
        {
            problems.Add(new("ArtifactColumnMissing", $"'{path}' has no column '{column}'. Columns: {string.Join(", ", table.ColumnOrder)}.", path, Column: column));
            return false;
        }
        switch (values)
        {
            case long[] or int[]:
                if (unique)
                {
                    var seen = new HashSet<long>();
                    for (int r = 0; r < values.Length; r++)
                    {
                        long id = values is long[] l ? l[r] : ((int[])values)[r];
                        if (!seen.Add(id)) { Duplicate(path, column, table.FirstRow + r, id.ToString(CultureInfo.InvariantCulture), problems); break; }
                    }
                }
                return true;
            case string?[] s:
            {
                var seen = unique ? new HashSet<string>(StringComparer.Ordinal) : null;
                for (int r = 0; r < s.Length; r++)
                {
                    if (string.IsNullOrEmpty(s[r]))
                    {
                        problems.Add(new("NullId", $"'{path}', column '{column}', row {table.FirstRow + r + 1}: {(s[r] is null ? "null" : "empty")} entity id.", path, Column: column, Row: table.FirstRow + r + 1));
                        return false;
                    }
                    if (seen is not null && !seen.Add(s[r]!)) { Duplicate(path, column, table.FirstRow + r, s[r]!, problems); break; }
                }
                return true;
            }
            default:
                problems.Add(new("BadColumnType", $"'{path}', column '{column}': holds {values.GetType().GetElementType()?.Name} values; ids must be int64 or text.", path, Column: column));
                return false;
        }
    }

    private static void Duplicate(string path, string column, long r, string id, List<ArtifactProblem> problems) =>
        problems.Add(new("DuplicateEntity", $"'{path}', column '{column}', row {r + 1}: entity id '{Shorten(id)}' appears a second time.", path, Column: column, Row: r + 1, Value: id));

    /// <summary>Co-occurrence and neighbour-graph tables: the self rows come first, once per entity, with a whole, non-negative popularity.</summary>
    private static void SelfRows(ArtifactTable table, NumberColumn weight, List<ArtifactProblem> problems, RowGroupState? state)
    {
        var path = table.Path;
        if (state is { SelfRowsEnded: true }) return;
        var a = table.Columns["entity_a"]; var b = table.Columns["entity_b"];
        var seen = state?.SeenSelf ?? new HashSet<string>(StringComparer.Ordinal);
        int r = 0;
        for (; r < a.Length; r++)
        {
            var ia = IdText(a, r); var ib = IdText(b, r);
            if (ia != ib) break;
            long row = table.FirstRow + r;
            if (!seen.Add(ia)) { Duplicate(path, "entity_a", row, ia, problems); if (state is not null) state.SelfRowsEnded = true; return; }
            double p = weight[r];
            if (!(p >= 0) || p != Math.Floor(p))
            {
                problems.Add(new("BadValue", $"'{path}', column 'weight', row {row + 1}: the self row of entity '{Shorten(ia)}' holds its popularity, which must be a whole number ≥ 0, not {Format(p)}.", path, Column: "weight", Row: row + 1, Value: Format(p)));
                if (state is not null) state.SelfRowsEnded = true;
                return;
            }
        }
        if (state is not null)
        {
            state.SelfRowCount += r;
            if (r < a.Length) state.SelfRowsEnded = true;
            if (state.SelfRowCount > 0) return;
        }
        if (r == 0)
            problems.Add(new("MissingSelfRows", $"'{path}', row 1: the table must start with one row per entity whose entity_a equals entity_b (its popularity); it starts with an edge.", path, Column: "entity_a", Row: 1));
    }

    private static string IdText(Array ids, int r) => ids switch
    {
        long[] l => l[r].ToString(CultureInfo.InvariantCulture),
        int[] i => i[r].ToString(CultureInfo.InvariantCulture),
        string?[] s => s[r] ?? "",
        _ => "",
    };

    private static string Format(double v) => v.ToString("R", CultureInfo.InvariantCulture);
    private static string Shorten(string s) => s.Length <= 80 ? s : s[..77] + "…";
}
