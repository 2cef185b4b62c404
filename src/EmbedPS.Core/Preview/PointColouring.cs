using System.Globalization;
using ScottPlot;

namespace EmbedPS.Core.Preview;

public enum PreviewColorMode { Auto, Categorical, Continuous }

/// <summary>One legend row: a category, its colour and how many points carry it.</summary>
public sealed record LegendEntry(string Label, Color Color, int Count);

/// <summary>
/// Colours of the points: one colour each, plus what explains them (legend rows for categories, or a colormap range for
/// continuous values).
/// </summary>
public sealed class PointColouring
{
    private PointColouring(Color[] colors, string? title) { Colors = colors; Title = title; }

    /// <summary>One colour per point (straight alpha = 1).</summary>
    public Color[] Colors { get; }
    /// <summary>What the colour shows (the property name), for the legend or colorbar title.</summary>
    public string? Title { get; }
    /// <summary>Legend rows, most frequent first ("other" and "missing" last); empty for continuous or single colour.</summary>
    public IReadOnlyList<LegendEntry> Legend { get; private init; } = Array.Empty<LegendEntry>();
    /// <summary>Set for continuous colouring: the colormap and the value range it spans.</summary>
    public ContinuousScale? Scale { get; private init; }

    /// <summary>At most this many legend rows; categories beyond it are merged into one grey "other" row.</summary>
    public const int DefaultMaxCategories = 20;

    public static PointColouring Single(int count, PreviewTheme theme)
    {
        var colors = new Color[count];
        Array.Fill(colors, theme.SingleColour);
        return new PointColouring(colors, null);
    }

    /// <summary>
    /// Categorical colours: categories sorted by frequency (ties by name), the first <paramref name="maxCategories"/> − 1
    /// get palette colours and the rest share a grey "other" row when there are more than <paramref name="maxCategories"/>;
    /// null or empty labels form a "(missing)" row.
    /// </summary>
    public static PointColouring Categorical(IReadOnlyList<string?> labels, PreviewTheme theme, string? title, int maxCategories = DefaultMaxCategories)
    {
        if (maxCategories < 2) throw new ArgumentOutOfRangeException(nameof(maxCategories));
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        int missing = 0;
        foreach (var label in labels)
        {
            if (string.IsNullOrEmpty(label)) { missing++; continue; }
            counts[label] = counts.GetValueOrDefault(label) + 1;
        }
        var ordered = counts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        int named = ordered.Count <= maxCategories ? ordered.Count : maxCategories - 1;
        var palette = CategoricalPalette.For(theme.Kind);
        var colourOf = new Dictionary<string, Color>(StringComparer.Ordinal);
        var legend = new List<LegendEntry>();
        for (int k = 0; k < named; k++)
        {
            var colour = palette[k % palette.Length];
            colourOf[ordered[k].Key] = colour;
            legend.Add(new LegendEntry(ordered[k].Key, colour, ordered[k].Value));
        }
        if (named < ordered.Count)
        {
            int otherCount = 0;
            for (int k = named; k < ordered.Count; k++) otherCount += ordered[k].Value;
            legend.Add(new LegendEntry($"other ({ordered.Count - named:N0} more)", theme.OtherColour, otherCount));
        }
        var missingColour = theme.OtherColour.WithAlpha(0.55);
        if (missing > 0) legend.Add(new LegendEntry("(missing)", missingColour, missing));
        var colors = new Color[labels.Count];
        for (int i = 0; i < colors.Length; i++)
        {
            var label = labels[i];
            colors[i] = string.IsNullOrEmpty(label) ? missingColour : colourOf.TryGetValue(label, out var c) ? c : theme.OtherColour;
        }
        return new PointColouring(colors, title) { Legend = legend };
    }

    /// <summary>
    /// Continuous colours from a colormap over the 1st–99th percentile of the finite values (so one outlier cannot wash out
    /// the rest; values beyond are clamped). <paramref name="logScale"/> null picks a log scale when every value is positive
    /// and the values are heavy-tailed (popularity, counts). NaN values are drawn grey.
    /// </summary>
    public static PointColouring Continuous(IReadOnlyList<double> values, PreviewTheme theme, string? title, bool? logScale = null)
    {
        var finite = new List<double>(values.Count);
        foreach (var v in values) if (double.IsFinite(v)) finite.Add(v);
        if (finite.Count == 0) throw new ArgumentException($"The colour property '{title}' has no numeric values.");
        finite.Sort();
        double p1 = Quantile(finite, 0.01), p99 = Quantile(finite, 0.99);
        double median = Quantile(finite, 0.5);
        // Heavy-tailed positive values (popularity, counts): most points would share the colormap's first tenth on a linear
        // scale, so a log scale is picked when the median sits in the lowest 15 % of the 1st–99th percentile range.
        bool log = logScale ?? (finite[0] > 0 && p99 > 5 * p1 && (median - p1) < 0.15 * (p99 - p1));
        if (log && finite[0] <= 0) log = false;
        Func<double, double> transform = log ? Math.Log10 : v => v;
        double lo = transform(p1), hi = transform(p99);
        if (!(hi > lo)) { lo = transform(finite[0]); hi = transform(finite[^1]); }
        if (!(hi > lo)) { hi = lo + 1; }
        var colormap = ContinuousScale.ColormapFor(theme.Kind);
        var colors = new Color[values.Count];
        var missing = theme.OtherColour.WithAlpha(0.55);
        for (int i = 0; i < colors.Length; i++)
        {
            double v = values[i];
            colors[i] = double.IsFinite(v) && !(log && v <= 0)
                ? colormap.GetColor(Math.Clamp((transform(v) - lo) / (hi - lo), 0, 1))
                : missing;
        }
        var label = log ? $"log10({title})" : title;
        return new PointColouring(colors, title) { Scale = new ContinuousScale(colormap, lo, hi, label ?? "", log) };
    }

    /// <summary>
    /// Categorical or continuous from text values: with <see cref="PreviewColorMode.Auto"/>, a column whose non-empty values
    /// all parse as numbers and take more than <paramref name="maxCategories"/> distinct values is continuous, anything else
    /// categorical.
    /// </summary>
    public static PointColouring FromText(IReadOnlyList<string?> values, PreviewColorMode mode, PreviewTheme theme, string? title, int maxCategories = DefaultMaxCategories, bool textMustBeCategory = true)
    {
        double[]? numbers = null;
        if (mode != PreviewColorMode.Categorical)
        {
            numbers = new double[values.Count];
            var distinct = new HashSet<double>();
            bool allNumeric = true;
            for (int i = 0; i < values.Count; i++)
            {
                var text = values[i];
                if (string.IsNullOrWhiteSpace(text)) { numbers[i] = double.NaN; continue; }
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out numbers[i]) || !double.IsFinite(numbers[i]))
                {
                    if (mode == PreviewColorMode.Continuous)
                        throw new Common.EmbedPSException("ColorValueNotNumeric", Common.EmbedPSErrorKind.InvalidData,
                            $"The colour property '{title}' is not numeric: value '{text}' (point {i + 1}). Use -ColorMode Categorical or another property.") { Column = title, Value = text };
                    allNumeric = false;
                    break;
                }
                if (distinct.Count <= maxCategories) distinct.Add(numbers[i]);
            }
            if (mode == PreviewColorMode.Auto && (!allNumeric || distinct.Count <= maxCategories)) numbers = null;
            if (mode == PreviewColorMode.Auto && !allNumeric && textMustBeCategory)
            {
                // Text colours only when it is a category by the atlas's rule (one rule for both; -ColorMode Categorical forces it).
                var texts = new HashSet<string>(StringComparer.Ordinal);
                int present = 0;
                foreach (var text in values)
                {
                    if (string.IsNullOrWhiteSpace(text)) continue;
                    present++;
                    if (texts.Count <= CategoryRule.MaxCategories) texts.Add(text.Trim());
                }
                if (!CategoryRule.IsCategory(texts.Count, present))
                    throw new Common.EmbedPSException("ColorPropertyWrongKind", Common.EmbedPSErrorKind.InvalidArgument,
                        $"The colour property '{title}' is {CategoryRule.DescribeText(texts.Count, present)}; colour needs a category or number column " +
                        "(Export-EmbeddingAtlas applies the same rule). Use -ColorMode Categorical to colour by it anyway (the most frequent values get colours, the rest 'other').")
                    { Column = title };
            }
        }
        return numbers is not null ? Continuous(numbers, theme, title) : Categorical(values, theme, title, maxCategories);
    }

    private static double Quantile(List<double> sorted, double q)
    {
        double position = q * (sorted.Count - 1);
        int lo = (int)Math.Floor(position);
        int hi = Math.Min(lo + 1, sorted.Count - 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (position - lo);
    }
}

/// <summary>A colormap over a value range, shown as a colorbar.</summary>
public sealed class ContinuousScale : IHasColorAxis
{
    public ContinuousScale(IColormap colormap, double min, double max, string label, bool isLog)
    {
        Colormap = colormap; Min = min; Max = max; Label = label; IsLog = isLog;
    }

    public IColormap Colormap { get; set; }
    public double Min { get; }
    public double Max { get; }
    public string Label { get; }
    public bool IsLog { get; }
    public ScottPlot.Range GetRange() => new(Min, Max);

    /// <summary>Viridis (perceptually uniform, colour-blind safe); on dark backgrounds its darkest eighth is skipped.</summary>
    public static IColormap ColormapFor(PreviewThemeKind theme) =>
        theme == PreviewThemeKind.Dark ? new TruncatedColormap(new ScottPlot.Colormaps.Viridis(), 0.12, 1.0) : new ScottPlot.Colormaps.Viridis();

    private sealed class TruncatedColormap(IColormap inner, double from, double to) : IColormap
    {
        public string Name => inner.Name;
        public Color GetColor(double position) => inner.GetColor(from + (to - from) * Math.Clamp(position, 0, 1));
    }
}

/// <summary>
/// Twenty categorical colours that stay distinguishable on light and dark backgrounds: Tableau 10 (without its grey, which
/// is kept for "other") followed by eleven further hues of clearly different lightness or hue.
/// </summary>
public static class CategoricalPalette
{
    private static readonly string[] s_common =
    {
        "#4E79A7", "#F28E2B", "#E15759", "#76B7B2", "#59A14F", "#EDC948", "#B07AA1", "#FF9DA7", "#9C755F",
        "#17BECF", "#BCBD22", "#D62798", "#8C564B", "#7F3C8D", "#1B9E77", "#E6AB02", "#A6CEE3", "#FB9A99", "#B2DF8A", "#CAB2D6",
    };

    private static readonly Color[] s_light = s_common.Select(Color.FromHex).ToArray();
    // On dark backgrounds the darkest entries are swapped for lighter hues of the same family.
    private static readonly Color[] s_dark = s_common.Select(h => h switch
    {
        "#7F3C8D" => "#C48BE0",
        "#8C564B" => "#D2A17A",
        "#4E79A7" => "#6FA0DC",
        _ => h,
    }).Select(Color.FromHex).ToArray();

    public static Color[] For(PreviewThemeKind theme) => theme == PreviewThemeKind.Dark ? s_dark : s_light;
}

/// <summary>
/// Point radius from popularity on a partial log scale, after the osu! Beatmap Atlas (r = 12 + 9·ln n + 0.0016·n, clamped):
/// r = a + b·ln(n) + c·n, clamped to [rMin, rMax]. The constants are normalised to the data's largest popularity N so the
/// same rule fits popularity ranges from 1…10 to 1…10⁶: b = 0.75·(rMax − rMin)/ln N, c = 0.25·(rMax − rMin)/(N − 1) and
/// a = rMin − c, so that r(1) = rMin and r(N) = rMax exactly.
/// The log term spreads the long tail; the small linear term singles out the very head. rMin comes from the point density
/// (about a third of the spacing of a uniform grid of the same number of points), rMax = 3·rMin.
/// </summary>
public static class PopularitySizing
{
    public const double LogShare = 0.75;
    public const double LinearShare = 0.25;
    public const float SizeRange = 3f;

    /// <summary>The smallest radius (pixels at 96 DPI) for <paramref name="pointCount"/> points on <paramref name="areaPx"/> pixels.</summary>
    public static float BaseRadius(int pointCount, double areaPx) =>
        (float)Math.Clamp(0.33 * Math.Sqrt(areaPx / Math.Max(1, pointCount)), 0.6, 3.5);

    public static float[] Radii(IReadOnlyList<int>? popularity, int pointCount, float baseRadius)
    {
        var radii = new float[pointCount];
        int max = 0;
        if (popularity is not null) for (int i = 0; i < pointCount; i++) max = Math.Max(max, popularity[i]);
        if (popularity is null || max <= 1)
        {
            Array.Fill(radii, baseRadius);
            return radii;
        }
        double rMin = baseRadius, rMax = baseRadius * SizeRange;
        double b = LogShare * (rMax - rMin) / Math.Log(max), c = LinearShare * (rMax - rMin) / (max - 1);
        for (int i = 0; i < pointCount; i++)
        {
            double n = Math.Max(1, popularity[i]);
            radii[i] = (float)Math.Clamp(rMin + b * Math.Log(n) + c * (n - 1), rMin, rMax);
        }
        return radii;
    }

    /// <summary>
    /// Opacity for dense maps: 1 / coverage, where coverage is the summed disc area over the plot area, clamped to
    /// [0.15, 0.9]. Few points stay nearly opaque; a million overlapping points become translucent so density shows.
    /// </summary>
    public static float Alpha(ReadOnlySpan<float> radii, double areaPx)
    {
        double covered = 0;
        foreach (var r in radii) covered += Math.PI * r * r;
        double coverage = covered / Math.Max(1, areaPx);
        return (float)Math.Clamp(1.0 / Math.Max(coverage, 1e-9), 0.15, 0.9);
    }

    /// <summary>
    /// Draw order: biggest first so small points stay visible; points of (nearly) equal size in a fixed pseudo-random
    /// order so that no category is always on top. Radii are bucketed to 1/32 pixel and the buckets visited from the
    /// largest; inside a bucket points follow a seeded permutation (a counting sort: linear time, no comparison sort).
    /// </summary>
    public static int[] DrawOrder(ReadOnlySpan<float> radii)
    {
        int n = radii.Length;
        const int levels = 4096;
        var level = new int[n];
        var counts = new int[levels + 1];
        for (int i = 0; i < n; i++)
        {
            // Descending: the largest radius gets level 0.
            int l = levels - 1 - (int)Math.Clamp(radii[i] * 32f, 0f, levels - 1);
            level[i] = l;
            counts[l + 1]++;
        }
        for (int l = 0; l < levels; l++) counts[l + 1] += counts[l];
        var order = new int[n];
        foreach (int i in Permutation(n)) order[counts[level[i]]++] = i;
        return order;
    }

    /// <summary>A fixed pseudo-random permutation of 0 … n−1 (Fisher–Yates with a seeded generator).</summary>
    private static int[] Permutation(int n)
    {
        var permutation = new int[n];
        for (int i = 0; i < n; i++) permutation[i] = i;
        var random = new Common.DeterministicRandom(0x5EED, n);
        for (int i = n - 1; i > 0; i--)
        {
            int j = random.NextInt(i + 1);
            (permutation[i], permutation[j]) = (permutation[j], permutation[i]);
        }
        return permutation;
    }

}
