using EmbedPS.Core.Common;
using EmbedPS.Core.Mde;
using EmbedPS.Core.Preview;
using SkiaSharp;
using ProjectionStage = EmbedPS.Core.Projection.Projection;

namespace EmbedPS.Tests.Preview;

/// <summary>Decodes rendered previews and checks what is in the pixels: size, ink, legend colours, text, clusters, colormap.</summary>
[Trait("Category", "Unit")]
public sealed class PreviewImageTests
{
    private static readonly (float X, float Y)[] ClusterCentres = { (-10, 10), (10, 10), (-10, -10), (10, -10) };
    private static readonly string[] ClusterNames = { "north-west", "north-east", "south-west", "south-east" };

    /// <summary>Four Gaussian blobs of 300 points at the corners of a square, labelled by corner.</summary>
    internal static (ProjectionStage Projection, EntityAttributes Attributes) PlantedClusters(int perCluster = 300)
    {
        int n = perCluster * ClusterCentres.Length;
        var x = new float[n];
        var y = new float[n];
        var popularity = new int[n];
        var label = new string?[n];
        var random = new DeterministicRandom(11);
        for (int i = 0; i < n; i++)
        {
            int c = i % ClusterCentres.Length;
            x[i] = ClusterCentres[c].X + Gaussian(ref random) * 1.5f;
            y[i] = ClusterCentres[c].Y + Gaussian(ref random) * 1.5f;
            popularity[i] = 1 + (int)(1000 * Math.Pow(random.NextDouble(), 4));
            label[i] = ClusterNames[c];
        }
        var ids = EntityIds.FromIntegers(Enumerable.Range(0, n).Select(i => (long)i).ToArray());
        var attributes = new EntityAttributes(n);
        attributes.Add("group", label);
        attributes.Add("name", Enumerable.Range(0, n).Select(i => $"item {i}").ToArray());
        return (new ProjectionStage(ids, popularity, x, y, "Umap"), attributes);
    }

    private static float Gaussian(ref DeterministicRandom random)
    {
        double u = 1 - random.NextDouble(), v = random.NextDouble();
        return (float)(Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v));
    }

    internal static SKBitmap Render(object stage, PreviewOptions options) =>
        SKBitmap.Decode(PreviewRenderer.RenderPng(stage, options, StageLog.Null));

    private static bool Near(SKColor a, SKColor b, int tolerance) =>
        Math.Abs(a.Red - b.Red) <= tolerance && Math.Abs(a.Green - b.Green) <= tolerance && Math.Abs(a.Blue - b.Blue) <= tolerance;

    private static SKColor Sk(ScottPlot.Color c) => new(c.R, c.G, c.B);

    private static double InkShare(SKBitmap bitmap, SKColor background, int left = 0, int top = 0, int right = -1, int bottom = -1)
    {
        right = right < 0 ? bitmap.Width : right;
        bottom = bottom < 0 ? bitmap.Height : bottom;
        long ink = 0, total = 0;
        for (int y = top; y < bottom; y++)
        for (int x = left; x < right; x++, total++)
            if (!Near(bitmap.GetPixel(x, y), background, 8)) ink++;
        return (double)ink / total;
    }

    [Fact]
    public void Projection_has_requested_size_and_plausible_ink()
    {
        var (projection, attributes) = PlantedClusters();
        using var bitmap = Render(projection, new PreviewOptions { Width = 640, Height = 480, Attributes = attributes });
        Assert.Equal(640, bitmap.Width);
        Assert.Equal(480, bitmap.Height);
        double ink = InkShare(bitmap, SKColors.White);
        // Four blobs, axes, ticks, legend: clearly drawn, but far from a filled canvas.
        Assert.InRange(ink, 0.04, 0.5);
    }

    [Fact]
    public void Dpi_scales_pixels_not_layout()
    {
        var (projection, _) = PlantedClusters(50);
        using var bitmap = Render(projection, new PreviewOptions { Width = 400, Height = 300, Dpi = 192 });
        Assert.Equal(800, bitmap.Width);
        Assert.Equal(600, bitmap.Height);
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void Legend_colours_are_present_and_clusters_are_separated_by_colour()
    {
        var (projection, attributes) = PlantedClusters();
        using var bitmap = Render(projection, new PreviewOptions { Width = 800, Height = 600, Attributes = attributes, ColorProperty = "group" });
        var palette = CategoricalPalette.For(PreviewThemeKind.Light);
        // Categories are sorted by frequency then name; all four have 300 points, so the order is alphabetical.
        var sortedNames = ClusterNames.OrderBy(n => n, StringComparer.Ordinal).ToArray();
        var centroid = new Dictionary<string, (double X, double Y, long Count)>();
        for (int k = 0; k < sortedNames.Length; k++)
        {
            var colour = Sk(palette[k]);
            double sx = 0, sy = 0;
            long count = 0, exact = 0;
            for (int y = 0; y < bitmap.Height; y++)
            for (int x = 0; x < bitmap.Width; x++)
            {
                var pixel = bitmap.GetPixel(x, y);
                if (Near(pixel, colour, 2)) exact++;
                // Points are drawn translucent over white: match the blended colour loosely, inside the plot (left of the legend).
                if (x < bitmap.Width * 0.72 && Near(pixel, Blend(colour, 0.9), 40)) { sx += x; sy += y; count++; }
            }
            Assert.True(exact >= 20, $"The legend colour of '{sortedNames[k]}' ({colour}) appears in only {exact} pixels.");
            Assert.True(count > 500, $"Too few pixels ({count}) carry the colour of '{sortedNames[k]}'.");
            centroid[sortedNames[k]] = (sx / count, sy / count, count);
        }
        // Each colour sits where its cluster was planted: west left of east, north above south (pixel y grows downwards).
        Assert.True(centroid["north-west"].X + 100 < centroid["north-east"].X);
        Assert.True(centroid["south-west"].X + 100 < centroid["south-east"].X);
        Assert.True(centroid["north-west"].Y + 100 < centroid["south-west"].Y);
        Assert.True(centroid["north-east"].Y + 100 < centroid["south-east"].Y);
    }

    private static SKColor Blend(SKColor c, double alpha) =>
        new((byte)(c.Red * alpha + 255 * (1 - alpha)), (byte)(c.Green * alpha + 255 * (1 - alpha)), (byte)(c.Blue * alpha + 255 * (1 - alpha)));

    [Fact]
    public void Title_text_is_drawn()
    {
        Assert.True(PreviewFonts.BundledFontAvailable, PreviewFonts.LoadError);
        var (projection, _) = PlantedClusters(50);
        using var with = Render(projection, new PreviewOptions { Width = 600, Height = 400, Title = "A TITLE WITH INK" });
        using var without = Render(projection, new PreviewOptions { Width = 600, Height = 400, Title = "" });
        // Only the header differs: its top band has more ink with a title, and the pixels there differ.
        double inkWith = InkShare(with, SKColors.White, 150, 0, 450, 26);
        double inkWithout = InkShare(without, SKColors.White, 150, 0, 450, 26);
        Assert.True(inkWith > 0.03, $"title band ink {inkWith:P2}");
        Assert.True(inkWith > inkWithout + 0.01, $"title band ink {inkWith:P2} with a title, {inkWithout:P2} without");
        long differ = 0;
        for (int y = 0; y < 26; y++) for (int x = 150; x < 450; x++) if (!Near(with.GetPixel(x, y), without.GetPixel(x, y), 8)) differ++;
        Assert.True(differ > 300, $"only {differ} pixels differ in the title band");
    }

    [Fact]
    public void Bundled_font_is_what_ScottPlot_resolves()
    {
        PreviewFonts.EnsureRegistered();
        Assert.Equal(PreviewFonts.FamilyName, PreviewFonts.Family);
        var face = ScottPlot.Fonts.GetTypeface(PreviewFonts.FamilyName, bold: false, italic: false);
        Assert.Equal("DejaVu Sans", face.FamilyName);
        Assert.True(PreviewFonts.CanRender("Degree 0123456789 ×·–"));
    }

    [Fact]
    public void Continuous_colormap_increases_in_lightness_with_the_value()
    {
        // 200 points on a horizontal line, coloured by their x: Viridis gets lighter from left to right.
        int n = 200;
        var x = Enumerable.Range(0, n).Select(i => (float)i).ToArray();
        var y = new float[n];
        var ids = EntityIds.FromIntegers(Enumerable.Range(0, n).Select(i => (long)i).ToArray());
        var projection = new ProjectionStage(ids, Enumerable.Repeat(1, n).ToArray(), x, y, "Pca");
        var attributes = new EntityAttributes(n);
        attributes.Add("value", x.Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray());
        using var bitmap = Render(projection, new PreviewOptions { Width = 900, Height = 300, Attributes = attributes, ColorProperty = "value", PointSize = 3, Title = "" });
        // Find the row with the most ink left of the colorbar, then read lightness along it.
        int bestRow = 0, bestInk = -1;
        for (int row = 0; row < bitmap.Height; row++)
        {
            int ink = 0;
            for (int col = 0; col < bitmap.Width * 0.8; col++) if (!Near(bitmap.GetPixel(col, row), SKColors.White, 30)) ink++;
            if (ink > bestInk) { bestInk = ink; bestRow = row; }
        }
        var lightness = new List<(int X, double L)>();
        for (int col = 0; col < bitmap.Width * 0.8; col++)
        {
            var p = bitmap.GetPixel(col, bestRow);
            if (Near(p, SKColors.White, 30) || Math.Abs(p.Red - p.Green) < 6 && Math.Abs(p.Green - p.Blue) < 6) continue; // background, axes, grid
            lightness.Add((col, 0.2126 * p.Red + 0.7152 * p.Green + 0.0722 * p.Blue));
        }
        Assert.True(lightness.Count > 200, $"only {lightness.Count} coloured pixels on the row");
        int third = lightness.Count / 3;
        double first = lightness.Take(third).Average(p => p.L);
        double middle = lightness.Skip(third).Take(third).Average(p => p.L);
        double last = lightness.Skip(2 * third).Average(p => p.L);
        Assert.True(first < middle && middle < last, $"lightness {first:F0} → {middle:F0} → {last:F0} is not increasing");
    }

    [Fact]
    public void Dark_theme_has_a_dark_background()
    {
        var (projection, attributes) = PlantedClusters(50);
        using var bitmap = Render(projection, new PreviewOptions { Width = 400, Height = 300, Theme = PreviewThemeKind.Dark, Attributes = attributes });
        var corner = bitmap.GetPixel(2, bitmap.Height - 2);
        Assert.True(corner.Red + corner.Green + corner.Blue < 120, $"corner pixel {corner}");
        Assert.InRange(InkShare(bitmap, corner), 0.04, 0.6);
    }

    [Fact]
    public void Embedding_views_render_and_distortion_requires_a_history()
    {
        var (projection, attributes) = PlantedClusters(100);
        int n = projection.EntityCount;
        var coordinates = new float[n * 3];
        for (int i = 0; i < n; i++) { coordinates[i * 3] = projection.X[i]; coordinates[i * 3 + 1] = projection.Y[i]; coordinates[i * 3 + 2] = i % 7; }
        var embedding = new Embedding(projection.Entities, projection.Popularity, 3, coordinates) { DistortionHistory = new[] { 1.0, 0.5, 0.3, 0.25 }, FinalDistortion = 0.25, Iterations = 4 };
        foreach (var view in new[] { PreviewView.Auto, PreviewView.Pairs, PreviewView.Distortion })
        {
            using var bitmap = Render(embedding, new PreviewOptions { Width = 600, Height = 400, View = view, Attributes = attributes });
            Assert.InRange(InkShare(bitmap, SKColors.White), 0.02, 0.6);
        }
        // The automatic view adds the distortion curve in the lower-right corner; -View Scatter does not.
        using (var auto = Render(embedding, new PreviewOptions { Width = 600, Height = 400, Attributes = attributes }))
        using (var scatter = Render(embedding, new PreviewOptions { Width = 600, Height = 400, Attributes = attributes, View = PreviewView.Scatter }))
        {
            double autoInk = InkShare(auto, SKColors.White, 480, 260, 600, 400), scatterInk = InkShare(scatter, SKColors.White, 480, 260, 600, 400);
            Assert.True(autoInk > scatterInk + 0.05, $"corner ink {autoInk:P1} (auto) vs {scatterInk:P1} (scatter)");
        }
        var bare = new Embedding(projection.Entities, projection.Popularity, 3, coordinates);
        var error = Assert.Throws<EmbedPSException>(() => PreviewRenderer.RenderPng(bare, new PreviewOptions { View = PreviewView.Distortion }, StageLog.Null));
        Assert.Equal("NoDistortionHistory", error.ErrorId);
        var wrong = Assert.Throws<EmbedPSException>(() => PreviewRenderer.RenderPng(projection, new PreviewOptions { View = PreviewView.Pairs }, StageLog.Null));
        Assert.Equal("ViewNotApplicable", wrong.ErrorId);
    }

    [Fact]
    public void Unknown_colour_property_names_the_choices()
    {
        var (projection, attributes) = PlantedClusters(20);
        var error = Assert.Throws<EmbedPSException>(() => PreviewRenderer.RenderPng(projection, new PreviewOptions { Attributes = attributes, ColorProperty = "genre2" }, StageLog.Null));
        Assert.Equal("ColorPropertyNotFound", error.ErrorId);
        Assert.Contains("group", error.Message);
        Assert.Contains("popularity", error.Message);
    }

    [Fact]
    public void WritePng_is_atomic_and_leaves_no_temporary_file_when_cancelled()
    {
        using var dir = new Infrastructure.TempDirectory();
        var (projection, _) = PlantedClusters(50);
        var path = dir.File("p.png");
        File.WriteAllText(path, "old");
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => PreviewRenderer.WritePng(path, projection, new PreviewOptions(), StageLog.Null, cancelled.Token));
        Assert.Equal("old", File.ReadAllText(path));
        PreviewRenderer.WritePng(path, projection, new PreviewOptions { Width = 300, Height = 200 }, StageLog.Null);
        using var bitmap = SKBitmap.Decode(path);
        Assert.Equal(300, bitmap.Width);
        Assert.Single(Directory.GetFiles(dir.Path));
    }
}
