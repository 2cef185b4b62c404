using System.Text;
using System.Text.Json;
using EmbedPS.Core.Atlas;
using EmbedPS.Core.Common;
using EmbedPS.Core.Knn;
using EmbedPS.Core.Mde;
using EmbedPS.Core.Preview;
using EmbedPS.Core.Projection;
using EmbedPS.Tests.Infrastructure;

namespace EmbedPS.Tests.Atlas;

/// <summary>The exporter without a browser: what lands in the data files, how columns are typed, errors, atomicity.</summary>
[Trait("Category", "Unit")]
public sealed class AtlasExporterTests
{
    private static readonly Lazy<AtlasTestData> Shared = new(() => AtlasTestData.Create(600));

    /// <summary>Reads a data script back: the payload of its EmbedAtlasData.put call.</summary>
    internal static string Payload(string folder, string name)
    {
        var text = File.ReadAllText(Path.Combine(folder, "data", name + ".js"), Encoding.UTF8);
        var prefix = $"EmbedAtlasData.put(\"{name}\",";
        Assert.StartsWith(prefix, text);
        Assert.EndsWith(");\n", text);
        return text[prefix.Length..^3];
    }

    internal static JsonElement Meta(string folder) => JsonDocument.Parse(Payload(folder, "meta")).RootElement;

    internal static T[] Binary<T>(string folder, string name) where T : unmanaged
    {
        var base64 = JsonSerializer.Deserialize<string>(Payload(folder, name))!;
        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(Convert.FromBase64String(base64)).ToArray();
    }

    [Fact]
    public void Every_value_round_trips_through_the_data_files()
    {
        var data = Shared.Value;
        using var temp = new TempDirectory();
        var folder = temp.File("atlas");
        var export = data.Export(folder);
        var meta = Meta(folder);
        Assert.Equal(600, meta.GetProperty("count").GetInt32());
        var ids = JsonSerializer.Deserialize<string[]>(Payload(folder, "ids"))!;
        Assert.Equal(data.Ids, ids);
        // Layout 0 is the UMAP layout exactly (the reference); layout 1 is PCA after a similarity transform onto it.
        var umap = Binary<float>(folder, "layout-0");
        for (int i = 0; i < 600; i++) { Assert.Equal(data.Umap.X[i], umap[2 * i]); Assert.Equal(data.Umap.Y[i], umap[2 * i + 1]); }
        var pca = Binary<float>(folder, "layout-1");
        AssertSimilarityTransform(data.Pca.X, data.Pca.Y, pca);
        var fields = meta.GetProperty("fields").EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!);
        Assert.Equal("category", fields["group"].GetProperty("kind").GetString());
        Assert.Equal("number", fields["score"].GetProperty("kind").GetString());
        Assert.Equal("text", fields["name"].GetProperty("kind").GetString());
        Assert.Equal("text", fields["url"].GetProperty("kind").GetString());
        Assert.Equal("number", fields["popularity"].GetProperty("kind").GetString());
        var categories = fields["group"].GetProperty("categories").EnumerateArray().Select(c => c.GetString()!).ToArray();
        var codes = Binary<byte>(folder, fields["group"].GetProperty("file").GetString()!);
        for (int i = 0; i < 600; i++) Assert.Equal(AtlasTestData.Groups[data.Group[i]], categories[codes[i]]);
        var counts = fields["group"].GetProperty("counts").EnumerateArray().Select(c => c.GetInt32()).ToArray();
        Assert.Equal(counts.OrderByDescending(c => c), counts);
        var score = Binary<double>(folder, fields["score"].GetProperty("file").GetString()!);
        Assert.Equal(data.Score, score);
        var popularity = Binary<double>(folder, fields["popularity"].GetProperty("file").GetString()!);
        Assert.Equal(data.Umap.Popularity.Select(p => (double)p), popularity);
        Assert.True(fields["popularity"].GetProperty("log").GetBoolean());
        var names = JsonSerializer.Deserialize<string?[]>(Payload(folder, fields["name"].GetProperty("file").GetString()!))!;
        Assert.Equal(AtlasTestData.XssName, names[7]);
        Assert.Equal(AtlasTestData.AccentName, names[5]);
        Assert.Equal("name", meta.GetProperty("label").GetString());
        Assert.Equal("group", meta.GetProperty("color").GetString());
        Assert.Equal("url", meta.GetProperty("link").GetString());
        Assert.Equal(new[] { "UMAP", "PCA" }, meta.GetProperty("layouts").EnumerateArray().Select(l => l.GetProperty("name").GetString()));
        Assert.Equal(export.DataBytes, new DirectoryInfo(Path.Combine(folder, "data")).EnumerateFiles().Sum(f => f.Length));
        Assert.True(File.Exists(Path.Combine(folder, "preview.png")));
        Assert.Contains("<title>Test atlas</title>", File.ReadAllText(Path.Combine(folder, "index.html")));
    }

    private static void AssertSimilarityTransform(float[] sourceX, float[] sourceY, float[] aligned)
    {
        // Pairwise distances scale by one common factor under rotation, reflection, scale and translation.
        double? ratio = null;
        for (int t = 0; t < 50; t++)
        {
            int i = t * 7 % sourceX.Length, j = (t * 13 + 5) % sourceX.Length;
            if (i == j) continue;
            double before = Math.Sqrt(Math.Pow(sourceX[i] - sourceX[j], 2) + Math.Pow(sourceY[i] - sourceY[j], 2));
            double after = Math.Sqrt(Math.Pow(aligned[2 * i] - aligned[2 * j], 2) + Math.Pow(aligned[2 * i + 1] - aligned[2 * j + 1], 2));
            if (before < 1e-3) continue;
            ratio ??= after / before;
            Assert.Equal(ratio.Value, after / before, 3);
        }
    }

    [Fact]
    public void Neighbours_are_the_exact_nearest_in_the_embedding_and_galaxy_is_the_centred_embedding()
    {
        var data = Shared.Value;
        using var temp = new TempDirectory();
        var folder = temp.File("atlas");
        data.Export(folder);
        var info = Meta(folder).GetProperty("neighbors");
        var neighbors = Enumerable.Range(0, info.GetProperty("chunks").GetInt32()).SelectMany(c => Binary<int>(folder, $"neighbors-{c}")).ToArray();
        var expected = VectorKnn.Exact(data.Embedding.Coordinates, 600, 3, 10);
        Assert.Equal(expected.Indices, neighbors);
        Assert.Equal("3-D embedding", Meta(folder).GetProperty("neighbors").GetProperty("space").GetString());
        var galaxy = Binary<float>(folder, "galaxy");
        // Centred and uniformly scaled: differences between points keep their ratios to the input's.
        var c = data.Embedding.Coordinates;
        double scale = (galaxy[3] - galaxy[0]) / (c[3] - c[0]);
        for (int i = 1; i < 600; i += 37)
            for (int d = 0; d < 3; d++)
                Assert.Equal((c[3 * i + d] - c[d]) * scale, galaxy[3 * i + d] - galaxy[d], 3);
        Assert.Equal(0, Enumerable.Range(0, 600).Average(i => galaxy[3 * i]), 3);
    }

    [Fact]
    public void Neighbourhood_change_counts_the_shared_neighbours_of_two_layouts()
    {
        // Hand-made: five points on a line; layout B moves the outlier (point 4) between points 1 and 2.
        var a = new float[] { 0, 0, 1, 0, 2, 0, 3, 0, 10, 0 };
        var b = new float[] { 0, 0, 1, 0, 2, 0, 3, 0, 1.5f, 0 };
        var knnA = LowDimensionalKnn.Search(a, 5, 2, 1);
        var knnB = LowDimensionalKnn.Search(b, 5, 2, 1);
        var overlap = AtlasExporter.NeighborOverlap(knnA, knnB, 5, 1);
        // A: 0→1, 1→0 (tie 0/2: smaller index), 2→1 (tie 1/3), 3→2, 4→3. B: 0→1, 1→4, 2→4, 3→2, 4→1 (tie 1/2).
        Assert.Equal(new byte[] { 1, 0, 0, 1, 0 }, overlap);
    }

    [Fact]
    public void Unknown_property_names_are_errors_that_list_the_columns()
    {
        var data = Shared.Value;
        using var temp = new TempDirectory();
        var ex = Assert.Throws<EmbedPSException>(() => data.Export(temp.File("atlas"), new AtlasOptions { ColorProperty = "genre" }));
        Assert.Equal("AtlasUnknownProperty", ex.ErrorId);
        Assert.Contains("-ColorProperty 'genre'", ex.Message);
        Assert.Contains("name, group, score, url, popularity", ex.Message);
        var wrongKind = Assert.Throws<EmbedPSException>(() => data.Export(temp.File("atlas"), new AtlasOptions { SizeProperty = "group" }));
        Assert.Equal("AtlasPropertyWrongKind", wrongKind.ErrorId);
        Assert.False(Directory.Exists(temp.File("atlas")));
    }

    [Fact]
    public void Layouts_of_different_entities_are_refused_with_the_missing_id()
    {
        var data = Shared.Value;
        using var temp = new TempDirectory();
        var fewer = new Projection(data.Pca.Entities.Subset(Enumerable.Range(0, 599).ToArray()), data.Pca.Popularity[..599], data.Pca.X[..599], data.Pca.Y[..599], "Pca");
        var ex = Assert.Throws<EmbedPSException>(() => AtlasExporter.Write(temp.File("atlas"), new[] { data.Umap, fewer }, null, null, new AtlasOptions(), StageLog.Null));
        Assert.Equal("AtlasEntitiesDiffer", ex.ErrorId);
        Assert.Contains($"'{data.Ids[599]}'", ex.Message);
    }

    [Fact]
    public void A_failed_export_leaves_the_previous_atlas_untouched_and_no_temporary_folder()
    {
        var data = Shared.Value;
        using var temp = new TempDirectory();
        var folder = temp.File("atlas");
        data.Export(folder);
        var before = Snapshot(folder);
        var bad = new Projection(data.Umap.Entities, data.Umap.Popularity, data.Umap.X.Select((x, i) => i == 300 ? float.NaN : x).ToArray(), data.Umap.Y, "Umap");
        var ex = Assert.Throws<EmbedPSException>(() => AtlasExporter.Write(folder, new[] { bad }, null, null, new AtlasOptions(), StageLog.Null));
        Assert.Equal("AtlasNonFiniteCoordinate", ex.ErrorId);
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => AtlasExporter.Write(folder, new[] { data.Umap }, data.Embedding, null, new AtlasOptions(), StageLog.Null, cancel.Token));
        Assert.Equal(before, Snapshot(folder));
        Assert.Equal(new[] { "atlas" }, Directory.GetFileSystemEntries(temp.Path).Select(Path.GetFileName));
    }

    private static Dictionary<string, string> Snapshot(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(folder, f), f => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))));

    [Fact]
    public void A_killed_export_leaves_nothing_the_next_one_keeps_and_a_folder_it_moved_aside_comes_back()
    {
        var data = Shared.Value;
        using var temp = new TempDirectory();
        var atlas = temp.File("atlas");
        // A writer killed while building (its process id no longer runs): a half-written temporary folder.
        const int deadProcess = int.MaxValue - 7;
        var building = Path.Combine(temp.Path, $".atlas.{deadProcess}-0badf00d.tmp");
        Directory.CreateDirectory(Path.Combine(building, "data"));
        File.WriteAllText(Path.Combine(building, "data", "layout-0.js"), "EmbedAtlasData.put(\"layout-0\",\"AAAA");
        data.Export(atlas);
        Assert.False(Directory.Exists(building));
        Assert.Equal(new[] { "atlas" }, Directory.GetFileSystemEntries(temp.Path).Select(Path.GetFileName));

        // A writer killed between its two renames: the previous atlas sits aside as ….tmp.old and the target is gone.
        var aside = Path.Combine(temp.Path, $".atlas.{deadProcess}-feedf00d.tmp.old");
        Directory.Move(atlas, aside);
        var restored = Core.Artifacts.AtomicFile.RemoveStaleTemporaryFiles(atlas);
        Assert.Equal(new[] { aside }, restored);
        Assert.True(File.Exists(Path.Combine(atlas, "index.html")));
        Assert.False(Directory.Exists(aside));
    }

    [Fact]
    public void A_folder_that_is_not_an_atlas_is_never_replaced()
    {
        var data = Shared.Value;
        using var temp = new TempDirectory();
        var folder = temp.File("documents");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "thesis.txt"), "precious");
        var ex = Assert.Throws<EmbedPSException>(() => data.Export(folder));
        Assert.Equal("AtlasTargetNotAnAtlas", ex.ErrorId);
        Assert.Equal("precious", File.ReadAllText(Path.Combine(folder, "thesis.txt")));
        // An earlier atlas is replaced; a file a person put there is not the exporter's and stays.
        var atlas = temp.File("atlas");
        data.Export(atlas);
        File.WriteAllText(Path.Combine(atlas, "added.txt"), "a person's file");
        data.Export(atlas);
        Assert.Equal("a person's file", File.ReadAllText(Path.Combine(atlas, "added.txt")));
        Assert.True(File.Exists(Path.Combine(atlas, AtlasExporter.MarkerFile)));
    }

    [Fact]
    public void A_re_export_keeps_what_a_person_added_and_removes_only_its_own_stale_files()
    {
        var data = Shared.Value;
        using var temp = new TempDirectory();
        var atlas = temp.File("atlas");
        data.Export(atlas);                                             // two layouts: data/layout-1.js, data/change-0-1.js
        Assert.True(File.Exists(Path.Combine(atlas, "data", "layout-1.js")));
        File.WriteAllText(Path.Combine(atlas, "notes.txt"), "my notes");
        Directory.CreateDirectory(Path.Combine(atlas, "talk", "slides"));
        File.WriteAllText(Path.Combine(atlas, "talk", "slides", "1.md"), "# slide");
        Directory.CreateDirectory(Path.Combine(atlas, "empty-folder"));
        File.WriteAllText(Path.Combine(atlas, "data", "my-extra.js"), "// mine");
        File.WriteAllText(Path.Combine(atlas, ".hidden"), "dot file");
        var notesTime = File.GetLastWriteTimeUtc(Path.Combine(atlas, "notes.txt"));

        AtlasExporter.Write(atlas, new[] { data.Umap }, data.Embedding, data.Metadata, new AtlasOptions(), StageLog.Null);

        Assert.Equal("my notes", File.ReadAllText(Path.Combine(atlas, "notes.txt")));
        Assert.Equal(notesTime, File.GetLastWriteTimeUtc(Path.Combine(atlas, "notes.txt")));
        Assert.Equal("# slide", File.ReadAllText(Path.Combine(atlas, "talk", "slides", "1.md")));
        Assert.True(Directory.Exists(Path.Combine(atlas, "empty-folder")));
        Assert.Equal("// mine", File.ReadAllText(Path.Combine(atlas, "data", "my-extra.js")));
        Assert.Equal("dot file", File.ReadAllText(Path.Combine(atlas, ".hidden")));
        // The previous export's own files that this one does not write are gone; the marker lists exactly what it wrote.
        Assert.False(File.Exists(Path.Combine(atlas, "data", "layout-1.js")));
        Assert.False(File.Exists(Path.Combine(atlas, "data", "change-0-1.js")));
        var marker = JsonDocument.Parse(File.ReadAllText(Path.Combine(atlas, AtlasExporter.MarkerFile))).RootElement;
        var listed = marker.GetProperty("files").EnumerateArray().Select(f => f.GetString()!).ToHashSet();
        var own = Directory.EnumerateFiles(atlas, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(atlas, f).Replace('\\', '/'))
            .Where(f => f is not ("notes.txt" or "talk/slides/1.md" or "data/my-extra.js" or ".hidden")).ToHashSet();
        Assert.Equal(own.Order(), listed.Order());
        Assert.DoesNotContain("notes.txt", listed);
        // Nothing is left beside the atlas.
        Assert.Equal(new[] { "atlas" }, Directory.GetFileSystemEntries(temp.Path).Select(Path.GetFileName));

        // An atlas written before the marker listed its files: the format's fixed names are the exporter's, the rest stays.
        var legacy = JsonDocument.Parse(File.ReadAllText(Path.Combine(atlas, AtlasExporter.MarkerFile))).RootElement;
        File.WriteAllText(Path.Combine(atlas, AtlasExporter.MarkerFile), $"{{\"generator\": \"EmbedPS Export-EmbeddingAtlas\", \"points\": {legacy.GetProperty("points").GetInt32()}}}");
        File.WriteAllText(Path.Combine(atlas, "data", "layout-7.js"), "EmbedAtlasData.put(\"layout-7\",\"\");");
        data.Export(atlas);
        Assert.False(File.Exists(Path.Combine(atlas, "data", "layout-7.js")));
        Assert.Equal("my notes", File.ReadAllText(Path.Combine(atlas, "notes.txt")));
        Assert.Equal("// mine", File.ReadAllText(Path.Combine(atlas, "data", "my-extra.js")));
        Assert.True(File.Exists(Path.Combine(atlas, "data", "layout-1.js")));
    }

    [Fact]
    public void A_file_of_a_person_where_the_new_export_writes_is_refused_by_name_and_nothing_changes()
    {
        var data = Shared.Value;
        using var temp = new TempDirectory();
        var atlas = temp.File("atlas");
        AtlasExporter.Write(atlas, new[] { data.Umap }, data.Embedding, data.Metadata, new AtlasOptions(), StageLog.Null);
        // A person's file under a name the next export (two layouts) writes itself.
        File.WriteAllText(Path.Combine(atlas, "data", "layout-1.js"), "// a person's script");
        var before = Snapshot(atlas);
        var ex = Assert.Throws<EmbedPSException>(() => data.Export(atlas));
        Assert.Equal("AtlasForeignFileInTheWay", ex.ErrorId);
        Assert.Contains("data/layout-1.js", ex.Message);
        Assert.Equal(before, Snapshot(atlas));
        Assert.Equal(new[] { "atlas" }, Directory.GetFileSystemEntries(temp.Path).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Tiny_atlases_export_with_what_their_size_allows(int count)
    {
        using var temp = new TempDirectory();
        var ids = EntityIds.FromIntegers(Enumerable.Range(1, count).Select(i => (long)i).ToArray());
        var popularity = Enumerable.Repeat(5, count).ToArray();
        var a = new Projection(ids, popularity, Enumerable.Range(0, count).Select(i => (float)i).ToArray(), new float[count], "Umap");
        var b = new Projection(ids, popularity, new float[count], Enumerable.Range(0, count).Select(i => (float)i).ToArray(), "Pca");
        var embedding = new Embedding(ids, popularity, 4, Enumerable.Range(0, 4 * count).Select(i => (float)(i * i % 7)).ToArray());
        var export = AtlasExporter.Write(temp.File("atlas"), new[] { a, b }, embedding, null, new AtlasOptions(), StageLog.Null);
        Assert.Equal(count, export.PointCount);
        var meta = Meta(temp.File("atlas"));
        Assert.Equal(count > 1, meta.GetProperty("neighbors").ValueKind == JsonValueKind.Object);
        Assert.Equal(count > 1, export.Galaxy);
        Assert.Equal(count > 1 ? 1 : 0, meta.GetProperty("changes").GetArrayLength());
        var view = meta.GetProperty("layouts")[0].GetProperty("view").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Assert.True(view[2] > view[0] && view[3] > view[1], "a degenerate layout still gets a view with an area");
    }

    [Theory]
    [InlineData(new[] { "1", "2", "3.5", "", "-4e2" }, AtlasFieldKind.Number)]
    [InlineData(new[] { "rock", "pop", "rock", "jazz", "pop" }, AtlasFieldKind.Category)]
    [InlineData(new[] { "a1", "a2", "a3", "a4", "a5" }, AtlasFieldKind.Category)]
    public void Columns_are_typed_from_their_values(string[] values, AtlasFieldKind kind)
    {
        Assert.Equal(kind, AtlasField.Infer("c", values, forceCategory: false).Kind);
    }

    [Fact]
    public void Many_distinct_values_are_text_and_numeric_codes_can_be_forced_to_categories()
    {
        var unique = Enumerable.Range(0, 100).Select(i => "name " + i).ToArray();
        Assert.Equal(AtlasFieldKind.Text, AtlasField.Infer("name", unique, false).Kind);
        var codes = Enumerable.Range(0, 100).Select(i => (i % 7).ToString()).Append(null).ToArray();
        Assert.Equal(AtlasFieldKind.Number, AtlasField.Infer("cluster", codes, false).Kind);
        var forced = AtlasField.Infer("cluster", codes, true);
        Assert.Equal(AtlasFieldKind.Category, forced.Kind);
        Assert.Equal(8, forced.Categories.Length);
        Assert.Equal(AtlasField.MissingCategory, forced.Categories[forced.MissingCode]);
        Assert.Equal(forced.MissingCode, forced.Codes![100]);
        Assert.Equal(new[] { 15, 15, 14, 14, 14, 14, 14, 1 }, forced.CategoryCounts);
    }

    [Fact]
    public void Cluster_labels_name_each_planted_cluster_after_its_most_popular_member()
    {
        // Twelve far-apart squares of 100 points (k = 12 at level 0); in each, member 42 is far more popular than the rest.
        const int squares = 12;
        var xy = new float[2 * squares * 100];
        var popularity = new double[squares * 100];
        for (int i = 0; i < squares * 100; i++)
        {
            int square = i / 100;
            xy[2 * i] = (square % 4) * 100 + i % 10;
            xy[2 * i + 1] = (square / 4) * 100 + (i % 100) / 10;
            popularity[i] = i % 100 == 42 ? 1000 : 1;
        }
        var labels = AtlasClusterLabels.Compute(0, xy, squares * 100, i => "entity " + i, i => popularity[i], 1, CancellationToken.None);
        var top = labels.Where(l => l.Level == 0).ToList();
        Assert.Equal(squares, top.Count);
        foreach (var label in top)
        {
            int square = (int)(label.Y / 100) * 4 + (int)(label.X / 100);
            Assert.Equal($"entity {square * 100 + 42}", label.Text);
            Assert.Equal(100, label.Priority);
        }
        // Deeper levels split the squares further: more labels, never fewer.
        Assert.True(labels.Count(l => l.Level == 1) > squares);
    }
}
