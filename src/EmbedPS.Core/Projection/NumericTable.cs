using System.Globalization;
using EmbedPS.Core.Common;
using EmbedPS.Core.Mde;

namespace EmbedPS.Core.Projection;

/// <summary>Reads a numeric table (CSV: an id column named 'entity', else the first column, and numeric columns) as an Embedding.</summary>
public static class NumericTable
{
    public static Embedding ReadCsv(string path)
    {
        if (!File.Exists(path)) throw new EmbedPSException("TableNotFound", EmbedPSErrorKind.ObjectNotFound, $"Table '{path}' does not exist.") { File = path };
        using var reader = new StreamReader(path);
        var header = reader.ReadLine()?.Split(',').Select(h => h.Trim().Trim('"')).ToArray();
        if (header is null || header.Length < 2)
            throw new EmbedPSException("TableHeader", EmbedPSErrorKind.InvalidData, $"Table '{path}': expected a header with an id column and at least one numeric column.") { File = path, Row = 1 };
        int idColumn = Array.FindIndex(header, h => string.Equals(h, "entity", StringComparison.OrdinalIgnoreCase));
        if (idColumn < 0) idColumn = 0;
        var valueColumns = Enumerable.Range(0, header.Length).Where(c => c != idColumn).ToArray();
        var ids = new List<string>();
        var values = new List<float>();
        long row = 1;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            row++;
            if (line.Length == 0) continue;
            var fields = line.Split(',');
            if (fields.Length != header.Length)
                throw new EmbedPSException("TableShortRow", EmbedPSErrorKind.InvalidData, $"Table '{path}', row {row}: expected {header.Length} fields, found {fields.Length}.") { File = path, Row = row };
            ids.Add(fields[idColumn].Trim().Trim('"'));
            foreach (var c in valueColumns)
            {
                var text = fields[c].Trim();
                if (!float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !float.IsFinite(v))
                    throw new EmbedPSException("TableNotNumeric", EmbedPSErrorKind.InvalidData,
                        $"Table '{path}', row {row}, column '{header[c]}': '{text}' is not a finite number.") { File = path, Row = row, Column = header[c], Value = text };
                values.Add(v);
            }
        }
        var entities = EntityIds.FromTextPreferIntegers(ids.ToArray());
        return new Embedding(entities, new int[ids.Count], valueColumns.Length, values.ToArray(),
            new Artifacts.Provenance { Inputs = { Artifacts.ArtifactInput.FromFile(path, "table") } });
    }
}
