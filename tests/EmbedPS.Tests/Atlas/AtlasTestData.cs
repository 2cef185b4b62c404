using EmbedPS.Core.Atlas;
using EmbedPS.Core.Common;
using EmbedPS.Core.Mde;
using EmbedPS.Core.Preview;
using EmbedPS.Core.Projection;
using EmbedPS.Tests.Projections;

namespace EmbedPS.Tests.Atlas;

/// <summary>
/// A small atlas with every feature the viewer has: 8 well-separated groups in 3-D (so neighbours are unambiguous), two
/// layouts (UMAP and PCA), a numeric score, popularity, links, a name with accents and one that is an HTML injection.
/// </summary>
internal sealed class AtlasTestData
{
    public const string XssName = "<img src=x onerror=alert(1)>";
    public const string XssId = "<b>bold</b>";
    public const string AccentName = "Café Ñandú";
    public static readonly string[] Groups = { "Cluster A", "Cluster B", "Cluster C", "Cluster D", "Cluster E", "Cluster F", "Cluster G", "Cluster H" };

    public required Embedding Embedding { get; init; }
    public required Projection Umap { get; init; }
    public required Projection Pca { get; init; }
    public required EntityAttributes Metadata { get; init; }
    public required string[] Ids { get; init; }
    public required int[] Group { get; init; }
    public required double[] Score { get; init; }

    public static AtlasTestData Create(int count = 2000)
    {
        var (data, labels) = ProjectionTestData.Blobs(count, 3, Groups.Length, seed: 3, spread: 25);
        var ids = Enumerable.Range(0, count).Select(i => "e" + i).ToArray();
        ids[7] = XssId;
        var entities = EntityIds.FromStrings(ids);
        // Zipf-like popularity: a few popular entities, a long tail.
        var popularity = Enumerable.Range(0, count).Select(i => (int)Math.Max(1, 50_000 / (1 + (i * 7919 % count)))).ToArray();
        var embedding = new Embedding(entities, popularity, 3, data);
        var umap = ProjectionBuilder.Build(embedding, new ProjectionRequest { Method = ProjectionMethod.Umap, ComputeQuality = false, Umap = new UmapOptions { Seed = 5 } });
        var pca = ProjectionBuilder.Build(embedding, new ProjectionRequest { Method = ProjectionMethod.Pca, ComputeQuality = false });
        var score = Enumerable.Range(0, count).Select(i => Math.Round(i * 0.5, 1)).ToArray();
        var names = Enumerable.Range(0, count).Select(i => $"Item {i:D4}").ToArray();
        names[5] = AccentName;
        names[7] = XssName;
        var urls = Enumerable.Range(0, count).Select(i => i % 2 == 0 ? $"https://example.org/item/{i}" : "javascript:alert(2)").ToArray();
        var columns = new[] { "entity", "name", "group", "score", "url" };
        var table = new List<string?[]>
        {
            ids,
            names,
            labels.Select(g => Groups[g]).ToArray(),
            score.Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
            urls,
        };
        var metadata = EntityAttributes.FromColumns(columns, table, "entity", entities, StageLog.Null, "test metadata");
        return new AtlasTestData { Embedding = embedding, Umap = umap, Pca = pca, Metadata = metadata, Ids = ids, Group = labels, Score = score };
    }

    public AtlasExport Export(string folder, AtlasOptions? options = null) =>
        AtlasExporter.Write(folder, new[] { Umap, Pca }, Embedding, Metadata, options ?? new AtlasOptions { Title = "Test atlas", LinkProperty = "url" }, StageLog.Null);
}
