using EmbedPS.Core.Common;
using nietras.SeparatedValues;

namespace EmbedPS.Core.Preview;

/// <summary>
/// Per-entity text columns (labels, groups, numeric values) aligned to a stage's entities: metadata joined by id.
/// Entities without a metadata row get null in every column.
/// </summary>
public sealed class EntityAttributes
{
    private readonly Dictionary<string, string?[]> _columns = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _names = new();

    public EntityAttributes(int entityCount) { EntityCount = entityCount; }

    public int EntityCount { get; }
    /// <summary>Entities that found a metadata row.</summary>
    public int MatchedCount { get; private set; }
    public IReadOnlyList<string> ColumnNames => _names;

    public void Add(string name, string?[] values)
    {
        if (values.Length != EntityCount) throw new ArgumentException($"Column '{name}' has {values.Length} values; expected {EntityCount}.");
        if (!_columns.ContainsKey(name)) _names.Add(name);
        _columns[name] = values;
    }

    /// <summary>The column by name (case-insensitive), or null.</summary>
    public string?[]? Column(string name) => _columns.TryGetValue(name, out var values) ? values : null;

    /// <summary>The column's actual spelling, or null.</summary>
    public string? ColumnName(string name) => _names.FirstOrDefault(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Joins a table given as named text columns (column-major; pipeline objects such as Import-Csv rows, or a plain Parquet
    /// file) to <paramref name="entities"/> by <paramref name="idColumn"/>, with the same rules as <see cref="ReadCsv"/>.
    /// </summary>
    public static EntityAttributes FromColumns(IReadOnlyList<string> names, IReadOnlyList<string?[]> columns, string idColumn, EntityIds entities, IStageLog log, string source)
    {
        int idIndex = -1;
        for (int c = 0; c < names.Count; c++) if (string.Equals(names[c].Trim(), idColumn, StringComparison.OrdinalIgnoreCase)) { idIndex = c; break; }
        if (idIndex < 0)
            throw new EmbedPSException("MetadataIdColumnMissing", EmbedPSErrorKind.InvalidData,
                $"The metadata ({source}) has no id column '{idColumn}'; its columns are: {string.Join(", ", names)}. Use -IdProperty to name the id column.") { Column = idColumn };
        var result = new EntityAttributes(entities.Count);
        var aligned = new string?[names.Count][];
        for (int c = 0; c < names.Count; c++) aligned[c] = new string?[entities.Count];
        var seen = new bool[entities.Count];
        int matched = 0, rows = columns.Count == 0 ? 0 : columns[idIndex].Length;
        string? firstUnknown = null;
        for (int r = 0; r < rows; r++)
        {
            var id = columns[idIndex][r]?.Trim();
            int entity = id is null ? -1 : entities.IndexOf(id);
            if (entity < 0) { firstUnknown ??= id; continue; }
            if (seen[entity]) continue;
            seen[entity] = true;
            matched++;
            for (int c = 0; c < names.Count; c++) if (c != idIndex) aligned[c][entity] = columns[c][r];
        }
        if (matched == 0)
            throw new EmbedPSException("MetadataNoMatch", EmbedPSErrorKind.InvalidData,
                $"None of the ids in column '{names[idIndex]}' of the metadata ({source}) is an entity of the input (first metadata id '{firstUnknown}', first entity id '{(entities.Count > 0 ? entities.GetText(0) : "")}').")
            { Column = names[idIndex], Value = firstUnknown };
        for (int c = 0; c < names.Count; c++) if (c != idIndex) result.Add(names[c].Trim(), aligned[c]);
        result.MatchedCount = matched;
        log.Verbose($"Metadata ({source}): {matched:N0} of {entities.Count:N0} entities matched.");
        return result;
    }

    /// <summary>Reads a plain Parquet table (any columns; values as invariant text) and joins it like <see cref="ReadCsv"/>.</summary>
    public static EntityAttributes ReadParquet(string path, string idColumn, EntityIds entities, IStageLog log, CancellationToken cancellation = default)
    {
        if (!File.Exists(path))
            throw new EmbedPSException("MetadataNotFound", EmbedPSErrorKind.ObjectNotFound, $"The metadata file '{path}' does not exist.") { File = path };
        var (columns, order, _) = Artifacts.ParquetArtifact.ReadPlain(path, cancellation);
        var text = order.Select(name =>
        {
            var values = columns[name];
            var strings = new string?[values.Length];
            for (int r = 0; r < values.Length; r++) strings[r] = values.GetValue(r) is { } v ? Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) : null;
            return strings;
        }).ToList();
        return FromColumns(order.ToList(), text, idColumn, entities, log, $"'{path}'");
    }

    /// <summary>The entity → value map of one column (entities without a value are left out), for label lookups.</summary>
    public Dictionary<string, string> ToDictionary(string column, EntityIds entities)
    {
        var values = Column(column) ?? throw new EmbedPSException("MetadataColumnMissing", EmbedPSErrorKind.InvalidArgument,
            $"The metadata has no column '{column}' (columns: {string.Join(", ", _names)}).") { Column = column };
        var map = new Dictionary<string, string>();
        for (int i = 0; i < values.Length; i++) if (values[i] is { } v) map[entities.GetText(i)] = v;
        return map;
    }

    /// <summary>
    /// Reads a CSV (or TSV: the separator is detected from the header) with a header row and joins it to
    /// <paramref name="entities"/> by <paramref name="idColumn"/>. Ids compare as the stage's ids do (integers numerically,
    /// strings exactly). Rows whose id is not an entity are ignored; a repeated id keeps its first row.
    /// </summary>
    public static EntityAttributes ReadCsv(string path, string idColumn, EntityIds entities, IStageLog log, CancellationToken cancellation = default)
    {
        if (!File.Exists(path))
            throw new EmbedPSException("MetadataNotFound", EmbedPSErrorKind.ObjectNotFound, $"The metadata file '{path}' does not exist.") { File = path };
        var result = new EntityAttributes(entities.Count);
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            using var text = TextDecoding.Open(stream, null); // strict: an invalid byte is an error, not a merged label
            using var reader = Sep.Reader(o => o with { Unescape = true, DisableColCountCheck = true }).From(text);
            var header = reader.Header;
            var names = header.ColNames;
            int idIndex = -1;
            for (int c = 0; c < names.Count; c++) if (string.Equals(names[c].Trim(), idColumn, StringComparison.OrdinalIgnoreCase)) { idIndex = c; break; }
            if (idIndex < 0)
                throw new EmbedPSException("MetadataIdColumnMissing", EmbedPSErrorKind.InvalidData,
                    $"The metadata file '{path}' has no id column '{idColumn}'; its columns are: {string.Join(", ", names)}. Use -IdProperty to name the id column.")
                { File = path, Row = 1, Column = idColumn };
            var columns = new string?[names.Count][];
            for (int c = 0; c < names.Count; c++) columns[c] = new string?[entities.Count];
            var seen = new bool[entities.Count];
            int matched = 0, duplicates = 0, unknown = 0;
            string? firstUnknown = null;
            foreach (var row in reader)
            {
                if ((row.RowIndex & 0xFFF) == 0) cancellation.ThrowIfCancellationRequested();
                if (idIndex >= row.ColCount) continue;
                var id = row[idIndex].ToString().Trim();
                int entity = entities.IndexOf(id);
                if (entity < 0) { unknown++; firstUnknown ??= id; continue; }
                if (seen[entity]) { duplicates++; continue; }
                seen[entity] = true;
                matched++;
                for (int c = 0; c < names.Count && c < row.ColCount; c++) if (c != idIndex) columns[c][entity] = row[c].ToString();
            }
            if (matched == 0)
                throw new EmbedPSException("MetadataNoMatch", EmbedPSErrorKind.InvalidData,
                    $"None of the ids in column '{names[idIndex]}' of '{path}' is an entity of the input (first metadata id '{firstUnknown}', first entity id '{(entities.Count > 0 ? entities.GetText(0) : "")}').")
                { File = path, Column = names[idIndex], Value = firstUnknown };
            for (int c = 0; c < names.Count; c++) if (c != idIndex) result.Add(names[c].Trim(), columns[c]);
            result.MatchedCount = matched;
            log.Verbose($"Metadata '{Path.GetFileName(path)}': {matched:N0} of {entities.Count:N0} entities matched; {unknown:N0} rows for unknown ids, {duplicates:N0} repeated ids ignored.");
            if (matched < entities.Count) log.Verbose($"{entities.Count - matched:N0} entities have no metadata row: they are drawn as '(missing)'.");
            return result;
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
