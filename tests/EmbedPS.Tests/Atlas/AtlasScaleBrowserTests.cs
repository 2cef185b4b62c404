using System.Text.Json;
using EmbedPS.Core.Atlas;
using EmbedPS.Core.Common;
using EmbedPS.Tests.Infrastructure;

namespace EmbedPS.Tests.Atlas;

/// <summary>
/// A 50,000-point atlas exported with a small file limit (150 kB: every payload in parts, the neighbours in dozens of
/// chunks), opened from file:// in headless Chromium: the parts join, search from the exporter's index answers exactly
/// what the plain scan answers, and selecting a point loads just its neighbour chunk.
/// </summary>
[Collection("AtlasBrowser")]
[Trait("Category", "Browser")]
public sealed class AtlasScaleBrowserTests
{
    private const int Points = 50_000;
    private readonly AtlasBrowserFixture _fixture;

    public AtlasScaleBrowserTests(AtlasBrowserFixture fixture) { _fixture = fixture; }

    [Fact]
    public async Task At_50k_points_the_index_answers_as_the_plain_scan_and_a_selection_loads_only_its_neighbour_chunk()
    {
        var (layouts, embedding, metadata, ids, names) = ScaleAtlasData.Create(Points);
        using var temp = new TempDirectory();
        var folder = temp.File("atlas");
        AtlasExporter.Write(folder, layouts, embedding, metadata,
            new AtlasOptions { MaxDataFileBytes = 150_000, SearchProperties = new[] { "group", "score" }, FallbackImage = false }, StageLog.Null);
        var meta = AtlasExporterTests.Meta(folder);
        int chunkRows = meta.GetProperty("neighbors").GetProperty("chunkRows").GetInt32();
        int chunks = meta.GetProperty("neighbors").GetProperty("chunks").GetInt32();

        var page = await _fixture.Browser.NewPageAsync(new() { ViewportSize = new() { Width = 1000, Height = 700 } });
        var problems = new List<string>();
        var requests = new List<string>();
        page.Console += (_, m) => { if (m.Type is "error" or "warning") problems.Add(m.Text); };
        page.PageError += (_, e) => problems.Add(e);
        page.Request += (_, r) => { lock (requests) requests.Add(r.Url); };
        try
        {
            await page.GotoAsync(new Uri(Path.Combine(folder, "index.html")).AbsoluteUri);
            await page.EvaluateAsync("() => window.embedAtlas.ready");
            await page.EvaluateAsync("() => window.embedAtlas.loaded");
            Assert.Equal(Points, await page.EvaluateAsync<int>("() => embedAtlas.pointCount()"));
            await page.EvaluateAsync("() => embedAtlas.searchReady()");

            // Every query of the fixture: the index's 100 best equal the plain scan's, in order.
            var results = await page.EvaluateAsync<JsonElement>(@"queries => queries.map(q => {
                const index = embedAtlas.search(q), naive = embedAtlas.searchNaive(q);
                return { q, index, naive };
            })", ScaleAtlasData.Queries);
            int full = 0, some = 0;
            foreach (var r in results.EnumerateArray())
            {
                var q = r.GetProperty("q").GetString();
                var index = r.GetProperty("index").EnumerateArray().Select(e => e.GetString()).ToArray();
                var naive = r.GetProperty("naive").EnumerateArray().Select(e => e.GetString()).ToArray();
                Assert.True(naive.SequenceEqual(index), $"query '{q}': index [{string.Join(", ", index.Take(12))}] vs plain scan [{string.Join(", ", naive.Take(12))}] ({index.Length} vs {naive.Length} hits; only in the index: {string.Join(", ", index.Except(naive))}; only in the scan: {string.Join(", ", naive.Except(index))})");
                if (index.Length == 100) full++;
                if (index.Length is > 0 and < 100) some++;
            }
            Assert.True(full >= 15 && some >= 5, $"{full} queries filled 100 results, {some} found fewer: the fixture should exercise both");
            // "My items" finds names exactly through the index too.
            var exactName = names[123];
            var expectedExact = Enumerable.Range(0, Points).Where(i => AtlasSearchIndex.Normalize(names[i]) == AtlasSearchIndex.Normalize(exactName)
                || AtlasSearchIndex.Normalize(ids[i]) == AtlasSearchIndex.Normalize(exactName)).Count();
            var highlighted = await page.EvaluateAsync<JsonElement>("name => embedAtlas.highlight([name])", exactName);
            Assert.Equal(expectedExact, highlighted.GetProperty("matched").GetInt32());

            // A point in the last chunk: until it is selected its chunk is not loaded; then the details show its neighbours.
            int row = Points - 1;
            Assert.True(row / chunkRows == chunks - 1);
            string ChunkFile(int c) => $"/data/neighbors-{c}.js";
            lock (requests) Assert.DoesNotContain(requests, u => u.EndsWith(ChunkFile(chunks - 1), StringComparison.Ordinal));
            var shown = await page.EvaluateAsync<string[]>(@"async id => {
                embedAtlas.select(id);
                await embedAtlas.detailsReady();
                return [...document.querySelectorAll('[data-testid=details] ol.neighbors button')].map(b => b.dataset.id);
            }", ids[row]);
            var chunk = AtlasExporterTests.Binary<int>(folder, $"neighbors-{chunks - 1}");
            int first = (row - (chunks - 1) * chunkRows) * 10;
            Assert.Equal(chunk.Skip(first).Take(10).Select(i => ids[i]), shown);
            // The neighbours are the exact 10 nearest in the embedding (by distance; ties may swap equally near entities).
            var c3 = embedding.Coordinates;
            double D(int j) => Math.Pow(c3[3 * j] - c3[3 * row], 2) + Math.Pow(c3[3 * j + 1] - c3[3 * row + 1], 2) + Math.Pow(c3[3 * j + 2] - c3[3 * row + 2], 2);
            var nearest = Enumerable.Range(0, Points).Where(j => j != row).Select(D).Order().Take(10).ToArray();
            var idRow = ids.Select((id, i) => (id, i)).ToDictionary(t => t.id, t => t.i);
            Assert.Equal(nearest, shown.Select(id => D(idRow[id])).ToArray(), (a, b) => Math.Abs(a - b) < 1e-4);
            lock (requests)
            {
                var loaded = requests.Where(u => u.Contains("/data/neighbors-", StringComparison.Ordinal)).ToArray();
                Assert.Equal(new[] { new Uri(Path.Combine(folder, "data", $"neighbors-{chunks - 1}.js")).AbsoluteUri }, loaded);
                Assert.All(requests, u => Assert.StartsWith(new Uri(folder).AbsoluteUri, u));
            }
            // A second point in another chunk loads that chunk too.
            var other = await page.EvaluateAsync<string[]>(@"async id => {
                embedAtlas.select(id);
                await embedAtlas.detailsReady();
                return [...document.querySelectorAll('[data-testid=details] ol.neighbors button')].map(b => b.dataset.id);
            }", ids[5]);
            Assert.Equal(AtlasExporterTests.Binary<int>(folder, "neighbors-0").Skip(50).Take(10).Select(i => ids[i]), other);

            // Through the UI: each keystroke answers at once (no wait for a pause in typing), and the first hit's
            // neighbour chunk is fetched before Enter selects it.
            await page.Locator("[data-testid=search]").PressSequentiallyAsync("οδυσσ");
            await page.Locator("#search-results li .hit-label").First.WaitForAsync();
            Assert.Contains("ΟΔΥΣΣΕΥΣ", await page.Locator("#search-results li .hit-label").First.TextContentAsync());
            int hit = int.Parse(await page.Locator("#search-results li").First.GetAttributeAsync("data-row") ?? "-1", System.Globalization.CultureInfo.InvariantCulture);
            var hitChunk = new Uri(Path.Combine(folder, "data", $"neighbors-{hit / chunkRows}.js")).AbsoluteUri;
            for (int wait = 0; wait < 50; wait++) { lock (requests) if (requests.Contains(hitChunk)) break; await Task.Delay(100); }
            lock (requests) Assert.Contains(hitChunk, requests);
            await page.Locator("[data-testid=search]").PressAsync("Enter");
            await page.EvaluateAsync("() => embedAtlas.detailsReady()");
            Assert.Equal(10, await page.Locator("[data-testid=details] ol.neighbors li").CountAsync());
            Assert.Empty(problems);
        }
        finally
        {
            await page.CloseAsync();
        }
    }
}
