using EmbedPS.Core.Common;

namespace EmbedPS.Core.Preview;

/// <summary>How the points of one figure look: colour, radius, draw order, opacity and label text, per entity.</summary>
internal sealed class PointStyle
{
    /// <summary>Metadata columns used for colour when -ColorProperty is not given, in this order of preference.</summary>
    public static readonly string[] DefaultColourColumns = { "group", "label", "category", "class", "cluster", "genre" };

    public required PointColouring Colouring { get; init; }
    public required float[] Radii { get; init; }
    public required int[] Order { get; init; }
    public required float Alpha { get; init; }
    public required string?[] LabelTexts { get; init; }

    public string Describe() =>
        Colouring.Legend.Count > 0 ? $" · colour: {Colouring.Title}" :
        Colouring.Scale is not null ? $" · colour: {Colouring.Title}" : "";

    /// <param name="ids">The stage's entities.</param>
    /// <param name="popularity">Collections each entity appears in (sizes the points).</param>
    /// <param name="extra">Built-in numeric columns of the stage object (x, y, dim1 …), usable as -ColorProperty.</param>
    /// <param name="options">Colour, label and size settings, with the joined metadata.</param>
    /// <param name="theme">Light or dark colours.</param>
    /// <param name="areaPx">The plot area the points share, in pixels at 96 DPI (sets the base size and the opacity).</param>
    /// <param name="log">Receives the choices made (verbose).</param>
    public static PointStyle Create(EntityIds ids, int[] popularity, IReadOnlyDictionary<string, Func<double[]>> extra, PreviewOptions options,
        PreviewTheme theme, double areaPx, IStageLog log)
    {
        int n = ids.Count;
        var colouring = Colour(ids, popularity, extra, options, theme, log);
        float baseRadius = options.PointSize ?? PopularitySizing.BaseRadius(n, areaPx);
        var radii = options.SizeByPopularity ? PopularitySizing.Radii(popularity, n, baseRadius) : Enumerable.Repeat(baseRadius, n).ToArray();
        float alpha = PopularitySizing.Alpha(radii, areaPx);
        log.Verbose($"Points: {n:N0}, radius {baseRadius:G3}–{(n == 0 ? baseRadius : radii.Max()):G3} px, opacity {alpha:G2}.");
        return new PointStyle
        {
            Colouring = colouring,
            Radii = radii,
            Order = PopularitySizing.DrawOrder(radii),
            Alpha = alpha,
            LabelTexts = options.LabelTop > 0 ? ResolveLabelTexts(ids, options) : Array.Empty<string?>(),
        };
    }

    private static PointColouring Colour(EntityIds ids, int[] popularity, IReadOnlyDictionary<string, Func<double[]>> extra, PreviewOptions options, PreviewTheme theme, IStageLog log)
    {
        var attributes = options.Attributes;
        string? property = options.ColorProperty;
        if (property is null && attributes is not null)
        {
            property = DefaultColourColumns.Select(attributes.ColumnName).FirstOrDefault(c => c is not null);
            if (property is not null) log.Verbose($"Colouring by the metadata column '{property}' (use -ColorProperty to choose another).");
        }
        if (property is null) return PointColouring.Single(ids.Count, theme);
        if (attributes?.Column(property) is { } column)
            return PointColouring.FromText(column, options.ColorMode, theme, attributes.ColumnName(property), options.MaxCategories);
        if (string.Equals(property, "popularity", StringComparison.OrdinalIgnoreCase))
        {
            if (options.ColorMode == PreviewColorMode.Categorical)
                return PointColouring.Categorical(popularity.Select(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray(), theme, "popularity", options.MaxCategories);
            return PointColouring.Continuous(popularity.Select(p => (double)p).ToArray(), theme, "popularity");
        }
        if (string.Equals(property, "entity", StringComparison.OrdinalIgnoreCase) || string.Equals(property, "id", StringComparison.OrdinalIgnoreCase))
            return PointColouring.FromText(Enumerable.Range(0, ids.Count).Select(ids.GetText).ToArray(), options.ColorMode, theme, "entity", options.MaxCategories, textMustBeCategory: false);
        if (extra.TryGetValue(property, out var column0))
        {
            var values = column0();
            if (options.ColorMode == PreviewColorMode.Categorical)
                return PointColouring.Categorical(values.Select(v => v.ToString("G4", System.Globalization.CultureInfo.InvariantCulture)).ToArray(), theme, property, options.MaxCategories);
            return PointColouring.Continuous(values, theme, property, logScale: false);
        }
        var available = new List<string>();
        if (attributes is not null) available.AddRange(attributes.ColumnNames);
        available.Add("popularity");
        available.Add("entity");
        available.AddRange(extra.Keys);
        throw new EmbedPSException("ColorPropertyNotFound", EmbedPSErrorKind.InvalidArgument,
            $"There is no property '{property}' to colour by. Available: {string.Join(", ", available.Distinct(StringComparer.OrdinalIgnoreCase))}"
            + (attributes is null ? ". Join metadata with -Metadata <csv> to colour by its columns." : "."))
        { Column = property };
    }

    private static string?[] ResolveLabelTexts(EntityIds ids, PreviewOptions options)
    {
        var attributes = options.Attributes;
        string? property = options.LabelProperty ?? (attributes?.ColumnName("name") is not null ? "name" : null);
        if (property is null || string.Equals(property, "entity", StringComparison.OrdinalIgnoreCase) || string.Equals(property, "id", StringComparison.OrdinalIgnoreCase))
            return Enumerable.Range(0, ids.Count).Select(ids.GetText).ToArray();
        if (attributes?.Column(property) is { } column) return column;
        throw new EmbedPSException("LabelPropertyNotFound", EmbedPSErrorKind.InvalidArgument,
            $"There is no property '{property}' to label with. Available: entity" + (attributes is null ? " (join metadata with -Metadata <csv>)" : ", " + string.Join(", ", attributes.ColumnNames)) + ".")
        { Column = property };
    }
}
