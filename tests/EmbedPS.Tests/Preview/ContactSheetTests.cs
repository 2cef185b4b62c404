using EmbedPS.Core.Common;
using EmbedPS.Core.Preview;
using SkiaSharp;
using ProjectionStage = EmbedPS.Core.Projection.Projection;

namespace EmbedPS.Tests.Preview;

/// <summary>The contact sheet of a sweep: one panel per projection in a grid, same colours, captions with settings and scores.</summary>
[Trait("Category", "Unit")]
public sealed class ContactSheetTests
{
    /// <summary><paramref name="count"/> layouts of the same planted clusters, each rotated a little, with sweep settings.</summary>
    private static (List<ProjectionStage> Maps, EntityAttributes Attributes) Sweep(int count)
    {
        var (first, attributes) = PreviewImageTests.PlantedClusters(60);
        var maps = new List<ProjectionStage>();
        for (int m = 0; m < count; m++)
        {
            double angle = 0.4 * m;
            var x = new float[first.EntityCount]; var y = new float[first.EntityCount];
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = (float)(first.X[i] * Math.Cos(angle) - first.Y[i] * Math.Sin(angle));
                y[i] = (float)(first.X[i] * Math.Sin(angle) + first.Y[i] * Math.Cos(angle));
            }
            var map = new ProjectionStage(first.Entities, first.Popularity, x, y, "Umap");
            map.Provenance.WithSettings([new("Method", "Umap"), new("Neighbors", 15), new("MinDistance", 0.05 * (m + 1)), new("Perplexity", null)], ["MinDistance"]);
            maps.Add(map);
        }
        return (maps, attributes);
    }

    [Theory]
    [InlineData(8, 4, 2)]
    [InlineData(9, 3, 3)]
    [InlineData(2, 2, 1)]
    public void Every_projection_gets_its_panel_in_a_grid_readable_at_1920_pixels(int count, int columns, int rows)
    {
        var (maps, attributes) = Sweep(count);
        var labels = attributes.ToDictionary("group", maps[0].Entities);
        var panels = maps.Select(m => PreviewRenderer.DescribePanel(m, labels, _ => throw new InvalidOperationException(), StageLog.Null, default)).ToList();
        Assert.Equal("UMAP · k 15 · min_dist 0.05", panels[0].Caption);
        Assert.Contains("acc 1.000", panels[0].Scores);
        var grid = PreviewRenderer.ContactSheetGrid(count, 1920, withKey: true);
        Assert.Equal((columns, rows), (grid.Columns, grid.Rows));
        var log = new RecordingStageLog();
        var png = PreviewRenderer.RenderContactSheet(maps, panels, new PreviewOptions { Width = 1920, Height = grid.Height, Attributes = attributes, ColorProperty = "group" }, log);
        Assert.Contains($"Contact sheet: {count} panels in {columns} × {rows}, 1920 × {grid.Height} px.", log.Verbose);
        using var bitmap = SKBitmap.Decode(png);
        Assert.Equal((1920, grid.Height), (bitmap.Width, bitmap.Height));
        // Panels at 8 on 1920 pixels are at least 400 pixels wide: the clusters stay readable.
        Assert.True(1920 * 0.86 / columns >= 400 || count > 8);
        // Count the cells with points in them (saturated colours: the palette; the background and text are grey).
        float header = 54.5f, usable = 1920 * 0.86f, body = grid.Height - header;
        int inked = 0;
        for (int cell = 0; cell < columns * rows; cell++)
        {
            int c = cell % columns, r = cell / columns, colourful = 0;
            for (float fy = 0.25f; fy < 0.85f; fy += 0.01f)
                for (float fx = 0.15f; fx < 0.85f; fx += 0.01f)
                {
                    var p = bitmap.GetPixel((int)(usable * (c + fx) / columns), (int)(header + body * (r + fy) / rows));
                    if (Math.Max(p.Red, Math.Max(p.Green, p.Blue)) - Math.Min(p.Red, Math.Min(p.Green, p.Blue)) > 60) colourful++;
                }
            if (colourful > 20) inked++;
        }
        Assert.Equal(count, inked);
    }

    [Fact]
    public void Projections_of_other_entities_are_refused_with_their_caption()
    {
        var (maps, _) = Sweep(2);
        var other = new ProjectionStage(EntityIds.FromIntegers([1, 2, 3]), new int[3], new float[3], new float[3], "Umap");
        var error = Assert.Throws<EmbedPSException>(() => PreviewRenderer.RenderContactSheet([maps[0], other], [], new PreviewOptions { Width = 1920, Height = 1000 }, StageLog.Null));
        Assert.Equal("ContactSheetEntities", error.ErrorId);
    }
}
