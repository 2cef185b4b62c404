using System.Globalization;
using nietras.SeparatedValues;
using EmbedPS.Core.Common;

namespace EmbedPS.Core.NeighborPreservation;

/// <summary>Vectors read from a numeric table (CSV, Parquet, pipeline objects): ids plus row-major float features.</summary>
public sealed record FeatureTable(EntityIds Entities, float[] Data, int Dimension, string[] FeatureNames)
{
    /// <summary>Id columns recognised without -IdProperty (case-insensitive), in order of preference.</summary>
    public static readonly string[] DefaultIdColumns = { "entity", "id", "name" };

    /// <summary>
    /// Reads a CSV or TSV file (header row; the separator detected from the header, as every EmbedPS reader does) with the
    /// same fast parser as Import-EntityCollection, then builds vectors as <see cref="FromColumns"/> does. Cells stay text
    /// until <see cref="FromColumns"/> parses them as invariant-culture numbers.
    /// </summary>
    public static FeatureTable ReadCsv(string path, string? idColumn, string[]? featureColumns, CancellationToken cancellation = default)
    {
        if (!File.Exists(path))
            throw new EmbedPSException("InputNotFound", EmbedPSErrorKind.ObjectNotFound, $"The file '{path}' does not exist.") { File = path };
        using var reader = Sep.Reader(o => o with { Unescape = true }).FromFile(path);
        var names = reader.Header.ColNames.Select(n => n.Trim()).ToList();
        var cells = names.Select(_ => new List<string>()).ToList();
        foreach (var row in reader)
        {
            if ((row.RowIndex & 0xFFF) == 0) cancellation.ThrowIfCancellationRequested();
            if (row.ColCount != names.Count)
                throw new EmbedPSException("BadRowLength", EmbedPSErrorKind.InvalidData,
                    $"'{path}', row {row.RowIndex + 1}: {row.ColCount} fields, the header has {names.Count}.") { File = path, Row = row.RowIndex + 1 };
            for (int c = 0; c < names.Count; c++) cells[c].Add(row[c].ToString());
        }
        if (cells.Count == 0 || cells[0].Count == 0)
            throw new EmbedPSException("EmptyTable", EmbedPSErrorKind.InvalidData, $"'{path}' has no data rows.") { File = path };
        return FromColumns(names, cells.Select(c => (Array)c.ToArray()).ToList(), idColumn, featureColumns, $"'{path}'");
    }

    /// <summary>
    /// Builds vectors from named columns (each an array of one value per row). Features: the given columns, or else every column
    /// whose values are all numbers (or text that parses as an invariant-culture number), except the id column. Ids: the given
    /// column, or else a column named entity/id/name, or else the 1-based row number.
    /// </summary>
    public static FeatureTable FromColumns(IReadOnlyList<string> names, IReadOnlyList<Array> columns, string? idColumn, string[]? featureColumns, string source)
    {
        if (names.Count != columns.Count) throw new ArgumentException("one name per column.");
        int rows = columns.Count == 0 ? 0 : columns[0].Length;
        int Find(string name)
        {
            for (int c = 0; c < names.Count; c++) if (string.Equals(names[c], name, StringComparison.OrdinalIgnoreCase)) return c;
            return -1;
        }
        int id = -1;
        if (idColumn is not null)
        {
            id = Find(idColumn);
            if (id < 0) throw new EmbedPSException("IdPropertyNotFound", EmbedPSErrorKind.InvalidArgument,
                $"{source}: there is no column '{idColumn}' (columns: {string.Join(", ", names)}).") { Column = idColumn };
        }
        else
        {
            foreach (var candidate in DefaultIdColumns) if ((id = Find(candidate)) >= 0) break;
        }
        var features = new List<int>();
        if (featureColumns is { Length: > 0 })
        {
            foreach (var name in featureColumns)
            {
                int c = Find(name);
                if (c < 0) throw new EmbedPSException("FeaturePropertyNotFound", EmbedPSErrorKind.InvalidArgument,
                    $"{source}: there is no column '{name}' (columns: {string.Join(", ", names)}).") { Column = name };
                features.Add(c);
            }
        }
        else
        {
            for (int c = 0; c < names.Count; c++) if (c != id && IsNumericColumn(columns[c])) features.Add(c);
            if (features.Count == 0) throw new EmbedPSException("NoNumericColumns", EmbedPSErrorKind.InvalidData,
                $"{source}: no numeric column to use as features (columns: {string.Join(", ", names)}); name them with -FeatureProperty.");
        }
        int d = features.Count;
        var data = new float[(long)rows * d];
        for (int f = 0; f < d; f++)
        {
            var column = columns[features[f]];
            for (int r = 0; r < rows; r++)
            {
                var value = column.GetValue(r);
                if (!TryNumber(value, out double x) || !double.IsFinite(x))
                    throw new EmbedPSException("NonNumericFeature", EmbedPSErrorKind.InvalidData,
                        $"{source}, row {r + 1}, column '{names[features[f]]}': '{value}' is not a finite number.")
                    { Row = r + 1, Column = names[features[f]], Value = Convert.ToString(value, CultureInfo.InvariantCulture) };
                data[(long)r * d + f] = (float)x;
            }
        }
        EntityIds entities;
        if (id >= 0)
        {
            var text = new string[rows];
            var column = columns[id];
            var seen = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int r = 0; r < rows; r++)
            {
                var value = column.GetValue(r);
                text[r] = value is null ? "" : Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
                if (text[r].Length == 0) throw new EmbedPSException("EmptyId", EmbedPSErrorKind.InvalidData,
                    $"{source}, row {r + 1}, column '{names[id]}': the id is empty.") { Row = r + 1, Column = names[id] };
                if (!seen.TryAdd(text[r], r)) throw new EmbedPSException("DuplicateId", EmbedPSErrorKind.InvalidData,
                    $"{source}, row {r + 1}, column '{names[id]}': id '{text[r]}' already appeared on row {seen[text[r]] + 1}.") { Row = r + 1, Column = names[id], Value = text[r] };
            }
            entities = EntityIds.FromTextPreferIntegers(text);
        }
        else
        {
            entities = EntityIds.FromIntegers(Enumerable.Range(1, rows).Select(r => (long)r).ToArray());
        }
        return new FeatureTable(entities, data, d, features.Select(c => names[c]).ToArray());
    }

    private static bool IsNumericColumn(Array column)
    {
        if (column.Length == 0) return false;
        var type = column.GetType().GetElementType()!;
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(float) || type == typeof(double) || type == typeof(int) || type == typeof(long) || type == typeof(short)
            || type == typeof(byte) || type == typeof(sbyte) || type == typeof(uint) || type == typeof(ulong) || type == typeof(ushort) || type == typeof(decimal))
        {
            for (int r = 0; r < column.Length; r++) if (column.GetValue(r) is null) return false;
            return true;
        }
        for (int r = 0; r < column.Length; r++) if (!TryNumber(column.GetValue(r), out _)) return false;
        return true;
    }

    public static bool TryNumber(object? value, out double x)
    {
        switch (value)
        {
            case null: x = 0; return false;
            case double v: x = v; return true;
            case float v: x = v; return true;
            case int v: x = v; return true;
            case long v: x = v; return true;
            case short v: x = v; return true;
            case byte v: x = v; return true;
            case sbyte v: x = v; return true;
            case uint v: x = v; return true;
            case ulong v: x = v; return true;
            case ushort v: x = v; return true;
            case decimal v: x = (double)v; return true;
            case bool: x = 0; return false;
            case string s: return double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out x);
            default: x = 0; return false;
        }
    }
}
