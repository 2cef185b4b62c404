using System.Globalization;
using EmbedPS.Core.Common;

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
    /// Joins a table given as named text columns (column-major; pipeline objects such as Import-Csv rows) to
    /// <paramref name="entities"/> by <paramref name="idColumn"/>, with the rules of <see cref="Join"/>.
    /// </summary>
    public static EntityAttributes FromColumns(IReadOnlyList<string> names, IReadOnlyList<string?[]> columns, string idColumn, EntityIds entities, IStageLog log, string source, MetadataJoinOptions? options = null) =>
        Join(MetadataTable.FromColumns(names, columns, source), entities, (options ?? new MetadataJoinOptions()) with { IdColumn = idColumn }, log);

    /// <summary>Reads a plain Parquet table (any columns; values as invariant text) and joins it (<see cref="Join"/>).</summary>
    public static EntityAttributes ReadParquet(string path, string idColumn, EntityIds entities, IStageLog log, CancellationToken cancellation = default, MetadataJoinOptions? options = null) =>
        Join(MetadataTable.Read(path, cancellation), entities, (options ?? new MetadataJoinOptions()) with { IdColumn = idColumn }, log);

    /// <summary>Reads a CSV (or TSV: the separator is detected from the header) with a header row and joins it (<see cref="Join"/>).</summary>
    public static EntityAttributes ReadCsv(string path, string idColumn, EntityIds entities, IStageLog log, CancellationToken cancellation = default, MetadataJoinOptions? options = null) =>
        Join(MetadataTable.Read(path, cancellation), entities, (options ?? new MetadataJoinOptions()) with { IdColumn = idColumn }, log);

    /// <summary>Reads a metadata file (Parquet by its extension, else CSV/TSV) and joins it (<see cref="Join"/>).</summary>
    public static EntityAttributes Read(string path, EntityIds entities, MetadataJoinOptions options, IStageLog log, CancellationToken cancellation = default) =>
        Join(MetadataTable.Read(path, cancellation), entities, options, log);

    /// <summary>How many ids or rows a message names before "and N more".</summary>
    private const int NameFirst = 5;

    /// <summary>
    /// Joins <paramref name="table"/> to <paramref name="entities"/> on exact ids: a metadata id matches the entity whose id
    /// has exactly that text (no trimming, no case folding: the collections keep their ids as given, so " lead" and "lead" are
    /// two entities; integer ids match their canonical text, so "007" is not entity 7). An id that matches an entity on more
    /// than one row is an error naming the id and its rows, unless <see cref="MetadataJoinOptions.AllowDuplicateIds"/>: then
    /// the first row wins and a warning names them. Metadata ids that match no entity, and entities without a row, are
    /// counted in a warning that names the first few. No match at all is an error.
    /// </summary>
    public static EntityAttributes Join(MetadataTable table, EntityIds entities, MetadataJoinOptions options, IStageLog log)
    {
        var names = table.Names;
        int idIndex = table.IndexOf(options.IdColumn);
        if (idIndex < 0)
            throw new EmbedPSException("MetadataIdColumnMissing", EmbedPSErrorKind.InvalidData,
                $"The metadata {table.Source} has no id column '{options.IdColumn}'; its columns are: {string.Join(", ", names)}. Set {options.IdSetting} to name the id column.")
            { File = table.File, Row = table.File is null ? null : 1, Column = options.IdColumn };
        var ids = table.Columns[idIndex];
        var rowOf = new int[entities.Count];
        Array.Fill(rowOf, -1);
        var duplicates = new Dictionary<int, List<int>>(); // entity -> every row that names it (first included)
        var unknown = new List<string>();
        int unknownCount = 0;
        for (int r = 0; r < table.RowCount; r++)
        {
            var id = ids[r];
            int entity = IndexOfExact(entities, id);
            if (entity < 0)
            {
                unknownCount++;
                if (unknown.Count < NameFirst) unknown.Add(id is null || id.Length == 0 ? "(empty)" : $"'{id}'");
                continue;
            }
            if (rowOf[entity] >= 0)
            {
                if (!duplicates.TryGetValue(entity, out var rows)) duplicates[entity] = rows = new List<int> { rowOf[entity] };
                rows.Add(r);
                continue;
            }
            rowOf[entity] = r;
        }
        int matched = rowOf.Count(r => r >= 0);
        if (matched == 0)
            throw new EmbedPSException("MetadataNoMatch", EmbedPSErrorKind.InvalidData,
                $"None of the ids in column '{names[idIndex]}' of the metadata {table.Source} is an entity of the input (first metadata id {(unknown.Count > 0 ? unknown[0] : "(none: no rows)")}, " +
                $"first entity id '{(entities.Count > 0 ? entities.GetText(0) : "")}'). Ids match exactly: spaces, case and leading zeros count.")
            { File = table.File, Column = names[idIndex], Value = unknown.Count > 0 ? unknown[0] : null };
        if (duplicates.Count > 0)
        {
            var listed = duplicates.OrderBy(d => d.Value[0]).Take(NameFirst)
                .Select(d => $"'{entities.GetText(d.Key)}' ({table.RowWord}s {string.Join(", ", d.Value.Take(NameFirst).Select(r => table.RowNumber(r).ToString(CultureInfo.InvariantCulture)))}{(d.Value.Count > NameFirst ? $" and {d.Value.Count - NameFirst} more" : "")})");
            var what = $"{duplicates.Count:N0} id{(duplicates.Count == 1 ? "" : "s")} of column '{names[idIndex]}' of the metadata {table.Source} appear{(duplicates.Count == 1 ? "s" : "")} on more than one row: " +
                $"{string.Join(", ", listed)}{(duplicates.Count > NameFirst ? $" and {duplicates.Count - NameFirst:N0} more" : "")}";
            if (!options.AllowDuplicateIds)
            {
                var first = duplicates.OrderBy(d => d.Value[0]).First();
                throw new EmbedPSException("MetadataDuplicateId", EmbedPSErrorKind.InvalidData,
                    $"{what}. Remove the repeated rows, or set {options.DuplicateSetting} to keep each id's first row.")
                { File = table.File, Row = table.RowNumber(first.Value[1]), Column = names[idIndex], Value = entities.GetText(first.Key) };
            }
            log.Warning($"{what}; the first row of each is used ({options.DuplicateSetting}).");
        }
        var result = new EntityAttributes(entities.Count);
        for (int c = 0; c < names.Count; c++)
        {
            if (c == idIndex) continue;
            var source = table.Columns[c];
            var aligned = new string?[entities.Count];
            for (int e = 0; e < aligned.Length; e++) if (rowOf[e] >= 0) aligned[e] = source[rowOf[e]];
            result.Add(names[c], aligned);
        }
        result.MatchedCount = matched;
        int missing = entities.Count - matched;
        log.Verbose($"Metadata {table.Source}: {matched:N0} of {entities.Count:N0} entities matched; {unknownCount:N0} rows for ids that are not entities, {duplicates.Sum(d => d.Value.Count - 1):N0} repeated rows.");
        if (unknownCount > 0 || missing > 0)
        {
            var parts = new List<string>();
            if (missing > 0)
            {
                var firstMissing = Enumerable.Range(0, entities.Count).Where(e => rowOf[e] < 0).Take(NameFirst).Select(e => $"'{entities.GetText(e)}'");
                parts.Add($"{missing:N0} of {entities.Count:N0} entities have no metadata row ({string.Join(", ", firstMissing)}{(missing > NameFirst ? $" and {missing - NameFirst:N0} more" : "")}; drawn as '(missing)')");
            }
            if (unknownCount > 0)
                parts.Add($"{unknownCount:N0} metadata row{(unknownCount == 1 ? " has an id" : "s have ids")} that match{(unknownCount == 1 ? "es" : "")} no entity ({string.Join(", ", unknown)}{(unknownCount > NameFirst ? $" and {unknownCount - unknown.Count:N0} more" : "")})");
            log.Warning($"Metadata {table.Source}, column '{names[idIndex]}': {string.Join("; ", parts)}. Ids match exactly.");
        }
        return result;
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

    /// <summary>The entity whose id is exactly <paramref name="id"/> (integer ids: its canonical text), or -1.</summary>
    private static int IndexOfExact(EntityIds entities, string? id)
    {
        if (string.IsNullOrEmpty(id)) return -1;
        if (entities.IsInteger) return EntityIds.TryParseCanonicalInteger(id, out var value) ? entities.IndexOf(value) : -1;
        return entities.IndexOf(id);
    }
}
