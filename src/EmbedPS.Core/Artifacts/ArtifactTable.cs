using System.Globalization;
using EmbedPS.Core.Common;

namespace EmbedPS.Core.Artifacts;

/// <summary>What an artifact file holds once read: its footer and its columns by name.</summary>
public sealed class ArtifactTable
{
    public required string Path { get; init; }
    public required ArtifactKind Kind { get; init; }
    public required int Schema { get; init; }
    public required Provenance Provenance { get; init; }
    public required IReadOnlyDictionary<string, string> Metadata { get; init; }
    public required IReadOnlyDictionary<string, Array> Columns { get; init; }
    public required IReadOnlyList<string> ColumnOrder { get; init; }
    public long RowCount { get; init; }
    /// <summary>The file row of this table's first row (0 for a whole table; a row group's start for <see cref="ArtifactRowGroups.ReadRowGroup"/>).</summary>
    public long FirstRow { get; init; }

    public T[] Get<T>(string name)
    {
        if (!Columns.TryGetValue(name, out var values))
            throw new EmbedPSException("ArtifactColumnMissing", EmbedPSErrorKind.InvalidData,
                $"Artifact '{Path}' has no column '{name}'. Columns: {string.Join(", ", ColumnOrder)}.") { File = Path, Column = name };
        if (values is T[] typed) return typed;
        // Accept widening conversions that other writers (DuckDB, Spark) commonly produce.
        var result = new T[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            var v = values.GetValue(i);
            if (v is null) throw new EmbedPSException("ArtifactNullValue", EmbedPSErrorKind.InvalidData,
                $"Artifact '{Path}', row {FirstRow + i + 1}, column '{name}': null value.") { File = Path, Row = FirstRow + i + 1, Column = name };
            result[i] = (T)Convert.ChangeType(v, typeof(T), CultureInfo.InvariantCulture);
        }
        return result;
    }

    public bool Has(string name) => Columns.ContainsKey(name);

    /// <summary>An entity id column, typed as the file stores it (int64 or string).</summary>
    public Array GetEntityIdColumn(string name)
    {
        var values = Columns.TryGetValue(name, out var v) ? v : Get<string>(name);
        return values switch
        {
            long[] or string[] => values,
            int[] ints => Array.ConvertAll(ints, x => (long)x),
            _ => Get<string>(name),
        };
    }

    public string? MetadataValue(string key) => Metadata.TryGetValue(key, out var v) ? v : null;
}
