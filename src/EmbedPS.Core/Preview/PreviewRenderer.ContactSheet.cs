using System.Globalization;
using EmbedPS.Core.Common;
using EmbedPS.Core.Projection;
using EmbedPS.Core.Quality;
using ScottPlot;
using ProjectionStage = EmbedPS.Core.Projection.Projection;

namespace EmbedPS.Core.Preview;

/// <summary>One panel of a contact sheet: its caption (the settings) and its scores line.</summary>
public sealed record ContactSheetPanel(string Caption, string Scores);

public static partial class PreviewRenderer
{
    /// <summary>Default width of a contact sheet: 8 panels stay readable on a 1920-pixel-wide image (4 × 2).</summary>
    public const int ContactSheetWidth = 1920;

    /// <summary>
    /// The grid of a contact sheet of <paramref name="panels"/> panels on a <paramref name="width"/>-pixel-wide image (a key
    /// strip on the right when <paramref name="withKey"/>): ⌈√n⌉ columns, or one more when that leaves fewer empty cells (8
    /// panels: 4 × 2, 9: 3 × 3), and, unless <paramref name="height"/> is given, the height that makes the panels square with
    /// room for their two caption lines.
    /// </summary>
    public static (int Columns, int Rows, int Height) ContactSheetGrid(int panels, int width, bool withKey, int? height = null)
    {
        panels = Math.Max(1, panels);
        int columns = (int)Math.Ceiling(Math.Sqrt(panels));
        int Empty(int c) => (panels + c - 1) / c * c - panels;
        if (columns + 1 <= panels && Empty(columns + 1) < Empty(columns)) columns++;
        int rows = (panels + columns - 1) / columns;
        float usable = width * (withKey ? 1 - ContactSheetKeyWidth : 1);
        int computed = height ?? (int)Math.Ceiling(56 + rows * (usable / columns + 44));
        return (columns, rows, Math.Clamp(computed, 150, 20_000));
    }

    /// <summary>The metadata column that colours points when no -ColorProperty is given (group, label, category…), or null.</summary>
    public static string? DefaultColourColumn(EntityAttributes attributes) =>
        PointStyle.DefaultColourColumns.Select(attributes.ColumnName).FirstOrDefault(c => c is not null);

    private const float ContactSheetKeyWidth = 0.14f;

    /// <summary>
    /// The scores line of a panel: recall@10 (ConvertTo-Projection's, or measured), trustworthiness and continuity against the
    /// projection's own upstream embedding when it is known (<see cref="QualityReference.Upstream"/>), and the 10-NN accuracy
    /// of <paramref name="labels"/> (the colour column, when categorical).
    /// </summary>
    public static ContactSheetPanel DescribePanel(ProjectionStage projection, IReadOnlyDictionary<string, string>? labels, Func<string, object> read,
        IStageLog log, CancellationToken cancellation)
    {
        var parts = new List<string>();
        var reference = QualityReference.Upstream(projection, read, log);
        if (reference is not null && projection.EntityCount > 12)
        {
            var report = EmbeddingQuality.Measure(projection, reference, 10, labels, null, EmbeddingQuality.DefaultRankQueries, log, cancellation);
            if (report.NeighborRecall is { } recall) parts.Add($"recall@10 {recall.ToString("F3", CultureInfo.InvariantCulture)}");
            if (report.Trustworthiness is { } trust) parts.Add($"trust {trust.ToString("F3", CultureInfo.InvariantCulture)}");
            if (report.Continuity is { } continuity) parts.Add($"cont {continuity.ToString("F3", CultureInfo.InvariantCulture)}");
            if (report.LabelAccuracy is { } accuracy) parts.Add($"acc {accuracy.ToString("F3", CultureInfo.InvariantCulture)}");
        }
        else
        {
            if (projection.Quality.TryGetValue("recall@10", out var recall)) parts.Add($"recall@10 {recall.ToString("F3", CultureInfo.InvariantCulture)}");
            if (labels is not null && projection.EntityCount > 11)
            {
                var (accuracy, _) = EmbeddingQuality.LabelAccuracy(PointSet.From(projection), labels, 10, cancellation);
                if (accuracy is { } a) parts.Add($"acc {a.ToString("F3", CultureInfo.InvariantCulture)}");
            }
        }
        return new ContactSheetPanel(SweepLabels.Caption(projection), string.Join(" · ", parts));
    }

    /// <summary>
    /// Every projection in one PNG grid: the same colours and point sizes in every panel (one key for all), each panel
    /// captioned with its settings and its scores. The projections must place the same entities in the same order (a sweep's do).
    /// </summary>
    public static byte[] RenderContactSheet(IReadOnlyList<ProjectionStage> projections, IReadOnlyList<ContactSheetPanel> panels, PreviewOptions options,
        IStageLog log, CancellationToken cancellation = default)
    {
        if (projections.Count == 0) throw new EmbedPSException("ContactSheetEmpty", EmbedPSErrorKind.InvalidArgument, "A contact sheet needs at least one Projection.");
        options.Validate();
        PreviewFonts.EnsureRegistered();
        var theme = PreviewTheme.For(options.Theme);
        var first = projections[0];
        for (int i = 1; i < projections.Count; i++)
        {
            if (!projections[i].Entities.SequenceEqual(first.Entities))
                throw new EmbedPSException("ContactSheetEntities", EmbedPSErrorKind.InvalidArgument,
                    $"Projection {i + 1} ({SweepLabels.Caption(projections[i])}) does not place the same entities in the same order as the first ({first.EntityCount:N0} entities); " +
                    "a contact sheet compares layouts of one set of entities, such as the results of one sweep.");
        }
        var extra = new Dictionary<string, Func<double[]>>(StringComparer.OrdinalIgnoreCase) { ["x"] = () => ToDouble(first.X), ["y"] = () => ToDouble(first.Y) };
        // One style for every panel, so a colour or a size means the same in each.
        var probe = PointStyle.Create(first.Entities, first.Popularity, extra, options, theme, 1e5, StageLog.Null);
        bool withKey = probe.Colouring.Legend.Count > 0 || probe.Colouring.Scale is not null;
        var (columns, rows, _) = ContactSheetGrid(projections.Count, options.Width, withKey, options.Height);
        float usable = withKey ? 1 - ContactSheetKeyWidth : 1;
        double panelArea = Math.Pow(Math.Min(options.Width * usable / columns, (options.Height - 56.0) / rows), 2) * 0.75;
        var style = PointStyle.Create(first.Entities, first.Popularity, extra, options, theme, panelArea, log);
        var figure = new Figure
        {
            Title = TitleOr(options, $"{projections.Count} projections of {first.EntityCount:N0} entities"),
            Subtitle = "Each panel: its settings, then recall@10, trustworthiness and continuity against its embedding, 10-NN accuracy of the colour" + style.Describe(),
        };
        for (int p = 0; p < projections.Count; p++)
        {
            cancellation.ThrowIfCancellationRequested();
            var projection = projections[p];
            var panel = p < panels.Count ? panels[p] : new ContactSheetPanel(SweepLabels.Caption(projection), "");
            var title = panel.Scores.Length > 0 ? panel.Caption + "\n" + panel.Scores : panel.Caption;
            var plot = ScatterPlot(projection.X, projection.Y, projection.Entities, projection.Popularity, style, options with { LabelTop = 0 }, theme, title, "", "", false, cancellation);
            plot.Axes.Title.Label.FontSize = 15;
            plot.Axes.Bottom.TickLabelStyle.IsVisible = false;
            plot.Axes.Left.TickLabelStyle.IsVisible = false;
            figure.Panels.Add((plot, usable * (p % columns) / columns, (float)(p / columns) / rows, usable / columns, 1f / rows));
        }
        if (withKey)
        {
            if (style.Colouring.Scale is not null) figure.Panels.Add((KeyPlot(style, theme), usable, 0.12f, ContactSheetKeyWidth * 0.7f, 0.7f));
            else figure.Panels.Add((KeyPlot(style, theme), usable, 0, ContactSheetKeyWidth, 1));
        }
        log.Verbose($"Contact sheet: {projections.Count} panels in {columns} × {rows}, {options.Width} × {options.Height} px.");
        return Compose(figure, options, theme, cancellation);
    }
}
