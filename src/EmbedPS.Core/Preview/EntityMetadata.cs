using System.Globalization;
using EmbedPS.Core.Collections;
using EmbedPS.Core.Common;
using Parquet;

namespace EmbedPS.Core.Preview;

/// <summary>
/// Per-entity metadata from any source a user has: a CSV/TSV file, a Parquet file, or rows already in memory (PowerShell
/// objects from Import-Csv), joined to a stage's entities by an id column into <see cref="EntityAttributes"/>.
/// </summary>
public static class EntityMetadata
{
    /// <summary>Reads a CSV/TSV or (by extension) Parquet metadata file.</summary>
    public static EntityAttributes Read(string path, string idColumn, EntityIds entities, IStageLog log, CancellationToken cancellation = default) =>
        string.Equals(Path.GetExtension(path), ".parquet", StringComparison.OrdinalIgnoreCase)
            ? ReadParquet(path, idColumn, entities, log, cancellation)
            : EntityAttributes.ReadCsv(path, idColumn, entities, log, cancellation);

    public static EntityAttributes ReadParquet(string path, string idColumn, EntityIds entities, IStageLog log, CancellationToken cancellation = default)
    {
        if (!File.Exists(path))
            throw new EmbedPSException("MetadataNotFound", EmbedPSErrorKind.ObjectNotFound, $"The metadata file '{path}' does not exist.") { File = path };
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            var reader = ParquetReader.CreateAsync(stream, cancellationToken: cancellation).GetAwaiter().GetResult();
            try
            {
            var fields = reader.Schema.GetDataFields();
            var names = fields.Select(f => f.Name).ToArray();
            var columns = names.Select(_ => new List<string?>()).ToArray();
            for (int g = 0; g < reader.RowGroupCount; g++)
            {
                cancellation.ThrowIfCancellationRequested();
                using var group = reader.OpenRowGroupReader(g);
                int count = checked((int)group.RowCount);
                for (int c = 0; c < fields.Length; c++)
                {
                    var chunk = ParquetCollectionReader.ReadColumn(group, fields[c], count, cancellation);
                    for (int i = 0; i < count; i++) columns[c].Add(Format(chunk.GetValue(i)));
                }
            }
            int rows = columns.Length == 0 ? 0 : columns[0].Count;
            return FromColumns($"'{path}'", names, rows, (c, r) => columns[c][r], idColumn, entities, log);
            }
            finally
            {
                reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }
        catch (EmbedPSException) { throw; }
        catch (OperationCanceledException) { throw; }
        catch (Exception ex) when (ex is IOException or InvalidDataException or ArgumentException or NotSupportedException or IndexOutOfRangeException or InvalidOperationException)
        {
            throw new EmbedPSException("MetadataUnreadable", EmbedPSErrorKind.InvalidData, $"Cannot read the metadata file '{path}': {ex.Message}", ex) { File = path };
        }
    }

    /// <summary>
    /// Joins in-memory rows: <paramref name="columnNames"/> (the id column among them) and a cell getter (column, row).
    /// <paramref name="source"/> names the origin in messages (a file, or "the -Metadata objects").
    /// </summary>
    public static EntityAttributes FromColumns(string source, IReadOnlyList<string> columnNames, int rowCount, Func<int, int, string?> cell,
        string idColumn, EntityIds entities, IStageLog log)
    {
        int idIndex = -1;
        for (int c = 0; c < columnNames.Count; c++) if (string.Equals(columnNames[c], idColumn, StringComparison.OrdinalIgnoreCase)) { idIndex = c; break; }
        if (idIndex < 0)
            throw new EmbedPSException("MetadataIdColumnMissing", EmbedPSErrorKind.InvalidData,
                $"{source} has no id column '{idColumn}'; its columns are: {string.Join(", ", columnNames)}. Use -IdProperty to name the id column.")
            { Column = idColumn };
        var columns = new string?[columnNames.Count][];
        for (int c = 0; c < columns.Length; c++) columns[c] = new string?[entities.Count];
        var seen = new bool[entities.Count];
        int matched = 0, unknown = 0, duplicates = 0;
        string? firstUnknown = null;
        for (int r = 0; r < rowCount; r++)
        {
            var id = cell(idIndex, r)?.Trim();
            int entity = string.IsNullOrEmpty(id) ? -1 : entities.IndexOf(id);
            if (entity < 0) { unknown++; firstUnknown ??= id; continue; }
            if (seen[entity]) { duplicates++; continue; }
            seen[entity] = true;
            matched++;
            for (int c = 0; c < columns.Length; c++) if (c != idIndex) columns[c][entity] = cell(c, r);
        }
        if (matched == 0)
            throw new EmbedPSException("MetadataNoMatch", EmbedPSErrorKind.InvalidData,
                $"None of the ids in column '{columnNames[idIndex]}' of {source} is an entity of the input (first metadata id '{firstUnknown}', first entity id '{(entities.Count > 0 ? entities.GetText(0) : "")}').")
            { Column = columnNames[idIndex], Value = firstUnknown };
        var result = new EntityAttributes(entities.Count);
        for (int c = 0; c < columns.Length; c++) if (c != idIndex) result.Add(columnNames[c], columns[c]);
        result.SetMatchedCount(matched);
        log.Verbose($"Metadata ({source}): {matched:N0} of {entities.Count:N0} entities matched; {unknown:N0} rows for unknown ids, {duplicates:N0} repeated ids ignored.");
        return result;
    }

    /// <summary>A cell as invariant text (numbers round-trip, dates ISO 8601), null when missing.</summary>
    public static string? Format(object? value) => value switch
    {
        null => null,
        string s => s,
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        DateTime t => t.ToString("o", CultureInfo.InvariantCulture),
        DateTimeOffset t => t.ToString("o", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IFormattable x => x.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };
}
