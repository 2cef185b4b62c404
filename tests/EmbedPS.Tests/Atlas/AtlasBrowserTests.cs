using System.Text.Json;
using EmbedPS.Core.Common;
using EmbedPS.Core.Projection;
using SkiaSharp;

namespace EmbedPS.Tests.Atlas;

/// <summary>The exported atlas driven in a real headless Chromium, opened from file:// as a user double-clicking index.html.</summary>
[Collection("AtlasBrowser")]
[Trait("Category", "Browser")]
public sealed class AtlasBrowserTests
{
    private readonly AtlasBrowserFixture _fixture;

    public AtlasBrowserTests(AtlasBrowserFixture fixture) { _fixture = fixture; }

    private AtlasTestData Data => _fixture.Data;

    [Fact]
    public async Task Loads_from_file_with_no_console_errors_and_no_request_outside_its_folder()
    {
        await using var page = await _fixture.OpenAsync();
        Assert.Equal(2000, await page.Eval<int>("() => embedAtlas.pointCount()"));
        Assert.Empty(page.ConsoleProblems);
        var folder = new Uri(_fixture.AtlasFolder + "/").AbsoluteUri;
        Assert.NotEmpty(page.Requests);
        Assert.All(page.Requests, url => Assert.StartsWith(folder, url));
        // The page states its own policy: scripts only from the folder, no network at all.
        var csp = await page.Eval<string>("() => document.querySelector('meta[http-equiv=Content-Security-Policy]').content");
        Assert.Contains("script-src 'self'", csp);
        Assert.Contains("connect-src 'none'", csp);
    }

    [Fact]
    public async Task Canvas_shows_the_points_in_the_group_colours()
    {
        await using var page = await _fixture.OpenAsync();
        using var shot = await page.CanvasScreenshotAsync();
        var background = shot.GetPixel(2, 2);
        int painted = 0;
        var hues = new HashSet<int>();
        for (int y = 0; y < shot.Height; y += 2)
        {
            for (int x = 0; x < shot.Width; x += 2)
            {
                var c = shot.GetPixel(x, y);
                if (Math.Abs(c.Red - background.Red) + Math.Abs(c.Green - background.Green) + Math.Abs(c.Blue - background.Blue) < 60) continue;
                painted++;
                c.ToHsv(out var hue, out var saturation, out _);
                if (saturation > 40) hues.Add((int)(hue / 30));
            }
        }
        int sampled = shot.Width * shot.Height / 4;
        Assert.InRange(painted, sampled / 500, sampled / 2);
        Assert.True(hues.Count >= 4, $"expected the 8 group colours to cover several hues, saw {hues.Count} hue bins");
    }

    [Fact]
    public async Task Search_is_accent_and_case_insensitive_and_selecting_shows_details_and_neighbours()
    {
        await using var page = await _fixture.OpenAsync();
        var hits = await page.Eval<string[]>("() => embedAtlas.search('CAFE nan')");
        Assert.Equal("e5", hits[0]);
        // Through the UI: type, see the autocomplete, press Enter.
        await page.Page.Locator("[data-testid=search]").FillAsync("café ñ");
        await page.Page.Locator("#search-results li").First.WaitForAsync();
        Assert.Equal(AtlasTestData.AccentName, await page.Page.Locator("#search-results li .hit-label").First.TextContentAsync());
        await page.Page.Locator("[data-testid=search]").PressAsync("Enter");
        var details = page.Page.Locator("[data-testid=details]");
        await details.Locator("ol.neighbors li").First.WaitForAsync();
        Assert.Equal(AtlasTestData.AccentName, await details.Locator("h2").TextContentAsync());
        Assert.Equal("e5", await details.Locator("dd[data-field=id]").TextContentAsync());
        Assert.Equal(AtlasTestData.Groups[Data.Group[5]], await details.Locator("dd[data-field=group]").TextContentAsync());
        Assert.Equal("2.5", await details.Locator("dd[data-field=score]").TextContentAsync());
        // The neighbours are the 10 nearest in the 3-D embedding, nearest first.
        var expected = LowDimensionalKnn.Search(Data.Embedding.Coordinates, Data.Embedding.EntityCount, 3, 10).NeighborsOf(5).ToArray().Select(i => Data.Ids[i]).ToArray();
        var shown = await details.Locator("ol.neighbors button").EvaluateAllAsync<string[]>("buttons => buttons.map(b => b.dataset.id)");
        Assert.Equal(expected, shown);
        Assert.Equal("e5", await page.Eval<string>("() => embedAtlas.state().selected"));
        // A neighbour is clickable: it becomes the selection.
        await details.Locator("ol.neighbors button").First.ClickAsync();
        await page.Page.WaitForFunctionAsync($"() => embedAtlas.state().selected === '{expected[0]}'");
    }

    [Fact]
    public async Task Filters_lower_the_visible_count()
    {
        await using var page = await _fixture.OpenAsync();
        Assert.Equal(2000, await page.Eval<int>("() => embedAtlas.visibleCount()"));
        await page.Eval<object>("() => embedAtlas.setFilter('group', { in: ['Cluster A', 'Cluster B'] })");
        int expectedGroups = Data.Group.Count(g => g <= 1);
        Assert.Equal(expectedGroups, await page.Eval<int>("() => embedAtlas.visibleCount()"));
        await page.Eval<object>("() => embedAtlas.setFilter('score', { min: 100, max: 199.5 })");
        int expectedBoth = Enumerable.Range(0, 2000).Count(i => Data.Group[i] <= 1 && Data.Score[i] >= 100 && Data.Score[i] <= 199.5);
        Assert.Equal(expectedBoth, await page.Eval<int>("() => embedAtlas.visibleCount()"));
        Assert.Contains($"{expectedBoth:N0} of 2,000", await page.Page.Locator("[data-testid=visible-count]").TextContentAsync());
        // The checkbox list in the sidebar follows the filter, and unticking one more box narrows it again.
        await page.Page.Locator("details.filter[data-field=group] summary").ClickAsync();
        await page.Page.Locator("details.filter[data-field=group] input[value='Cluster B']").UncheckAsync();
        int expectedA = Enumerable.Range(0, 2000).Count(i => Data.Group[i] == 0 && Data.Score[i] >= 100 && Data.Score[i] <= 199.5);
        Assert.Equal(expectedA, await page.Eval<int>("() => embedAtlas.visibleCount()"));
    }

    [Fact]
    public async Task Legend_lists_every_category_and_clicking_one_hides_its_points()
    {
        await using var page = await _fixture.OpenAsync();
        var legend = page.Page.Locator("[data-testid=legend]");
        var names = await legend.Locator(".legend-row .legend-label").AllTextContentsAsync();
        Assert.Equal(AtlasTestData.Groups.OrderBy(g => g), names.OrderBy(n => n));
        // The colour of Cluster C's swatch, then its share of the canvas before and after a click on its legend row.
        var row = legend.Locator(".legend-row[data-category='Cluster C']");
        var swatch = await row.Locator(".swatch").EvaluateAsync<string>("s => getComputedStyle(s).backgroundColor");
        var rgb = swatch.Replace("rgb(", "").Replace(")", "").Split(',').Select(s => int.Parse(s.Trim())).ToArray();
        int before = CountColor(await page.CanvasScreenshotAsync(), rgb);
        await row.ClickAsync();
        await page.Page.WaitForFunctionAsync("() => embedAtlas.state().hidden.includes('Cluster C')");
        Assert.Equal(2000 - Data.Group.Count(g => g == 2), await page.Eval<int>("() => embedAtlas.visibleCount()"));
        await page.Page.WaitForTimeoutAsync(100);
        int after = CountColor(await page.CanvasScreenshotAsync(), rgb);
        Assert.True(before > 200, $"Cluster C should be visible at first ({before} pixels of its colour)");
        Assert.True(after < before / 20, $"Cluster C's colour should be gone after hiding it ({before} → {after} pixels)");
    }

    private static int CountColor(SKBitmap shot, int[] rgb)
    {
        using (shot)
        {
            int n = 0;
            for (int y = 0; y < shot.Height; y++)
                for (int x = 0; x < shot.Width; x++)
                {
                    var c = shot.GetPixel(x, y);
                    if (Math.Abs(c.Red - rgb[0]) + Math.Abs(c.Green - rgb[1]) + Math.Abs(c.Blue - rgb[2]) < 40) n++;
                }
            return n;
        }
    }

    [Fact]
    public async Task A_url_hash_restores_the_whole_view()
    {
        string filter = Uri.EscapeDataString("{\"score\":{\"min\":10,\"max\":500}}");
        string hidden = Uri.EscapeDataString("[\"Cluster B\"]");
        var hash = $"#layout=PCA&camera=1.5,-2,3&color=group&hide={hidden}&filter={filter}&highlight=e1,e2,e3&select=e9&theme=light";
        await using var page = await _fixture.OpenAsync(hash);
        var state = await page.Eval<JsonElement>("() => embedAtlas.state()");
        Assert.Equal("PCA", state.GetProperty("layout").GetString());
        Assert.Equal(new[] { 1.5, -2, 3 }, state.GetProperty("camera").EnumerateArray().Select(e => e.GetDouble()).ToArray());
        Assert.Equal("Cluster B", state.GetProperty("hidden")[0].GetString());
        Assert.Equal(10, state.GetProperty("filters").GetProperty("score").GetProperty("min").GetDouble());
        Assert.Equal(new[] { "e1", "e2", "e3" }, state.GetProperty("highlight").EnumerateArray().Select(e => e.GetString()).ToArray());
        Assert.Equal("e9", state.GetProperty("selected").GetString());
        Assert.Equal("Item 0009", await page.Page.Locator("[data-testid=details] h2").TextContentAsync());
        Assert.Equal("light", state.GetProperty("theme").GetString());
        int expected = Enumerable.Range(0, 2000).Count(i => Data.Group[i] != 1 && Data.Score[i] >= 10 && Data.Score[i] <= 500);
        Assert.Equal(expected, state.GetProperty("visible").GetInt32());
        // And the reverse: the page writes its state into the hash, so a copied link is this view.
        await page.Eval<object>("() => embedAtlas.setColor('score')");
        await page.Page.WaitForFunctionAsync("() => location.hash.includes('color=score')");
        var written = await page.Eval<string>("() => location.hash");
        await using var second = await _fixture.OpenAsync(written);
        var again = await second.Eval<JsonElement>("() => embedAtlas.state()");
        Assert.Equal("score", again.GetProperty("color").GetString());
        Assert.Equal("PCA", again.GetProperty("layout").GetString());
        Assert.Equal("e9", again.GetProperty("selected").GetString());
    }

    [Fact]
    public async Task Html_in_names_and_ids_is_shown_as_text_and_runs_nothing()
    {
        await using var page = await _fixture.OpenAsync();
        Assert.True(await page.Eval<bool>($"() => embedAtlas.select({JsonSerializer.Serialize(AtlasTestData.XssId)})"));
        var details = page.Page.Locator("[data-testid=details]");
        await details.Locator("h2").WaitForAsync();
        Assert.Equal(AtlasTestData.XssName, await details.Locator("h2").TextContentAsync());
        Assert.Equal(AtlasTestData.XssId, await details.Locator("dd[data-field=id]").TextContentAsync());
        await page.Page.Locator("[data-testid=search]").FillAsync("<img");
        await page.Page.Locator("#search-results li").First.WaitForAsync();
        Assert.Equal(AtlasTestData.XssName, await page.Page.Locator("#search-results li .hit-label").First.TextContentAsync());
        // No element was made from the data: the only <img> is the page's own fallback image, and no <b> exists.
        Assert.Equal(1, await page.Eval<int>("() => document.querySelectorAll('img').length"));
        Assert.Equal(0, await page.Eval<int>("() => document.querySelectorAll('b').length"));
        Assert.Empty(page.Dialogs);
        // Links only for http(s): entity e7's URL is javascript:, shown as text; e8's is https, a real link.
        Assert.Equal(0, await details.Locator("dd[data-field=url] a").CountAsync());
        Assert.Equal("javascript:alert(2)", await details.Locator("dd[data-field=url]").TextContentAsync());
        await page.Eval<bool>("() => embedAtlas.select('e8')");
        await page.Page.WaitForFunctionAsync("() => document.querySelector('[data-testid=details] h2')?.textContent === 'Item 0008'");
        var link = details.Locator("dd[data-field=url] a");
        Assert.Equal("https://example.org/item/8", await link.GetAttributeAsync("href"));
        Assert.Equal("noopener noreferrer", await link.GetAttributeAsync("rel"));
        Assert.Empty(page.ConsoleProblems);
    }

    [Fact]
    public async Task Switching_layouts_animates_and_ends_at_the_other_layout()
    {
        await using var page = await _fixture.OpenAsync();
        var start = await page.Eval<double[]>("() => embedAtlas.screenPosition('e100')");
        await page.Eval<object>("() => { window.__switch = embedAtlas.setLayout('PCA'); }");
        // Caught mid-way (polled every 16 ms through the 1.1 s animation): the progress and the point's position together.
        var caught = await page.Page.WaitForFunctionAsync(
            "() => { const p = embedAtlas.transitionProgress(); return p > 0.02 && p < 0.98 ? [p, ...embedAtlas.screenPosition('e100')] : null; }",
            null, new() { PollingInterval = 16, Timeout = 10_000 });
        var sample = await caught.JsonValueAsync<double[]>();
        var progress = sample[0];
        var middle = sample[1..];
        await page.Eval<object>("() => window.__switch");
        var end = await page.Eval<double[]>("() => embedAtlas.screenPosition('e100')");
        Assert.InRange(progress, 0.001, 0.999);
        Assert.Equal("PCA", await page.Eval<string>("() => embedAtlas.state().layout"));
        Assert.True(Distance(start, end) > 5, "e100 should sit elsewhere on the PCA layout");
        // Mid-way the point is between its two places (the animation is an interpolation, not a jump).
        Assert.True(Distance(start, middle) > 0.5 && Distance(middle, end) > 0.5, $"mid-transition position {middle[0]},{middle[1]} should be strictly between {start[0]},{start[1]} and {end[0]},{end[1]}");
        // It ends exactly where a page opened directly on the PCA layout, with the same camera, draws the point.
        var camera = await page.Eval<double[]>("() => embedAtlas.state().camera");
        await using var direct = await _fixture.OpenAsync($"#layout=PCA&camera={string.Join(',', camera.Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture)))}");
        var reference = await direct.Eval<double[]>("() => embedAtlas.screenPosition('e100')");
        Assert.True(Distance(end, reference) < 0.01, $"end {end[0]},{end[1]} vs PCA {reference[0]},{reference[1]}");
        Assert.Empty(page.ConsoleProblems);
    }

    private static double Distance(double[] a, double[] b) => Math.Sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]));

    [Fact]
    public async Task Galaxy_mode_renders_the_3D_embedding_and_flies_with_the_keyboard()
    {
        await using var page = await _fixture.OpenAsync();
        await page.Eval<object>("() => embedAtlas.setMode('galaxy')");
        await page.Page.WaitForTimeoutAsync(100);
        Assert.Equal("galaxy", await page.Eval<string>("() => embedAtlas.state().mode"));
        using var first = await page.CanvasScreenshotAsync();
        var before = await page.Eval<double[]>("() => embedAtlas.state().camera");
        await page.Page.Locator("#overlay").FocusAsync();
        await page.Page.Keyboard.DownAsync("w");
        await page.Page.WaitForTimeoutAsync(500);
        await page.Page.Keyboard.UpAsync("w");
        var after = await page.Eval<double[]>("() => embedAtlas.state().camera");
        Assert.True(Distance(before[..2], after[..2]) + Math.Abs(before[2] - after[2]) > 0.01, "W should move the camera forward");
        // Dragging orbits: the yaw changes.
        var box = (await page.Page.Locator("#overlay").BoundingBoxAsync())!;
        await page.Page.Mouse.MoveAsync(box.X + box.Width / 2, box.Y + box.Height / 2);
        await page.Page.Mouse.DownAsync();
        await page.Page.Mouse.MoveAsync(box.X + box.Width / 2 + 150, box.Y + box.Height / 2, new() { Steps = 5 });
        await page.Page.Mouse.UpAsync();
        var orbited = await page.Eval<double[]>("() => embedAtlas.state().camera");
        Assert.NotEqual(after[3], orbited[3]);
        await page.Page.WaitForTimeoutAsync(100);
        using var second = await page.CanvasScreenshotAsync();
        int painted = 0, changed = 0;
        var background = first.GetPixel(1, 1);
        for (int y = 0; y < first.Height; y += 2)
            for (int x = 0; x < first.Width; x += 2)
            {
                var a = first.GetPixel(x, y);
                if (a != background) painted++;
                if (a != second.GetPixel(x, y)) changed++;
            }
        Assert.True(painted > 500, $"galaxy mode should draw points ({painted} painted pixels)");
        Assert.True(changed > 200, $"the view should change after flying and orbiting ({changed} pixels changed)");
        Assert.Empty(page.ConsoleProblems);
    }

    [Fact]
    public async Task My_items_highlight_a_pasted_list_and_report_what_was_not_found()
    {
        await using var page = await _fixture.OpenAsync();
        await page.Page.Locator("#my-items-input").FillAsync("e10\nItem 0011\nnot-an-entity");
        await page.Page.Locator("#my-items-apply").ClickAsync();
        Assert.Contains("2 highlighted; not found: not-an-entity", await page.Page.Locator("#my-items-status").TextContentAsync());
        var highlight = await page.Eval<string[]>("() => embedAtlas.state().highlight");
        Assert.Contains("e10", highlight);
        await page.Page.WaitForFunctionAsync("() => location.hash.includes('highlight=')");
    }

    [Fact]
    public async Task Clicking_a_point_on_the_canvas_selects_it()
    {
        await using var page = await _fixture.OpenAsync();
        var position = await page.Eval<double[]>("() => embedAtlas.screenPosition('e0')");
        var box = (await page.Page.Locator("#overlay").BoundingBoxAsync())!;
        await page.Page.Mouse.ClickAsync((float)(box.X + position[0]), (float)(box.Y + position[1]));
        var selected = await page.Eval<string>("() => embedAtlas.state().selected");
        Assert.NotNull(selected);
        // The hit is e0 or an entity drawn over it within a pixel or two: either way a point under the cursor.
        var hit = await page.Eval<double[]>($"() => embedAtlas.screenPosition({JsonSerializer.Serialize(selected)})");
        Assert.True(Distance(hit, position) < 15, $"selected {selected} at {hit[0]},{hit[1]}; clicked {position[0]},{position[1]}");
        Assert.False(await page.Page.Locator("[data-testid=details]").IsHiddenAsync());
    }

    [Fact]
    public async Task Without_WebGL2_the_page_says_so_and_shows_the_still_image()
    {
        await using var context = await _fixture.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.AddInitScriptAsync("HTMLCanvasElement.prototype.getContext = function () { return null; };");
        await page.GotoAsync(_fixture.IndexUrl);
        await page.Locator("#nogl-image").WaitForAsync();
        Assert.Contains("WebGL2", await page.Locator("#nogl-message").TextContentAsync());
        await page.WaitForFunctionAsync("() => document.getElementById('nogl-image').naturalWidth > 0");
    }
}
