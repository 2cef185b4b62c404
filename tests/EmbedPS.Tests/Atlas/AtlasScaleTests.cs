using System.Globalization;
using System.Text;
using System.Text.Json;
using EmbedPS.Core.Atlas;
using EmbedPS.Core.Common;
using EmbedPS.Core.Mde;
using EmbedPS.Core.Preview;
using EmbedPS.Core.Projection;
using EmbedPS.Tests.Infrastructure;

namespace EmbedPS.Tests.Atlas;

/// <summary>
/// A mid-size atlas (tens of thousands of points, no UMAP: random blobs) whose names exercise search: accents, case, Greek
/// final sigma, punctuation between words, the same word twice in a name, duplicate names, tied popularity, a number and
/// a category searched too (the category with missing values).
/// </summary>
internal static class ScaleAtlasData
{
    private static readonly string[] Words =
    {
        "Café", "cafe", "Ñandú", "nandu", "Straße", "ΟΔΥΣΣΕΥΣ", "Ōsaka", "(city)", "x-ab", "ab", "abab", "Zoë", "naïve", "bar",
        "le", "Le-Mans", "über", "A.B.C", "rock/pop", "jazz,blues", "ĲSSEL", "mañana", "ab_cd", "Ab", "ba", "tab\tkey",
    };

    public static (Projection[] Layouts, Embedding Embedding, EntityAttributes Metadata, string[] Ids, string[] Names) Create(int n, int seed = 7)
    {
        var random = new Random(seed);
        var xyz = new float[3 * n];
        var popularity = new int[n];
        var ids = new string[n];
        var names = new string[n];
        var group = new string?[n];
        var score = new string[n];
        for (int i = 0; i < n; i++)
        {
            int blob = random.Next(12);
            for (int d = 0; d < 3; d++) xyz[3 * i + d] = blob * (d + 1) * 3 + (float)(random.NextDouble() * 2);
            popularity[i] = random.Next(4) == 0 ? 5 : random.Next(1, 2000);            // many ties
            ids[i] = i % 97 == 0 ? $"{i * 13}" : $"n{i}";
            int words = 1 + random.Next(3);
            names[i] = string.Join(random.Next(5) == 0 ? "-" : " ", Enumerable.Range(0, words).Select(_ => Words[random.Next(Words.Length)]))
                       + (random.Next(3) == 0 ? $" {i % 500}" : "");
            group[i] = random.Next(10) == 0 ? null : $"Grüppe {(char)('A' + random.Next(6))}";
            score[i] = (random.Next(6) switch
            {
                0 => i * 1000.0,
                1 => i / 7.0,
                2 => 1e10 + i,
                3 => 0.0001 * i,
                4 => -i * 3.25,
                _ => i,
            }).ToString("R", CultureInfo.InvariantCulture);
        }
        var entities = EntityIds.FromStrings(ids);
        var x = new float[n]; var y = new float[n];
        for (int i = 0; i < n; i++) { x[i] = xyz[3 * i]; y[i] = xyz[3 * i + 1] + xyz[3 * i + 2]; }
        var layout = new Projection(entities, popularity, x, y, "Umap");
        var metadata = EntityAttributes.FromColumns(new[] { "entity", "name", "group", "score" },
            new List<string?[]> { ids, names, group, score }, "entity", entities, StageLog.Null, "scale test metadata");
        return (new[] { layout }, new Embedding(entities, popularity, 3, xyz), metadata, ids, names);
    }

    public static readonly string[] Queries =
    {
        "cafe", "CAFÉ", "nandu", "ñ", "a", "ab", "AB ", "b", "ba", "x-ab", "-", "(", "(city", "city", "strasse", "straße", "οδυσσευς",
        "ς", "σ", "osaka", "zoe", "naive", "le", "le-m", "mans", "uber", "a.b", ".c", "rock/", "/pop", "jazz,b", "ijssel", "ĳ",
        "manana", "ab_c", "_cd", "tab", "key", "1", "12", "n1", "n12", "n123", "13", "1,0", "0.", "e+", "grüppe a", "gruppe",
        "e b", "no such thing", "zzz", "4", "499", "\"", "🙂", "n49999", "n4999", "1261", "n1261", "grüppe a\u0001", "1,261,000", "café 499",
        "ab ab", "bar ab", "b a", "e ab", "afe 4", "afé nandu", "ss eu", "a b c", "ab-ab", ". c", "é 1", "y) b",
    };
}

[Trait("Category", "Integration")]
public sealed class AtlasScaleTests
{
    private static (string Name, int Parts) Parts(JsonElement meta, string name) =>
        meta.GetProperty("parts").TryGetProperty(name, out var p) ? (name, p.GetInt32()) : (name, 1);

    /// <summary>A payload as the viewer joins it: one file, or its parts name.0.js … in order.</summary>
    private static string Joined(string folder, JsonElement meta, string name)
    {
        var (_, parts) = Parts(meta, name);
        if (parts == 1)
        {
            var payload = AtlasExporterTests.Payload(folder, name);
            return payload.StartsWith('"') ? JsString(payload) : payload;
        }
        var texts = Enumerable.Range(0, parts).Select(i => AtlasExporterTests.Payload(folder, $"{name}.{i}")).ToArray();
        return texts[0].StartsWith('"')
            ? string.Concat(texts.Select(JsString))
            : JsonSerializer.Serialize(texts.SelectMany(t => JsonSerializer.Deserialize<string?[]>(t)!));
    }

    /// <summary>A JavaScript string literal as the exporter writes them (raw characters; \" \\ \n \r \uXXXX escaped).</summary>
    private static string JsString(string literal)
    {
        Assert.True(literal.Length >= 2 && literal[0] == '"' && literal[^1] == '"');
        var text = new StringBuilder();
        for (int i = 1; i < literal.Length - 1; i++)
        {
            char c = literal[i];
            if (c != '\\') { Assert.True(c is not ('"' or '\n' or '\r')); text.Append(c); continue; }
            char e = literal[++i];
            switch (e)
            {
                case 'n': text.Append('\n'); break;
                case 'r': text.Append('\r'); break;
                case 'u': text.Append((char)int.Parse(literal.AsSpan(i + 1, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture)); i += 4; break;
                default: text.Append(e); break;
            }
        }
        return text.ToString();
    }

    private static T[] JoinedBinary<T>(string folder, JsonElement meta, string name) where T : unmanaged =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(Convert.FromBase64String(Joined(folder, meta, name))).ToArray();

    [Fact]
    public void At_50k_points_every_data_file_stays_under_the_limit_and_the_parts_join_back_to_every_value()
    {
        const int n = 50_000;
        const long limit = 150_000;
        var (layouts, embedding, metadata, ids, names) = ScaleAtlasData.Create(n);
        using var temp = new TempDirectory();
        var folder = temp.File("atlas");
        AtlasExporter.Write(folder, layouts, embedding, metadata, new AtlasOptions { MaxDataFileBytes = limit, SearchProperties = new[] { "group", "score" } }, StageLog.Null);

        var files = new DirectoryInfo(Path.Combine(folder, "data")).GetFiles();
        Assert.All(files, f => Assert.True(f.Length <= limit, $"{f.Name} has {f.Length:N0} bytes, over the {limit:N0} limit"));
        var meta = AtlasExporterTests.Meta(folder);
        var parts = meta.GetProperty("parts").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
        // Unsplit, these would be about 0.6 MB (ids), 0.5 MB (layout), 1.2 MB (names): each is in several parts.
        Assert.True(parts["ids"] > 1 && parts["layout-0"] > 1 && parts["search-text"] > 1, string.Join(", ", parts));
        foreach (var (name, count) in parts)
        {
            Assert.False(File.Exists(Path.Combine(folder, "data", name + ".js")));
            for (int p = 0; p < count; p++) Assert.True(File.Exists(Path.Combine(folder, "data", $"{name}.{p}.js")), $"{name}.{p}.js");
        }

        Assert.Equal(ids, JsonSerializer.Deserialize<string[]>(Joined(folder, meta, "ids")));
        var xy = JoinedBinary<float>(folder, meta, "layout-0");
        for (int i = 0; i < n; i++) { Assert.Equal(layouts[0].X[i], xy[2 * i]); Assert.Equal(layouts[0].Y[i], xy[2 * i + 1]); }
        var fields = meta.GetProperty("fields").EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!, f => f.GetProperty("file").GetString()!);
        Assert.Equal(names, JsonSerializer.Deserialize<string[]>(Joined(folder, meta, fields["name"])));
        Assert.Equal(layouts[0].Popularity.Select(p => (double)p), JoinedBinary<double>(folder, meta, fields["popularity"]));

        // Neighbours: chunks of rows, each file under the limit; together the exact 10 nearest in the embedding.
        var info = meta.GetProperty("neighbors");
        int chunkRows = info.GetProperty("chunkRows").GetInt32(), chunks = info.GetProperty("chunks").GetInt32();
        Assert.True(chunks > 10, $"{chunks} chunks");
        Assert.Equal((n + chunkRows - 1) / chunkRows, chunks);
        var neighbors = Enumerable.Range(0, chunks).SelectMany(c => AtlasExporterTests.Binary<int>(folder, $"neighbors-{c}")).ToArray();
        Assert.Equal(n * 10, neighbors.Length);
        var c3 = embedding.Coordinates;
        foreach (var row in new[] { 0, 1, chunkRows - 1, chunkRows, n / 2, n - 1 })
        {
            var expected = Enumerable.Range(0, n).Where(j => j != row)
                .Select(j => (j, d: Math.Pow(c3[3 * j] - c3[3 * row], 2) + Math.Pow(c3[3 * j + 1] - c3[3 * row + 1], 2) + Math.Pow(c3[3 * j + 2] - c3[3 * row + 2], 2)))
                .OrderBy(t => t.d).ThenBy(t => t.j).Take(10).ToArray();
            var got = neighbors.AsSpan(row * 10, 10).ToArray();
            // Same distances (ties may list different but equally near entities).
            var gotDistances = got.Select(j => Math.Pow(c3[3 * j] - c3[3 * row], 2) + Math.Pow(c3[3 * j + 1] - c3[3 * row + 1], 2) + Math.Pow(c3[3 * j + 2] - c3[3 * row + 2], 2)).ToArray();
            for (int t = 0; t < 10; t++) Assert.Equal(expected[t].d, gotDistances[t], 4);
        }

        // The search text: every row's normalised texts, in popularity order, each row ended by U+0002.
        var text = Joined(folder, meta, "search-text");
        var order = JoinedBinary<int>(folder, meta, "search-order");
        Assert.Equal(n, text.Count(c => c == AtlasSearchIndex.RowEnd));
        Assert.Equal(Enumerable.Range(0, n).OrderByDescending(i => layouts[0].Popularity[i]).ThenBy(i => i), order);
        var firstRow = text[..text.IndexOf(AtlasSearchIndex.RowEnd)].Split(AtlasSearchIndex.ColumnEnd);
        Assert.Equal(AtlasSearchIndex.Normalize(names[order[0]]), firstRow[0]);
        Assert.Equal(AtlasSearchIndex.Normalize(ids[order[0]]), firstRow[1]);
        Assert.Equal(4, firstRow.Length);
        // starts: sorted texts; words: sorted word starts.
        var starts = JoinedBinary<int>(folder, meta, "search-starts");
        string At(int p) { int end = text.IndexOfAny(new[] { AtlasSearchIndex.ColumnEnd, AtlasSearchIndex.RowEnd }, p); return text[p..end]; }
        for (int i = 1; i < starts.Length; i += 97) Assert.True(string.CompareOrdinal(At(starts[i - 1]), At(starts[i])) <= 0);
        var words = JoinedBinary<int>(folder, meta, "search-words");
        Assert.All(words.Where((_, i) => i % 101 == 0), p => Assert.True(AtlasSearchIndex.IsWordSeparator(text[p - 1])));
    }

    [Theory]
    [InlineData("Café Ñandú", "cafe nandu")]
    [InlineData("  ΟΔΥΣΣΕΥΣ  ", "οδυσσευς")]
    [InlineData("ΣΑΣ ΟΔΟΣ.", "σας οδος.")]
    [InlineData("İstanbul", "istanbul")]
    [InlineData("Straße", "straße")]
    [InlineData("ĲSSEL", "ĳssel")]
    [InlineData("\uFEFFname\u3000", "name")]
    [InlineData("a\u0085", "a\u0085")]
    [InlineData("Ångström", "angstrom")]
    public void The_index_normalises_text_as_the_viewer_does(string text, string expected)
    {
        Assert.Equal(expected, AtlasSearchIndex.Normalize(text));
    }

    [Theory]
    [InlineData(1234.0, "1,234")]
    [InlineData(-1234567.0, "-1,234,567")]
    [InlineData(0.5, "0.5")]
    [InlineData(1234567.5, "1234570")]
    [InlineData(1e10 + 0.5, "1.000e+10")]
    [InlineData(0.0001, "1.000e-4")]
    [InlineData(1.0 / 7, "0.142857")]
    [InlineData(-111260.5, "-111261")]
    [InlineData(111260.25, "111260")]
    [InlineData(999999.5, "1000000")]
    [InlineData(1.0005e12, "1,000,500,000,000")]
    [InlineData(1.0005e12 + 0.5, "1.001e+12")]
    [InlineData(-0.00048828125, "-4.883e-4")]
    [InlineData(0.0012345, "0.0012345")]
    public void Numbers_are_searched_as_the_page_shows_them(double value, string shown)
    {
        Assert.Equal(shown, AtlasSearchIndex.FormatNumber(value));
    }
}
