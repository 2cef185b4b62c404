using System.Globalization;

namespace EmbedPS.Core.Atlas;

public enum AtlasFieldKind { Category, Number, Text }

/// <summary>
/// One metadata column as the viewer receives it: categories as dictionary codes (most frequent first), numbers as
/// float64 (NaN = missing), anything else as text. The kind is inferred from the values: every present value a number
/// → Number (unless listed as a category); few distinct values → Category; otherwise Text (names, descriptions, URLs).
/// </summary>
public sealed class AtlasField
{
    public const string MissingCategory = "(missing)";
    /// <summary>Most categories a column may have and still colour and filter the map.</summary>
    public const int MaxCategories = Preview.CategoryRule.MaxCategories;

    private AtlasField(string name, AtlasFieldKind kind) { Name = name; Kind = kind; }

    public string Name { get; }
    public AtlasFieldKind Kind { get; }
    public string?[]? Text { get; private init; }
    public double[]? Numbers { get; private init; }
    public int[]? Codes { get; private init; }
    public string[] Categories { get; private init; } = Array.Empty<string>();
    public int[] CategoryCounts { get; private init; } = Array.Empty<int>();
    /// <summary>The code of <see cref="MissingCategory"/>, or -1 when every row has a value.</summary>
    public int MissingCode { get; private init; } = -1;
    public double Min { get; private init; }
    public double Max { get; private init; }
    /// <summary>Positive values spanning more than two decades: the colour scale and range slider use a log scale.</summary>
    public bool LogScale { get; private init; }
    public int MissingCount { get; private init; }

    public static AtlasField FromNumbers(string name, double[] values)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        int missing = 0;
        foreach (var v in values)
        {
            if (double.IsNaN(v)) { missing++; continue; }
            if (v < min) min = v;
            if (v > max) max = v;
        }
        if (missing == values.Length) { min = 0; max = 0; }
        return new AtlasField(name, AtlasFieldKind.Number)
        {
            Numbers = values,
            Min = min,
            Max = max,
            MissingCount = missing,
            LogScale = min > 0 && max / min > 100,
        };
    }

    /// <summary>The one rule by which a text column is a category; see <see cref="Preview.CategoryRule"/>.</summary>
    public static bool IsCategory(int distinct, int present) => Preview.CategoryRule.IsCategory(distinct, present);

    public static string DescribeText(int distinct, int present) => Preview.CategoryRule.DescribeText(distinct, present);

    /// <summary>Infers the kind of a text column; <paramref name="forceCategory"/> keeps numbers as categories.</summary>
    public static AtlasField Infer(string name, string?[] values, bool forceCategory)
    {
        int present = 0;
        bool numeric = true;
        var numbers = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            var text = values[i];
            if (string.IsNullOrWhiteSpace(text)) { numbers[i] = double.NaN; continue; }
            present++;
            if (numeric && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)) numbers[i] = v;
            else numeric = false;
        }
        if (numeric && present > 0 && !forceCategory) return FromNumbers(name, numbers);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        int missing = 0;
        foreach (var text in values)
        {
            if (string.IsNullOrWhiteSpace(text)) { missing++; continue; }
            var key = text.Trim();
            counts[key] = counts.GetValueOrDefault(key) + 1;
            if (counts.Count > MaxCategories && !forceCategory) break;
        }
        bool isCategory = forceCategory || IsCategory(counts.Count, present);
        if (!isCategory) return new AtlasField(name, AtlasFieldKind.Text) { Text = values, MissingCount = values.Length - present };
        // Most frequent first (ties in ordinal order), so palette colours and legend order follow importance.
        var categories = counts.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key).ToList();
        var categoryCounts = categories.Select(c => counts[c]).ToList();
        int missingCode = -1;
        if (missing > 0)
        {
            missingCode = categories.Count;
            categories.Add(MissingCategory);
            categoryCounts.Add(missing);
        }
        var codeOf = new Dictionary<string, int>(categories.Count, StringComparer.Ordinal);
        for (int c = 0; c < categories.Count; c++) if (c != missingCode) codeOf[categories[c]] = c;
        var codes = new int[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            var text = values[i];
            codes[i] = string.IsNullOrWhiteSpace(text) ? missingCode : codeOf[text.Trim()];
        }
        return new AtlasField(name, AtlasFieldKind.Category)
        {
            Codes = codes,
            Categories = categories.ToArray(),
            CategoryCounts = categoryCounts.ToArray(),
            MissingCode = missingCode,
            MissingCount = missing,
        };
    }

    /// <summary>The value of a row as display text ("" when missing).</summary>
    public string TextAt(int row) => Kind switch
    {
        AtlasFieldKind.Text => Text![row] ?? "",
        AtlasFieldKind.Number => double.IsNaN(Numbers![row]) ? "" : Numbers[row].ToString("R", CultureInfo.InvariantCulture),
        _ => Codes![row] == MissingCode ? "" : Categories[Codes[row]],
    };

    /// <summary>Bytes per category code in the data file: 1, 2 or 4.</summary>
    public int CodeWidth => Categories.Length <= 256 ? 1 : Categories.Length <= 65_536 ? 2 : 4;
}
