using System.Globalization;
using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Collections;
using EmbedPS.Core.Common;
using EmbedPS.Core.Cooccurrence;
using EmbedPS.Core.Mde;
using EmbedPS.Core.NeighborPreservation;
using ScottPlot;
using SkiaSharp;
using ProjectionStage = EmbedPS.Core.Projection.Projection;

namespace EmbedPS.Core.Preview;

/// <summary>
/// Draws a PNG preview of any stage object: a scatter for a Projection or an Embedding (principal components, or every
/// pair of axes), the distortion curve of an Embedding, degree/weight distributions for a CooccurrenceMatrix or a
/// NeighborGraph, size/popularity distributions for an EntityCollectionSet.
/// </summary>
public static partial class PreviewRenderer
{
    private const float HeaderTitleSize = 20f, HeaderSubtitleSize = 13f;

    /// <summary>Renders the preview and writes it atomically (temporary file beside the target, then rename).</summary>
    public static void WritePng(string path, object stage, PreviewOptions options, IStageLog log, CancellationToken cancellation = default)
    {
        var png = RenderPng(stage, options, log, cancellation);
        AtomicFile.Write(path, stream => stream.Write(png), cancellation);
    }

    public static byte[] RenderPng(object stage, PreviewOptions options, IStageLog log, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(stage);
        options.Validate();
        cancellation.ThrowIfCancellationRequested();
        PreviewFonts.EnsureRegistered();
        if (!PreviewFonts.BundledFontAvailable)
            log.Warning($"The bundled preview font could not be loaded ({PreviewFonts.LoadError}); text uses system fonts and may be missing.");
        var theme = PreviewTheme.For(options.Theme);
        bool scatter = stage is ProjectionStage || (stage is Embedding && options.View != PreviewView.Distortion);
        if (!scatter && (options.ColorProperty is not null || options.LabelTop > 0 || options.PointSize is not null))
            log.Warning($"Colour, labels and point size apply to scatter views; the {(stage is Embedding ? "distortion view" : stage.GetType().Name + " preview")} draws distributions and ignores them.");
        var figure = stage switch
        {
            ProjectionStage p => RequireView(p, options.View, PreviewView.Scatter) ?? ProjectionFigure(p, options, theme, log, cancellation),
            Embedding e => EmbeddingFigure(e, options, theme, log, cancellation),
            CooccurrenceMatrix m => RequireView(m, options.View) ?? CooccurrenceFigure(m, options, theme, log),
            NeighborGraph g => RequireView(g, options.View) ?? NeighborGraphFigure(g, options, theme, log),
            EntityCollectionSet s => RequireView(s, options.View) ?? CollectionsFigure(s, options, theme, log),
            null => throw new ArgumentNullException(nameof(stage)),
            _ => throw new EmbedPSException("NotAStageObject", EmbedPSErrorKind.InvalidArgument,
                $"Cannot preview {Grammar.WithArticle(stage.GetType().Name)}: pipe an EntityCollectionSet, CooccurrenceMatrix, NeighborGraph, Embedding or Projection."),
        };
        cancellation.ThrowIfCancellationRequested();
        return Compose(figure, options, theme, cancellation);
    }

    private static Figure? RequireView(object stage, PreviewView view, PreviewView allowed = PreviewView.Auto)
    {
        if (view == PreviewView.Auto || view == allowed) return null;
        throw new EmbedPSException("ViewNotApplicable", EmbedPSErrorKind.InvalidArgument,
            $"-View {view} does not apply to {Grammar.WithArticle(stage.GetType().Name)}: Pairs and Distortion need an Embedding.");
    }

    // ---------------------------------------------------------------- figures

    private sealed class Figure
    {
        public string? Title;
        public string? Subtitle;
        /// <summary>Panels with their place as fractions of the area below the header: (plot, left, top, width, height).</summary>
        public readonly List<(Plot Plot, float Left, float Top, float Width, float Height)> Panels = new();
    }

    private static string? TitleOr(PreviewOptions options, string automatic) => options.Title is null ? automatic : options.Title.Length == 0 ? null : options.Title;

    private static Figure ProjectionFigure(ProjectionStage p, PreviewOptions options, PreviewTheme theme, IStageLog log, CancellationToken ct)
    {
        var method = string.IsNullOrEmpty(p.Method) ? "Projection" : p.Method.ToUpperInvariant() switch { "UMAP" => "UMAP", "TSNE" => "t-SNE", "PCA" => "PCA", _ => p.Method };
        var quality = p.Quality.Count == 0 ? "" : " · " + string.Join(", ", p.Quality.Take(3).Select(kv => $"{kv.Key} {kv.Value:G3}"));
        var figure = new Figure
        {
            Title = TitleOr(options, $"{method} projection"),
            Subtitle = $"{p.EntityCount:N0} entities{quality}",
        };
        var extra = new Dictionary<string, Func<double[]>>(StringComparer.OrdinalIgnoreCase) { ["x"] = () => ToDouble(p.X), ["y"] = () => ToDouble(p.Y) };
        var style = PointStyle.Create(p.Entities, p.Popularity, extra, options, theme, PanelArea(options, 1, 1), log);
        figure.Subtitle += style.Describe();
        figure.Panels.Add((ScatterPlot(p.X, p.Y, p.Entities, p.Popularity, style, options, theme, null, $"{method} 1", $"{method} 2", true, ct), 0, 0, 1, 1));
        return figure;
    }

    private static Figure EmbeddingFigure(Embedding e, PreviewOptions options, PreviewTheme theme, IStageLog log, CancellationToken ct)
    {
        var history = e.FinalDistortion is { } fd ? $" · distortion {fd:G4} after {e.Iterations:N0} iterations" : "";
        if (options.View == PreviewView.Distortion) return DistortionFigure(e, options, theme);
        int d = e.Dimension;
        var extra = new Dictionary<string, Func<double[]>>(StringComparer.OrdinalIgnoreCase);
        for (int a = 0; a < d; a++)
        {
            int axis = a;
            extra["dim" + (a + 1)] = () => ToDouble(Axis(e, axis));
        }
        if (options.View == PreviewView.Pairs && d >= 2)
        {
            var pairs = new List<(int A, int B)>();
            for (int a = 0; a < d; a++) for (int b = a + 1; b < d; b++) pairs.Add((a, b));
            if (pairs.Count > 28) throw new EmbedPSException("TooManyPairs", EmbedPSErrorKind.InvalidArgument,
                $"-View Pairs draws every pair of axes; {d} dimensions give {pairs.Count} panels (at most 28, i.e. 8 dimensions). Use -View Scatter for the principal components.");
            int columns = (int)Math.Ceiling(Math.Sqrt(pairs.Count * 1.33)), rows = (pairs.Count + columns - 1) / columns;
            var figureP = new Figure { Title = TitleOr(options, $"Embedding: every pair of its {d} axes"), Subtitle = $"{e.EntityCount:N0} entities × {d} dimensions{history}" };
            float legendWidth = 0.2f;
            var style = PointStyle.Create(e.Entities, e.Popularity, extra, options, theme, PanelArea(options, columns / (1 - legendWidth), rows), log);
            figureP.Subtitle += style.Describe();
            bool side = style.Colouring.Legend.Count > 0 || style.Colouring.Scale is not null;
            float usable = side ? 1 - legendWidth : 1;
            for (int k = 0; k < pairs.Count; k++)
            {
                var (a, b) = pairs[k];
                float[] xs = Axis(e, a), ys = Axis(e, b);
                var plot = ScatterPlot(xs, ys, e.Entities, e.Popularity, style, options with { LabelTop = 0 }, theme, $"axis {a + 1} × axis {b + 1}", $"axis {a + 1}", $"axis {b + 1}", false, ct);
                figureP.Panels.Add((plot, usable * (k % columns) / columns, (float)(k / columns) / rows, usable / columns, 1f / rows));
            }
            if (side)
            {
                // A colorbar spans its panel's height: keep it to the middle of the strip so its ticks stay readable.
                if (style.Colouring.Scale is not null) figureP.Panels.Add((KeyPlot(style, theme), usable, 0.12f, legendWidth * 0.7f, 0.7f));
                else figureP.Panels.Add((KeyPlot(style, theme), usable, 0, legendWidth, 1));
            }
            return figureP;
        }
        string xLabel, yLabel, title;
        float[] x, y;
        if (d >= 3)
        {
            var pca = EmbeddingPca.Compute(e, ct);
            x = pca.X; y = pca.Y;
            xLabel = $"PC1 ({pca.VarianceShare[0]:P0} of variance)";
            yLabel = $"PC2 ({pca.VarianceShare[1]:P0} of variance)";
            title = $"Embedding ({d}-D), first two principal components";
            log.Verbose($"PCA of the {d}-D embedding: the first two components hold {pca.VarianceShare[0] + pca.VarianceShare[1]:P1} of the variance.");
        }
        else if (d == 2)
        {
            x = Axis(e, 0); y = Axis(e, 1);
            xLabel = "axis 1"; yLabel = "axis 2"; title = "Embedding (2-D)";
        }
        else
        {
            x = Axis(e, 0);
            y = new float[e.EntityCount];
            for (int i = 0; i < y.Length; i++) y[i] = (float)Math.Log10(Math.Max(1, e.Popularity[i]));
            xLabel = "axis 1"; yLabel = "log10(popularity)"; title = "Embedding (1-D) against popularity";
        }
        var figure = new Figure { Title = TitleOr(options, title), Subtitle = $"{e.EntityCount:N0} entities × {d} dimensions{history}" };
        // The automatic view of an optimised embedding adds its distortion curve in a small corner panel.
        bool inset = options.View == PreviewView.Auto && e.DistortionHistory.Length >= 2;
        float scatterWidth = inset ? 0.78f : 1f;
        var styleS = PointStyle.Create(e.Entities, e.Popularity, extra, options, theme, PanelArea(options, 1 / scatterWidth, 1), log);
        figure.Subtitle += styleS.Describe();
        figure.Panels.Add((ScatterPlot(x, y, e.Entities, e.Popularity, styleS, options, theme, null, xLabel, yLabel, true, ct, square: d >= 2), 0, 0, scatterWidth, 1));
        if (inset) figure.Panels.Add((DistortionPlot(e.DistortionHistory, theme, compact: true), scatterWidth, 0.58f, 1 - scatterWidth, 0.42f));
        return figure;
    }

    private static float[] Axis(Embedding e, int a)
    {
        int d = e.Dimension;
        var values = new float[e.EntityCount];
        for (int i = 0; i < values.Length; i++) values[i] = e.Coordinates[i * d + a];
        return values;
    }

    private static double[] ToDouble(float[] values) => Array.ConvertAll(values, v => (double)v);

    private static Figure DistortionFigure(Embedding e, PreviewOptions options, PreviewTheme theme)
    {
        var history = e.DistortionHistory;
        if (history.Length == 0)
            throw new EmbedPSException("NoDistortionHistory", EmbedPSErrorKind.InvalidArgument,
                "This embedding has no distortion history (it was not produced by Invoke-Mde, or was read from a file without one): -View Distortion has nothing to draw.");
        var figure = new Figure
        {
            Title = TitleOr(options, "Embedding distortion by iteration"),
            Subtitle = $"{e.EntityCount:N0} entities × {e.Dimension} dimensions"
                + (e.FinalDistortion is { } fd ? $" · final {fd:G4}" : $" · last {history[^1]:G4}")
                + $" after {Math.Max(e.Iterations, history.Length):N0} iterations"
                + (e.StopReason is { Length: > 0 } r ? $" · stopped: {r}" : "")
                + (e.Device is { Length: > 0 } dev ? $" · {dev}" : ""),
        };
        figure.Panels.Add((DistortionPlot(history, theme, compact: false), 0, 0, 1, 1));
        return figure;
    }

    /// <summary>Average distortion against iteration; a log axis when the curve spans more than a factor of 10.</summary>
    private static Plot DistortionPlot(double[] history, PreviewTheme theme, bool compact)
    {
        var plot = NewPlot(theme);
        var xs = new double[history.Length];
        var ys = new double[history.Length];
        double min = double.PositiveInfinity, max = 0;
        foreach (var h in history) if (h > 0 && double.IsFinite(h)) { min = Math.Min(min, h); max = Math.Max(max, h); }
        bool log = max > 0 && max / min > 10;
        int k = 0;
        for (int i = 0; i < history.Length; i++)
        {
            if (log && !(history[i] > 0)) continue;
            xs[k] = i + 1;
            ys[k] = log ? Math.Log10(history[i]) : history[i];
            k++;
        }
        var line = plot.Add.ScatterLine(xs[..k], ys[..k], theme.SingleColour);
        line.LineWidth = compact ? 1.5f : 2;
        float size = compact ? 11 : 14;
        if (compact) plot.Title("distortion by iteration", 12);
        plot.XLabel("iteration", size);
        plot.YLabel(log ? "distortion (log scale)" : "average distortion", size);
        if (log) LogTicks(plot.Axes.Left, Math.Log10(min), Math.Log10(max));
        return plot;
    }


    private static Figure CooccurrenceFigure(CooccurrenceMatrix m, PreviewOptions options, PreviewTheme theme, IStageLog log)
    {
        var degrees = GraphStatistics.Degrees(m);
        var components = GraphStatistics.Components(m);
        log.Verbose($"Co-occurrence graph: {components}.");
        var figure = new Figure
        {
            Title = TitleOr(options, "Co-occurrence matrix"),
            Subtitle = $"{m.EntityCount:N0} entities · {m.PairCount:N0} pairs · mean degree {(m.EntityCount == 0 ? 0 : 2.0 * m.PairCount / m.EntityCount):N1} · {components}",
        };
        figure.Panels.Add((DistributionPlot(LogHistogram.Compute(degrees), theme, "Degree (partners per entity)", "partners", "entities per unit of degree", theme.SingleColour), 0, 0, 0.5f, 1));
        figure.Panels.Add((DistributionPlot(LogHistogram.ComputePairWeights(m), theme, "Pair weight", "co-occurrence weight", "pairs per unit of weight", CategoricalPalette.For(theme.Kind)[1]), 0.5f, 0, 0.5f, 1));
        return figure;
    }

    private static Figure NeighborGraphFigure(NeighborGraph g, PreviewOptions options, PreviewTheme theme, IStageLog log)
    {
        var degrees = GraphStatistics.NeighborDegrees(g);
        var components = GraphStatistics.Components(g);
        log.Verbose($"Neighbour graph: {components}.");
        int mutual = 0;
        var distances = new List<double>(g.NeighborEdgeCount);
        for (int e = 0; e < g.EdgeCount; e++)
        {
            if (g.Weights[e] <= 0) continue;
            if (g.Weights[e] >= 2) mutual++;
            distances.Add(g.Distances[e]);
        }
        var figure = new Figure
        {
            Title = TitleOr(options, "Neighbour graph"),
            Subtitle = $"{g.EntityCount:N0} entities · {g.NeighborEdgeCount:N0} neighbour edges ({mutual:N0} mutual) · {g.RepulsiveEdgeCount:N0} repulsive pairs · {components}",
        };
        figure.Panels.Add((DistributionPlot(LogHistogram.Compute(degrees), theme, "Degree (neighbour edges per entity)", "neighbours", "entities per unit of degree", theme.SingleColour), 0, 0, 0.5f, 1));
        figure.Panels.Add((DistributionPlot(LogHistogram.Compute(distances.ToArray()), theme, "Neighbour-edge distance", "distance", "edges per unit of distance", CategoricalPalette.For(theme.Kind)[1]), 0.5f, 0, 0.5f, 1));
        return figure;
    }

    private static Figure CollectionsFigure(EntityCollectionSet s, PreviewOptions options, PreviewTheme theme, IStageLog log)
    {
        var sizes = GraphStatistics.CollectionSizes(s);
        int unused = s.Popularity.Count(p => p == 0);
        var figure = new Figure
        {
            Title = TitleOr(options, "Entity collections"),
            Subtitle = $"{s.EntityCount:N0} entities · {s.CollectionCount:N0} collections · {s.PairCount:N0} memberships · mean size {s.MeanCollectionSize:N1}, largest {s.MaxCollectionSize:N0}"
                + (unused > 0 ? $" · {unused:N0} entities in no collection" : ""),
        };
        log.Verbose(figure.Subtitle);
        figure.Panels.Add((DistributionPlot(LogHistogram.Compute(sizes), theme, "Collection size", "entities in the collection", "collections per unit of size", theme.SingleColour), 0, 0, 0.5f, 1));
        figure.Panels.Add((DistributionPlot(LogHistogram.Compute(s.Popularity), theme, "Entity popularity", "collections holding the entity", "entities per unit of popularity", CategoricalPalette.For(theme.Kind)[1]), 0.5f, 0, 0.5f, 1));
        return figure;
    }

    // ---------------------------------------------------------------- panels

    private static Plot NewPlot(PreviewTheme theme)
    {
        var plot = new Plot();
        theme.Apply(plot);
        // Fewer, well-spaced ticks than ScottPlot's default: a preview is read at a glance.
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { TickDensity = 0.6 };
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { TickDensity = 0.6 };
        return plot;
    }

    private static Plot DistributionPlot(LogHistogram histogram, PreviewTheme theme, string title, string xLabel, string yLabel, Color colour)
    {
        var plot = NewPlot(theme);
        plot.Title(title, 14);
        plot.XLabel(xLabel + " (log scale)", 13);
        plot.YLabel(yLabel + " (log scale)", 13);
        if (histogram.Centers.Length > 0)
        {
            var xs = histogram.Centers.Select(Math.Log10).ToArray();
            var ys = histogram.Density.Select(Math.Log10).ToArray();
            var series = plot.Add.Scatter(xs, ys, colour);
            series.MarkerSize = 7;
            series.LineWidth = 1.5f;
        }
        else
        {
            plot.Add.Annotation("no positive values to draw");
        }
        if (histogram.NonPositiveCount > 0)
        {
            var note = plot.Add.Annotation($"{histogram.NonPositiveCount:N0} zero values not shown", Alignment.UpperRight);
            note.LabelFontName = PreviewFonts.Family;
            note.LabelFontColor = theme.Text;
            note.LabelBackgroundColor = theme.LegendBackground.WithAlpha(0.8);
            note.LabelBorderColor = theme.LegendOutline;
            note.LabelShadowColor = Colors.Transparent;
        }
        if (histogram.Centers.Length > 0)
        {
            LogTicks(plot.Axes.Bottom, Math.Log10(histogram.Centers.Min()), Math.Log10(histogram.Centers.Max()));
            LogTicks(plot.Axes.Left, Math.Log10(histogram.Density.Min()), Math.Log10(histogram.Density.Max()));
        }
        plot.Axes.Margins(0.08, 0.1);
        return plot;
    }

    /// <summary>
    /// Ticks for an axis that carries log10 values spanning [<paramref name="minLog"/>, <paramref name="maxLog"/>]:
    /// labelled at 1, 10, 100 … when the range covers several decades, at 1-2-5 or 1…9 multiples when it covers less,
    /// with unlabelled minor ticks at every integer multiple of each power of ten.
    /// </summary>
    internal static void LogTicks(IAxis axis, double minLog, double maxLog)
    {
        if (!(maxLog > minLog)) { minLog -= 0.5; maxLog += 0.5; }
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        int firstDecade = (int)Math.Floor(minLog) - 1, lastDecade = (int)Math.Ceiling(maxLog) + 1;
        double pad = 0.12 * (maxLog - minLog);
        bool Inside(double v) => v >= minLog - pad && v <= maxLog + pad;
        foreach (var multiples in new[] { new[] { 1 }, new[] { 1, 2, 5 }, new[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 } })
        {
            var major = new List<double>();
            for (int d = firstDecade; d <= lastDecade; d++)
                foreach (int m in multiples)
                {
                    double position = d + Math.Log10(m);
                    if (Inside(position)) major.Add(position);
                }
            if (major.Count < 3 && multiples.Length < 9) continue;
            foreach (var position in major) ticks.AddMajor(position, FormatPowerOfTen(position));
            break;
        }
        for (int d = firstDecade; d <= lastDecade; d++)
            for (int m = 1; m <= 9; m++)
            {
                double position = d + Math.Log10(m);
                if (Inside(position) && !ticks.Ticks.Any(t => Math.Abs(t.Position - position) < 1e-9)) ticks.AddMinor(position);
            }
        axis.TickGenerator = ticks;
    }

    internal static string FormatPowerOfTen(double exponent)
    {
        double value = Math.Pow(10, exponent);
        if (value >= 1e7 || value < 1e-4) return value.ToString("0.#e0", CultureInfo.InvariantCulture);
        if (value >= 1) return Math.Round(value).ToString("N0", CultureInfo.InvariantCulture);
        return value.ToString("0.####", CultureInfo.InvariantCulture);
    }

    private static Plot ScatterPlot(float[] x, float[] y, EntityIds ids, int[] popularity, PointStyle style, PreviewOptions options, PreviewTheme theme,
        string? panelTitle, string xLabel, string yLabel, bool withKey, CancellationToken ct, bool square = true)
    {
        var plot = NewPlot(theme);
        if (panelTitle is not null) plot.Title(panelTitle, 13);
        plot.XLabel(xLabel, 13);
        plot.YLabel(yLabel, 13);
        var points = new RasterScatter(x, y, style.Radii, style.Colouring.Colors, style.Order, style.Alpha, ct);
        plot.Add.Plottable(points);
        plot.Axes.Margins(0.03, 0.03);
        if (square) plot.Axes.Rules.Add(new ScottPlot.AxisRules.SquareZoomOut(plot.Axes.Bottom, plot.Axes.Left));
        if (withKey) AddKey(plot, style, theme, Edge.Right);
        if (options.LabelTop > 0) AddLabels(plot, x, y, popularity, style, options, theme);
        return plot;
    }

    /// <summary>A legend-only or colorbar-only panel, for small multiples.</summary>
    private static Plot KeyPlot(PointStyle style, PreviewTheme theme)
    {
        var plot = NewPlot(theme);
        plot.HideGrid();
        plot.Axes.Frameless();
        foreach (var axis in plot.Axes.GetAxes()) axis.IsVisible = false;
        plot.DataBackground.Color = theme.FigureBackground;
        if (style.Colouring.Scale is { } scale)
        {
            // The colorbar needs a data area beside it: a narrow empty one, colorbar on its left.
            AddKey(plot, style, theme, Edge.Left);
        }
        else
        {
            AddKey(plot, style, theme, Edge.Left);
            plot.Legend.Alignment = Alignment.UpperLeft;
            plot.ShowLegend(Alignment.UpperLeft);
        }
        return plot;
    }

    private static void AddKey(Plot plot, PointStyle style, PreviewTheme theme, Edge edge)
    {
        var colouring = style.Colouring;
        if (colouring.Scale is { } scale)
        {
            var bar = plot.Add.ColorBar(scale, edge);
            bar.Label = scale.Label;
            bar.LabelStyle.FontName = PreviewFonts.Family;
            bar.LabelStyle.ForeColor = theme.Text;
            bar.LabelStyle.FontSize = 13;
            bar.Axis.TickLabelStyle.FontName = PreviewFonts.Family;
            bar.Axis.TickLabelStyle.ForeColor = theme.Text;
            bar.Axis.MajorTickStyle.Color = theme.Axis;
            bar.Axis.MinorTickStyle.Color = theme.Axis;
            bar.Axis.FrameLineStyle.Color = theme.Axis;
            return;
        }
        if (colouring.Legend.Count == 0) return;
        plot.Legend.ManualItems.Clear();
        if (colouring.Title is { Length: > 0 } heading)
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = heading, LabelBold = true, LabelFontName = PreviewFonts.Family, LabelFontColor = theme.Text, MarkerShape = MarkerShape.None });
        foreach (var entry in colouring.Legend)
        {
            plot.Legend.ManualItems.Add(new LegendItem
            {
                LabelText = $"{entry.Label} ({entry.Count:N0})",
                LabelFontName = PreviewFonts.Family,
                LabelFontColor = theme.Text,
                LabelFontSize = 12,
                MarkerShape = MarkerShape.FilledCircle,
                MarkerFillColor = entry.Color,
                MarkerLineColor = entry.Color,
                MarkerSize = 11,
            });
        }
        if (edge == Edge.Right) plot.ShowLegend(Edge.Right);
    }

    private static void AddLabels(Plot plot, float[] x, float[] y, int[] popularity, PointStyle style, PreviewOptions options, PreviewTheme theme)
    {
        var texts = style.LabelTexts;
        var candidates = Enumerable.Range(0, x.Length)
            .Where(i => float.IsFinite(x[i]) && float.IsFinite(y[i]) && !string.IsNullOrWhiteSpace(texts[i]))
            .OrderByDescending(i => popularity[i]).ThenBy(i => i)
            .Take(Math.Min(x.Length, options.LabelTop * 3))
            .ToList();
        if (candidates.Count == 0) return;
        // Greedy decluttering in data units: a label is skipped when its estimated box overlaps one already placed.
        float xMin = float.PositiveInfinity, xMax = float.NegativeInfinity, yMin = float.PositiveInfinity, yMax = float.NegativeInfinity;
        for (int i = 0; i < x.Length; i++)
        {
            if (!float.IsFinite(x[i]) || !float.IsFinite(y[i])) continue;
            xMin = Math.Min(xMin, x[i]); xMax = Math.Max(xMax, x[i]); yMin = Math.Min(yMin, y[i]); yMax = Math.Max(yMax, y[i]);
        }
        double unitsPerPxX = Math.Max(1e-12, xMax - xMin) / (options.Width * 0.7), unitsPerPxY = Math.Max(1e-12, yMax - yMin) / (options.Height * 0.7);
        var placed = new List<(double L, double R, double B, double T)>();
        const float fontSize = 11.5f;
        foreach (int i in candidates)
        {
            if (placed.Count >= options.LabelTop) break;
            var text = texts[i]!.Trim();
            if (text.Length > 40) text = text[..39] + "…";
            double w = (text.Length * fontSize * 0.58 + 8) * unitsPerPxX, h = (fontSize * 1.5) * unitsPerPxY;
            double left = x[i] + 4 * unitsPerPxX, bottom = y[i];
            var box = (L: left, R: left + w, B: bottom, T: bottom + h);
            if (placed.Any(p => p.L < box.R && box.L < p.R && p.B < box.T && box.B < p.T)) continue;
            placed.Add(box);
            var label = plot.Add.Text(text, x[i], y[i]);
            label.LabelFontName = PreviewFonts.CanRender(text) ? PreviewFonts.Family : Fonts.Detect(text);
            label.LabelFontSize = fontSize;
            label.LabelFontColor = theme.Text;
            label.LabelBackgroundColor = theme.LabelHalo.WithAlpha(0.72);
            label.LabelBorderColor = Colors.Transparent;
            label.LabelAlignment = Alignment.LowerLeft;
            label.LabelPadding = 2;
            label.OffsetX = 4;
        }
    }

    private static double PanelArea(PreviewOptions options, double columns, double rows) =>
        options.Width * 0.72 / columns * (options.Height - 80) * 0.8 / rows;

    // ---------------------------------------------------------------- composition

    private static byte[] Compose(Figure figure, PreviewOptions options, PreviewTheme theme, CancellationToken ct)
    {
        float scale = (float)options.Scale;
        int pixelWidth = (int)Math.Round(options.Width * scale), pixelHeight = (int)Math.Round(options.Height * scale);
        using var surface = SKSurface.Create(new SKImageInfo(pixelWidth, pixelHeight, SKColorType.Rgba8888, SKAlphaType.Premul))
            ?? throw new EmbedPSException("PreviewSurface", EmbedPSErrorKind.ResourceUnavailable, $"Skia could not allocate a {pixelWidth} × {pixelHeight} image.");
        var canvas = surface.Canvas;
        canvas.Clear(ToSk(theme.FigureBackground));
        float header = 6;
        float titleBaseline = 0, subtitleBaseline = 0;
        if (figure.Title is { Length: > 0 })
        {
            header += HeaderTitleSize * 1.45f;
            titleBaseline = header - HeaderTitleSize * 0.35f;
        }
        if (figure.Subtitle is { Length: > 0 })
        {
            header += HeaderSubtitleSize * 1.5f;
            subtitleBaseline = header - HeaderSubtitleSize * 0.4f;
        }
        float bodyHeight = options.Height - header;
        foreach (var (plot, left, top, width, height) in figure.Panels)
        {
            ct.ThrowIfCancellationRequested();
            plot.ScaleFactor = scale;
            var rect = new PixelRect(options.Width * left, options.Width * (left + width), header + bodyHeight * (top + height), header + bodyHeight * top);
            // ScottPlot clears the canvas before it draws; the clip keeps that to the panel's own rectangle.
            canvas.Save();
            canvas.ClipRect(new SKRect(rect.Left * scale, rect.Top * scale, rect.Right * scale, rect.Bottom * scale));
            plot.Render(canvas, rect);
            canvas.Restore();
            plot.Dispose();
        }
        // The header goes on last: ScottPlot clears the canvas when it renders a panel.
        canvas.Save();
        canvas.Scale(scale);
        using (var headerPaint = new SKPaint { Color = ToSk(theme.FigureBackground) })
        {
            canvas.DrawRect(0, 0, options.Width, header, headerPaint);
        }
        if (figure.Title is { Length: > 0 } title)
            DrawCentred(canvas, title, options.Width / 2f, titleBaseline, HeaderTitleSize, bold: true, theme.Text, options.Width - 20);
        if (figure.Subtitle is { Length: > 0 } subtitle)
            DrawCentred(canvas, subtitle, options.Width / 2f, subtitleBaseline, HeaderSubtitleSize, bold: false, theme.Text.WithAlpha(0.8), options.Width - 20);
        canvas.Restore();
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new EmbedPSException("PreviewEncode", EmbedPSErrorKind.ResourceUnavailable, "Skia could not encode the preview as PNG.");
        return data.ToArray();
    }

    private static void DrawCentred(SKCanvas canvas, string text, float centreX, float baseline, float size, bool bold, Color colour, float maxWidth)
    {
        var face = PreviewFonts.Typeface(bold) ?? SKTypeface.Default;
        using var font = new SKFont(face, size) { Subpixel = true, Edging = SKFontEdging.Antialias };
        using var paint = new SKPaint { Color = ToSk(colour), IsAntialias = true };
        // Shrink a long header to fit rather than cut it.
        float width = font.MeasureText(text);
        if (width > maxWidth) font.Size = size * maxWidth / width;
        canvas.DrawText(text, centreX, baseline, SKTextAlign.Center, font, paint);
    }

    private static SKColor ToSk(Color c) => new(c.R, c.G, c.B, c.A);
}
