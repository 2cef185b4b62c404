using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;

namespace EmbedPS.Tests.Atlas;

/// <summary>
/// The atlas's interaction in headless Chromium: the one filter model (legend, checkboxes, ranges, isolate, URL), lasso
/// and box selection with export, crossfilter histograms, labels that follow visibility, picking, the phone layout,
/// galaxy point sizes and accessibility. Expected answers are computed here, independently of the viewer's code.
/// </summary>
[Collection("AtlasBrowser")]
[Trait("Category", "Browser")]
public sealed class AtlasInteractionTests
{
    private readonly AtlasBrowserFixture _fixture;

    public AtlasInteractionTests(AtlasBrowserFixture fixture) { _fixture = fixture; }

    private AtlasTestData Data => _fixture.Data;
    private int Count => Data.Ids.Length;

    /// <summary>Every entity's position on screen now (CSS pixels of the map), by row.</summary>
    private static async Task<double[][]> ScreenPositionsAsync(AtlasPage page, string[] ids) =>
        await page.Eval<double[][]>("ids => ids.map(id => embedAtlas.screenPosition(id) ?? [NaN, NaN])", ids);

    private static bool Inside(double x, double y, (double X, double Y)[] polygon)
    {
        bool inside = false;
        for (int i = 0, j = polygon.Length - 1; i < polygon.Length; j = i++)
        {
            var (xi, yi) = polygon[i];
            var (xj, yj) = polygon[j];
            if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) inside = !inside;
        }
        return inside;
    }

    private static string PolygonJson((double X, double Y)[] polygon) =>
        JsonSerializer.Serialize(polygon.Select(p => new[] { p.X, p.Y }).ToArray());

    [Fact]
    public async Task Legend_checkboxes_and_the_url_read_and_write_one_filter_model()
    {
        await using var page = await _fixture.OpenAsync();
        var legendRow = (string name) => page.Page.Locator($"[data-testid=legend] .legend-row[data-category='{name}']");
        var checkbox = (string name) => page.Page.Locator($"details.filter[data-field=group] input[value='{name}']");
        await page.Page.Locator("details.filter[data-field=group] summary").ClickAsync();
        foreach (var g in AtlasTestData.Groups) Assert.Equal("true", await legendRow(g).GetAttributeAsync("aria-pressed"));

        // Hiding in the legend unticks the checkbox and writes the filter into the URL.
        await legendRow("Cluster C").ClickAsync();
        Assert.Equal("false", await legendRow("Cluster C").GetAttributeAsync("aria-pressed"));
        Assert.False(await checkbox("Cluster C").IsCheckedAsync());
        await page.Page.WaitForFunctionAsync("() => decodeURIComponent(location.hash).includes('\"group\"')");
        var groups = await page.Eval<string[]>("() => embedAtlas.state().filters.group.in");
        Assert.Equal(AtlasTestData.Groups.Where(g => g != "Cluster C").OrderBy(g => g), groups.OrderBy(g => g));

        // Unticking a checkbox hides the category in the legend too.
        await checkbox("Cluster D").UncheckAsync();
        Assert.Equal("false", await legendRow("Cluster D").GetAttributeAsync("aria-pressed"));
        Assert.Equal(Data.Group.Count(g => g != 2 && g != 3), await page.Eval<int>("() => embedAtlas.visibleCount()"));
        Assert.Equal(new[] { "Cluster C", "Cluster D" }, (await page.Eval<string[]>("() => embedAtlas.state().hidden")).OrderBy(s => s));

        // The script hook writes the same state: both views follow it.
        await page.Eval<object>("() => embedAtlas.setFilter('group', null)");
        Assert.Equal("true", await legendRow("Cluster D").GetAttributeAsync("aria-pressed"));
        Assert.True(await checkbox("Cluster D").IsCheckedAsync());

        // Counts in the legend and the checkboxes are over the points the other filters keep (here: a score range).
        await page.Eval<object>("() => embedAtlas.setFilter('score', { min: 0, max: 299.5 })");
        for (int g = 0; g < AtlasTestData.Groups.Length; g++)
        {
            int expected = Enumerable.Range(0, Count).Count(i => Data.Group[i] == g && Data.Score[i] <= 299.5);
            var name = AtlasTestData.Groups[g];
            Assert.Equal(expected.ToString("N0", CultureInfo.InvariantCulture), await legendRow(name).Locator(".count").TextContentAsync());
            Assert.Equal(expected.ToString("N0", CultureInfo.InvariantCulture), await page.Page.Locator($"details.filter[data-field=group] label:has(input[value='{name}']) .count").TextContentAsync());
        }

        // Isolating a selection is one more filter of the same model: in the URL, and a new page restores it.
        await page.Eval<object>("() => embedAtlas.isolate(['e1', 'e2', 'e3'])");
        int isolatedVisible = new[] { 1, 2, 3 }.Count(i => Data.Score[i] <= 299.5);
        Assert.Equal(isolatedVisible, await page.Eval<int>("() => embedAtlas.visibleCount()"));
        await page.Page.WaitForFunctionAsync("() => location.hash.includes('isolate=')");
        await using var again = await _fixture.OpenAsync(await page.Eval<string>("() => location.hash"));
        Assert.Equal(isolatedVisible, await again.Eval<int>("() => embedAtlas.visibleCount()"));
        Assert.Empty(page.ConsoleProblems);
    }

    [Fact]
    public async Task Lasso_and_box_select_exactly_the_visible_points_inside_and_modifiers_add_and_subtract()
    {
        await using var page = await _fixture.OpenAsync();
        // Cluster B hidden: a lasso never picks up hidden points.
        await page.Eval<object>("() => embedAtlas.setFilter('group', { in: ['Cluster A','Cluster C','Cluster D','Cluster E','Cluster F','Cluster G','Cluster H'] })");
        await page.Page.WaitForTimeoutAsync(50);
        var positions = await ScreenPositionsAsync(page, Data.Ids);
        var free = await page.Eval<double[]>("() => embedAtlas.freeRect()");
        double cx = (free[0] + free[2]) / 2, cy = (free[1] + free[3]) / 2, r = Math.Min(free[2] - free[0], free[3] - free[1]) * 0.35;
        // A concave, star-shaped polygon over the middle of the map.
        var star = Enumerable.Range(0, 10).Select(k => (cx + (k % 2 == 0 ? r : r * 0.45) * Math.Cos(k * Math.PI / 5), cy + (k % 2 == 0 ? r : r * 0.45) * Math.Sin(k * Math.PI / 5))).ToArray();
        HashSet<string> InsideOf((double X, double Y)[] polygon) =>
            Enumerable.Range(0, Count).Where(i => Data.Group[i] != 1 && Inside(positions[i][0], positions[i][1], polygon)).Select(i => Data.Ids[i]).ToHashSet();
        var expected = InsideOf(star);
        Assert.InRange(expected.Count, 20, Count - 20);
        Assert.Equal(expected.Count, await page.Eval<int>($"() => embedAtlas.selectRegion({PolygonJson(star)})"));
        Assert.Equal(expected.OrderBy(s => s), (await page.Eval<string[]>("() => embedAtlas.selection()")).OrderBy(s => s));
        Assert.False(await page.Page.Locator("[data-testid=selection]").IsHiddenAsync());
        Assert.Contains($"{expected.Count:N0} selected", await page.Page.Locator("#selection-count").TextContentAsync());

        // Add and subtract.
        var square = new[] { (free[0] + 20, free[1] + 60), (cx, free[1] + 60), (cx, cy), (free[0] + 20, cy) };
        var union = expected.Union(InsideOf(square)).ToHashSet();
        Assert.Equal(union.Count, await page.Eval<int>($"() => embedAtlas.selectRegion({PolygonJson(square)}, 'add')"));
        var difference = union.Except(InsideOf(star)).ToHashSet();
        Assert.Equal(difference.Count, await page.Eval<int>($"() => embedAtlas.selectRegion({PolygonJson(star)}, 'subtract')"));
        Assert.Equal(difference.OrderBy(s => s), (await page.Eval<string[]>("() => embedAtlas.selection()")).OrderBy(s => s));

        // With the mouse: the lasso tool, then a drag along a triangle.
        var box = (await page.Page.Locator("#overlay").BoundingBoxAsync())!;
        await page.Page.Locator("[data-testid=lasso]").ClickAsync();
        Assert.Equal("true", await page.Page.Locator("[data-testid=lasso]").GetAttributeAsync("aria-pressed"));
        var triangle = new[] { (Math.Round(cx - r), Math.Round(cy + r * 0.8)), (Math.Round(cx), Math.Round(cy - r)), (Math.Round(cx + r), Math.Round(cy + r * 0.8)) };
        await page.Page.Mouse.MoveAsync((float)(box.X + triangle[0].Item1), (float)(box.Y + triangle[0].Item2));
        await page.Page.Mouse.DownAsync();
        foreach (var (x, y) in triangle.Skip(1)) await page.Page.Mouse.MoveAsync((float)(box.X + x), (float)(box.Y + y));
        await page.Page.Mouse.UpAsync();
        var lassoed = InsideOf(triangle.Select(p => (p.Item1, p.Item2)).ToArray());
        Assert.True(lassoed.Count > 10);
        Assert.Equal(lassoed.OrderBy(s => s), (await page.Eval<string[]>("() => embedAtlas.selection()")).OrderBy(s => s));
        await page.Page.Locator("[data-testid=lasso]").ClickAsync();

        // Ctrl+drag draws a box (no tool needed); Escape clears the selection.
        (double X, double Y) a = (Math.Round(cx - r * 0.6), Math.Round(cy - r * 0.5)), b = (Math.Round(cx + r * 0.4), Math.Round(cy + r * 0.7));
        await page.Page.Keyboard.DownAsync("Control");
        await page.Page.Mouse.MoveAsync((float)(box.X + a.X), (float)(box.Y + a.Y));
        await page.Page.Mouse.DownAsync();
        await page.Page.Mouse.MoveAsync((float)(box.X + (a.X + b.X) / 2), (float)(box.Y + a.Y));
        await page.Page.Mouse.MoveAsync((float)(box.X + b.X), (float)(box.Y + b.Y));
        await page.Page.Mouse.UpAsync();
        await page.Page.Keyboard.UpAsync("Control");
        var boxed = Enumerable.Range(0, Count).Where(i => Data.Group[i] != 1 && positions[i][0] >= a.X && positions[i][0] <= b.X && positions[i][1] >= a.Y && positions[i][1] <= b.Y).Select(i => Data.Ids[i]).ToHashSet();
        Assert.True(boxed.Count > 10);
        Assert.Equal(boxed.OrderBy(s => s), (await page.Eval<string[]>("() => embedAtlas.selection()")).OrderBy(s => s));
        await page.Page.Locator("#overlay").FocusAsync();
        await page.Page.Keyboard.PressAsync("Escape");
        Assert.Empty(await page.Eval<string[]>("() => embedAtlas.selection()"));
        Assert.True(await page.Page.Locator("[data-testid=selection]").IsHiddenAsync());
        Assert.Empty(page.ConsoleProblems);
    }

    /// <summary>RFC 4180 reader: quoted cells, doubled quotes, CRLF rows.</summary>
    private static List<string[]> ParseCsv(string text)
    {
        var rows = new List<string[]>();
        var row = new List<string>();
        var cell = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { cell.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else cell.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { row.Add(cell.ToString()); cell.Clear(); }
            else if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') { row.Add(cell.ToString()); cell.Clear(); rows.Add(row.ToArray()); row = new(); i++; }
            else cell.Append(c);
        }
        Assert.False(quoted);
        Assert.Empty(row);
        return rows;
    }

    [Fact]
    public async Task Export_holds_the_id_and_every_field_of_each_selected_row_and_the_download_is_the_same()
    {
        await using var page = await _fixture.OpenAsync();
        var positions = await ScreenPositionsAsync(page, Data.Ids);
        // A box around e7 (the HTML-injection name) and e5 (accents), plus whatever lies near them.
        var chosen = new[] { 5, 7 };
        var polygon = new List<(double, double)>();
        int expectedCount = -1;
        HashSet<int> expectedRows = new();
        foreach (var row in chosen)
        {
            var square = new[] { (positions[row][0] - 6, positions[row][1] - 6), (positions[row][0] + 6, positions[row][1] - 6), (positions[row][0] + 6, positions[row][1] + 6), (positions[row][0] - 6, positions[row][1] + 6) };
            expectedCount = await page.Eval<int>($"() => embedAtlas.selectRegion({PolygonJson(square)}, 'add')");
            foreach (var i in Enumerable.Range(0, Count).Where(i => Inside(positions[i][0], positions[i][1], square))) expectedRows.Add(i);
        }
        Assert.Equal(expectedRows.Count, expectedCount);
        Assert.Contains(7, expectedRows);
        var csv = await page.Eval<string>("() => embedAtlas.exportSelection()");
        var rows = ParseCsv(csv);
        Assert.Equal(new[] { "id", "name", "group", "score", "url", "popularity" }, rows[0]);
        Assert.Equal(expectedRows.OrderBy(i => i).Select(i => Data.Ids[i]), rows.Skip(1).Select(r => r[0]));
        foreach (var r in rows.Skip(1))
        {
            int i = Array.IndexOf(Data.Ids, r[0]);
            Assert.Equal(Data.Metadata.Column("name")![i], r[1]);
            Assert.Equal(AtlasTestData.Groups[Data.Group[i]], r[2]);
            Assert.Equal(Data.Score[i], double.Parse(r[3], CultureInfo.InvariantCulture));
            Assert.Equal(i % 2 == 0 ? $"https://example.org/item/{i}" : "javascript:alert(2)", r[4]);
            Assert.Equal(Data.Embedding.Popularity[i], int.Parse(r[5], CultureInfo.InvariantCulture));
        }
        // The button downloads exactly that text.
        var download = await page.Page.RunAndWaitForDownloadAsync(() => page.Page.Locator("[data-testid=export-selection]").ClickAsync());
        Assert.Equal("selection.csv", download.SuggestedFilename);
        var path = await download.PathAsync();
        Assert.Equal(csv, await File.ReadAllTextAsync(path!));
        Assert.Empty(page.Dialogs);
    }

    [Fact]
    public async Task Histograms_and_category_counts_cover_the_points_passing_the_other_filters_and_ranges_can_be_typed()
    {
        await using var page = await _fixture.OpenAsync();
        await page.Eval<object>("() => { embedAtlas.setFilter('group', { in: ['Cluster A', 'Cluster B'] }); embedAtlas.setFilter('score', { min: 100, max: 600 }); }");
        var histogram = await page.Eval<int[]>("() => embedAtlas.histogram('score')");
        // 40 equal bins between the field's min (0) and max (999.5); the score filter itself does not narrow it.
        double lo = Data.Score.Min(), hi = Data.Score.Max(), width = (hi - lo) / 40;
        var expected = new int[40];
        for (int i = 0; i < Count; i++) if (Data.Group[i] <= 1) expected[Math.Min(39, (int)Math.Floor((Data.Score[i] - lo) / width))]++;
        Assert.Equal(expected, histogram);
        var counts = await page.Eval<int[]>("() => embedAtlas.categoryCounts('group')");
        for (int g = 0; g < AtlasTestData.Groups.Length; g++)
            Assert.Equal(Enumerable.Range(0, Count).Count(i => Data.Group[i] == g && Data.Score[i] >= 100 && Data.Score[i] <= 600), counts[g]);
        // The histogram is drawn in the filter, and its range is shown formatted and can be typed.
        await page.Page.Locator("details.filter[data-field=score] summary").ClickAsync();
        Assert.Equal(string.Join(',', expected), await page.Page.Locator("details.filter[data-field=score] canvas.histogram").GetAttributeAsync("data-counts"));
        var from = page.Page.Locator("details.filter[data-field=score] input[data-bound=min]");
        var to = page.Page.Locator("details.filter[data-field=score] input[data-bound=max]");
        Assert.Equal("100", await from.InputValueAsync());
        Assert.Equal("600", await to.InputValueAsync());
        await to.FillAsync("1,250.5");
        await to.PressAsync("Enter");
        Assert.Equal(1250.5, await page.Eval<double>("() => embedAtlas.state().filters.score?.max ?? 1250.5"));
        await to.FillAsync("250");
        await to.PressAsync("Enter");
        Assert.Equal(250, await page.Eval<double>("() => embedAtlas.state().filters.score.max"));
        Assert.Equal(Enumerable.Range(0, Count).Count(i => Data.Group[i] <= 1 && Data.Score[i] >= 100 && Data.Score[i] <= 250), await page.Eval<int>("() => embedAtlas.visibleCount()"));
        // A log-scale field's histogram bins the logarithm: popularity spans 1 … 50,000.
        var popularity = await page.Eval<int[]>("() => embedAtlas.histogram('popularity')");
        int inGroups = Enumerable.Range(0, Count).Count(i => Data.Group[i] <= 1 && Data.Score[i] >= 100 && Data.Score[i] <= 250);
        Assert.Equal(inGroups, popularity.Sum());
        Assert.Empty(page.ConsoleProblems);
    }

    [Fact]
    public async Task Labels_follow_visibility_name_regions_and_never_share_a_screen_cell()
    {
        await using var page = await _fixture.OpenAsync();
        await page.Eval<double>("() => embedAtlas.renderFrame()");
        var labels = await LabelsAsync(page);
        Assert.NotEmpty(labels);
        AssertOnePerCell(labels);
        // Regions are named by their majority group with its share: the 8 groups are well separated.
        Assert.Contains(labels, l => System.Text.RegularExpressions.Regex.IsMatch(l.Text, @"^Cluster [A-H] · \d+ %$"));

        await page.Eval<object>("() => embedAtlas.setFilter('group', ['Cluster A'])");
        foreach (var zoom in new[] { 1.0, 8.0 })
        {
            if (zoom > 1)
            {
                // Zoom on a visible point of Cluster A so entity labels show.
                int a = Array.IndexOf(Data.Group, 0);
                await page.Eval<object>($"() => embedAtlas.select('{Data.Ids[a]}')");
                await page.Page.WaitForTimeoutAsync(900);
            }
            await page.Eval<double>("() => embedAtlas.renderFrame()");
            labels = await LabelsAsync(page);
            Assert.NotEmpty(labels);
            AssertOnePerCell(labels);
            var namesOfA = Enumerable.Range(0, Count).Where(i => Data.Group[i] == 0).Select(i => Data.Metadata.Column("name")![i]).ToHashSet();
            foreach (var label in labels)
            {
                var text = label.Text;
                Assert.True(text.StartsWith("Cluster A · ", StringComparison.Ordinal) || namesOfA.Contains(text), $"label '{text}' names something hidden");
            }
        }
    }

    private sealed record Label(string Text, double X, double Y);

    private static async Task<Label[]> LabelsAsync(AtlasPage page)
    {
        var raw = await page.Eval<string[][]>("() => embedAtlas.labels().map(l => [l.text, String(l.x), String(l.y)])");
        return raw.Select(l => new Label(l[0], double.Parse(l[1], CultureInfo.InvariantCulture), double.Parse(l[2], CultureInfo.InvariantCulture))).ToArray();
    }

    private static void AssertOnePerCell(Label[] labels)
    {
        var cells = labels.Select(l => ((int)Math.Floor(l.X / 160), (int)Math.Floor(l.Y / 40))).ToList();
        Assert.Equal(cells.Count, cells.Distinct().Count());
    }

    [Fact]
    public async Task Picking_returns_the_point_drawn_on_top_under_the_cursor()
    {
        await using var page = await _fixture.OpenAsync();
        await page.Eval<object>("() => embedAtlas.zoomBy(1.6)");
        await page.Page.WaitForTimeoutAsync(50);
        var positions = await ScreenPositionsAsync(page, Data.Ids);
        var radii = await page.Eval<double[]>("ids => ids.map(id => embedAtlas.pointRadius(id))", Data.Ids);
        var ranks = await page.Eval<int[]>("ids => ids.map(id => embedAtlas.drawRank(id))", Data.Ids);
        var free = await page.Eval<double[]>("() => embedAtlas.freeRect()");
        // Probes: the centre of every 3rd point, and a spot just outside its edge.
        var probes = new List<double[]>();
        for (int i = 0; i < Count; i += 3)
        {
            if (positions[i][0] < free[0] + 20 || positions[i][0] > free[2] - 20 || positions[i][1] < free[1] + 20 || positions[i][1] > free[3] - 20) continue;
            probes.Add(new[] { positions[i][0], positions[i][1] });
            probes.Add(new[] { positions[i][0] + radii[i] + 2, positions[i][1] });
        }
        var picked = await page.Eval<string?[]>("probes => probes.map(([x, y]) => embedAtlas.pick(x, y))", probes);
        int checkedProbes = 0, covered = 0;
        for (int k = 0; k < probes.Count; k++)
        {
            double x = probes[k][0], y = probes[k][1];
            var distances = Enumerable.Range(0, Count).Select(i => Math.Sqrt(Math.Pow(positions[i][0] - x, 2) + Math.Pow(positions[i][1] - y, 2))).ToArray();
            // Skip probes on the rim of some disc, where rounding could go either way.
            if (Enumerable.Range(0, Count).Any(i => Math.Abs(distances[i] - radii[i]) < 0.05 || Math.Abs(distances[i] - radii[i] - 4) < 0.05)) continue;
            checkedProbes++;
            var hits = Enumerable.Range(0, Count).Where(i => distances[i] <= radii[i]).ToArray();
            string? expected;
            if (hits.Length > 0)
            {
                covered++;
                expected = Data.Ids[hits.OrderByDescending(i => ranks[i]).First()];
            }
            else
            {
                var near = Enumerable.Range(0, Count).Where(i => distances[i] - radii[i] <= 4).OrderBy(i => distances[i] - radii[i]).ToArray();
                expected = near.Length > 0 ? Data.Ids[near[0]] : null;
            }
            Assert.True(expected == picked[k], $"probe {x:F1},{y:F1}: expected {expected}, picked {picked[k]}");
        }
        Assert.True(checkedProbes > 300 && covered > 150, $"{checkedProbes} probes, {covered} over a point");
    }

    [Fact]
    public async Task Fit_frames_the_visible_points_clear_of_the_panels_and_a_searched_entity_lands_clear_of_the_details()
    {
        await using var page = await _fixture.OpenAsync();
        await page.Eval<object>("() => embedAtlas.setFilter('group', ['Cluster D'])");
        await page.Eval<object>("() => embedAtlas.select('e9')");
        await page.Page.WaitForTimeoutAsync(800);
        await page.Page.Locator("#fit-button").ClickAsync();
        await page.Page.WaitForTimeoutAsync(900);
        var free = await page.Eval<double[]>("() => embedAtlas.freeRect()");
        var stage = (await page.Page.Locator("#overlay").BoundingBoxAsync())!;
        foreach (var panel in new[] { "[data-testid=legend]", "[data-testid=details]", "#map-tools" })
        {
            var r = (await page.Page.Locator(panel).BoundingBoxAsync())!;
            double left = r.X - stage.X, top = r.Y - stage.Y, right = left + r.Width, bottom = top + r.Height;
            Assert.False(left < free[2] && right > free[0] && top < free[3] && bottom > free[1], $"{panel} overlaps the free rectangle");
        }
        var positions = await ScreenPositionsAsync(page, Data.Ids);
        var members = Enumerable.Range(0, Count).Where(i => Data.Group[i] == 3).ToArray();
        int inside = members.Count(i => positions[i][0] >= free[0] && positions[i][0] <= free[2] && positions[i][1] >= free[1] && positions[i][1] <= free[3]);
        Assert.True(inside >= members.Length * 0.99, $"{inside} of {members.Length} visible points inside the free part of the map");
        double spanX = members.Max(i => positions[i][0]) - members.Min(i => positions[i][0]), spanY = members.Max(i => positions[i][1]) - members.Min(i => positions[i][1]);
        Assert.True(spanX > (free[2] - free[0]) * 0.6 || spanY > (free[3] - free[1]) * 0.6, "Fit should fill the free part of the map");

        // Search → select → fly: the entity lands inside the free part, not under the details panel.
        var target = Data.Ids[Array.IndexOf(Data.Group, 3, 50)];
        await page.Page.Locator("[data-testid=search]").FillAsync(target);
        await page.Page.Locator("#search-results li").First.WaitForAsync();
        await page.Page.Locator("[data-testid=search]").PressAsync("Enter");
        await page.Page.WaitForTimeoutAsync(1000);
        var p = await page.Eval<double[]>($"() => embedAtlas.screenPosition('{target}')");
        free = await page.Eval<double[]>("() => embedAtlas.freeRect()");
        Assert.InRange(p[0], free[0], free[2]);
        Assert.InRange(p[1], free[1], free[3]);
    }

    [Fact]
    public async Task Searching_an_entity_the_filters_hide_says_so_and_offers_to_show_it()
    {
        await using var page = await _fixture.OpenAsync();
        var hiddenGroup = AtlasTestData.Groups[Data.Group[5]];
        await page.Eval<object>($"() => embedAtlas.setFilter('group', {JsonSerializer.Serialize(AtlasTestData.Groups.Where(g => g != hiddenGroup).ToArray())})");
        await page.Page.Locator("[data-testid=search]").FillAsync("café");
        await page.Page.Locator("#search-results li").First.WaitForAsync();
        Assert.Contains("hidden by filters", await page.Page.Locator("#search-results li").First.TextContentAsync());
        await page.Page.Locator("[data-testid=search]").PressAsync("Enter");
        var notice = page.Page.Locator("[data-testid=details] [data-testid=hidden-notice]");
        await notice.WaitForAsync();
        Assert.Contains("group", await notice.TextContentAsync());
        int before = await page.Eval<int>("() => embedAtlas.visibleCount()");
        await notice.Locator("[data-testid=reveal]").ClickAsync();
        await page.Page.WaitForFunctionAsync("() => !document.querySelector('[data-testid=hidden-notice]')");
        Assert.Equal(before + Data.Group.Count(g => g == Data.Group[5]), await page.Eval<int>("() => embedAtlas.visibleCount()"));
        Assert.Equal("true", await page.Page.Locator($"[data-testid=legend] .legend-row[data-category='{hiddenGroup}']").GetAttributeAsync("aria-pressed"));
    }

    [Fact]
    public async Task On_a_phone_the_drawer_legend_and_details_sheet_leave_everything_reachable_and_the_tapped_point_clear()
    {
        await using var page = await _fixture.OpenAsync(width: 390, height: 844, touch: true);
        var viewport = (Width: 390.0, Height: 844.0);
        // The sidebar is a drawer: off screen until the menu opens it.
        Assert.False(await page.Page.Locator("#sidebar").IsVisibleAsync());
        await page.Page.Locator("[data-testid=menu]").TapAsync();
        await page.Page.WaitForTimeoutAsync(300);
        Assert.True(await page.Page.Locator("#sidebar").IsVisibleAsync());
        foreach (var selector in new[] { "details.filter[data-field=group] summary", "details.filter[data-field=score] summary", "#my-items-input", "#size-slider" })
        {
            var target = page.Page.Locator(selector);
            await target.ScrollIntoViewIfNeededAsync();
            var r = (await target.BoundingBoxAsync())!;
            Assert.True(r.X >= 0 && r.X + r.Width <= viewport.Width && r.Y >= 0 && r.Y + r.Height <= viewport.Height, $"{selector} outside the screen");
        }
        await page.Page.Locator("details.filter[data-field=group] summary").TapAsync();
        await page.Page.Locator("details.filter[data-field=group] input[value='Cluster B']").TapAsync();
        Assert.Equal(Count - Data.Group.Count(g => g == 1), await page.Eval<int>("() => embedAtlas.visibleCount()"));
        await page.Page.Locator("#drawer-close").TapAsync();
        await page.Page.WaitForTimeoutAsync(300);
        Assert.False(await page.Page.Locator("#sidebar").IsVisibleAsync());
        // Every control of the top bar and the map tools is on screen.
        foreach (var selector in new[] { "[data-testid=search]", "#layout-select", "#color-select", "#mode-button", "#share-button", "#theme-button", "#zoom-in", "#zoom-out", "#fit-button", "[data-testid=lasso]", "#box-button", "#density-button", "[data-testid=legend-toggle]" })
        {
            var r = (await page.Page.Locator(selector).BoundingBoxAsync())!;
            Assert.True(r.X >= 0 && r.X + r.Width <= viewport.Width && r.Y >= 0 && r.Y + r.Height <= viewport.Height, $"{selector} outside the screen");
        }
        // The legend starts collapsed and opens on demand.
        var legend = page.Page.Locator("[data-testid=legend]");
        Assert.True((await legend.BoundingBoxAsync())!.Height < 60);
        Assert.Equal("false", await page.Page.Locator("[data-testid=legend-toggle]").GetAttributeAsync("aria-expanded"));
        await page.Page.Locator("[data-testid=legend-toggle]").TapAsync();
        Assert.Equal("true", await page.Page.Locator("[data-testid=legend-toggle]").GetAttributeAsync("aria-expanded"));
        Assert.True(await legend.Locator(".legend-row").First.IsVisibleAsync());
        await page.Page.Locator("[data-testid=legend-toggle]").TapAsync();

        // Tap a point in the lower part of the map (where the details sheet will open): it is selected and moved clear.
        var positions = await ScreenPositionsAsync(page, Data.Ids);
        var free = await page.Eval<double[]>("() => embedAtlas.freeRect()");
        var stage = (await page.Page.Locator("#overlay").BoundingBoxAsync())!;
        int chosen = Enumerable.Range(0, Count)
            .Where(i => Data.Group[i] != 1 && positions[i][0] > free[0] + 30 && positions[i][0] < free[2] - 30 && positions[i][1] > free[1] + (free[3] - free[1]) * 0.7 && positions[i][1] < free[3] - 30)
            .OrderByDescending(i => positions[i][1]).First();
        var picked = await page.Eval<string>($"() => embedAtlas.pick({positions[chosen][0].ToString(CultureInfo.InvariantCulture)}, {positions[chosen][1].ToString(CultureInfo.InvariantCulture)})");
        await page.Page.Touchscreen.TapAsync((float)(stage.X + positions[chosen][0]), (float)(stage.Y + positions[chosen][1]));
        await page.Page.WaitForFunctionAsync("() => embedAtlas.state().selected !== null");
        Assert.Equal(picked, await page.Eval<string>("() => embedAtlas.state().selected"));
        await page.Page.WaitForTimeoutAsync(1000);
        var sheet = (await page.Page.Locator("[data-testid=details]").BoundingBoxAsync())!;
        var p = await page.Eval<double[]>($"() => embedAtlas.screenPosition({JsonSerializer.Serialize(picked)})");
        double px = stage.X + p[0], py = stage.Y + p[1];
        Assert.True(py < sheet.Y - 10, $"the selected point ({px:F0},{py:F0}) should sit above the details sheet (top {sheet.Y:F0})");
        Assert.True(px > 0 && px < viewport.Width && py > stage.Y);
        var legendBox = (await legend.BoundingBoxAsync())!;
        Assert.False(px >= legendBox.X && px <= legendBox.X + legendBox.Width && py >= legendBox.Y && py <= legendBox.Y + legendBox.Height, "the selected point is under the legend");
        Assert.Empty(page.ConsoleProblems);
    }

    [Fact]
    public async Task Galaxy_points_keep_a_capped_size_labels_declutter_selection_survives_and_reset_returns_to_the_start()
    {
        await using var page = await _fixture.OpenAsync();
        // A selection made on the map survives a layout switch and galaxy mode (the same entities).
        var free = await page.Eval<double[]>("() => embedAtlas.freeRect()");
        var square = new[] { (free[0], free[1]), (free[2], free[1]), ((free[0] + free[2]) / 2, free[3]) };
        int selected = await page.Eval<int>($"() => embedAtlas.selectRegion({PolygonJson(square)})");
        Assert.True(selected > 0);
        var ids = await page.Eval<string[]>("() => embedAtlas.selection()");
        await page.Eval<object>("() => embedAtlas.setLayout('PCA')");
        Assert.Equal(ids, await page.Eval<string[]>("() => embedAtlas.selection()"));
        await page.Eval<object>("() => embedAtlas.setMode('galaxy')");
        Assert.Equal(ids, await page.Eval<string[]>("() => embedAtlas.selection()"));
        var start = await page.Eval<double[]>("() => embedAtlas.state().camera");

        // Labels in galaxy mode: one per screen cell, none overlapping.
        await page.Eval<double>("() => embedAtlas.renderFrame()");
        var labels = await LabelsAsync(page);
        Assert.NotEmpty(labels);
        AssertOnePerCell(labels);

        // Lasso in galaxy mode selects by the projected positions.
        var positions = await ScreenPositionsAsync(page, Data.Ids);
        var triangle = new[] { (free[0] + 100, free[1] + 100), (free[2] - 100, free[1] + 150), ((free[0] + free[2]) / 2, free[3] - 80) };
        var expected = Enumerable.Range(0, Count).Where(i => !double.IsNaN(positions[i][0]) && Inside(positions[i][0], positions[i][1], triangle)).Select(i => Data.Ids[i]).ToHashSet();
        Assert.Equal(expected.Count, await page.Eval<int>($"() => embedAtlas.selectRegion({PolygonJson(triangle)})"));
        await page.Eval<object>("() => embedAtlas.selectRegion([])");

        // The most popular entity alone, approached: five wheel notches after the fly-to, and it stays a few dozen pixels wide.
        await page.Eval<object>("() => embedAtlas.isolate(['e0'])");
        await page.Eval<object>("() => embedAtlas.select('e0')");
        await page.Page.WaitForTimeoutAsync(200);
        var box = (await page.Page.Locator("#overlay").BoundingBoxAsync())!;
        await page.Page.Mouse.MoveAsync(box.X + box.Width / 3, box.Y + box.Height / 2);
        for (int k = 0; k < 5; k++) await page.Page.Mouse.WheelAsync(0, -120);
        await page.Page.WaitForTimeoutAsync(300);
        var approached = await page.Eval<double[]>("() => embedAtlas.state().camera");
        Assert.True(approached[5] < 0.3, $"the camera should have approached (distance {approached[5]})");
        var radius = await page.Eval<double>("() => embedAtlas.pointRadius('e0')");
        Assert.InRange(radius, 4, 12);
        // The WebGL canvas's own pixels (a page screenshot would include the labels and rings drawn over it).
        var dataUrl = await page.Eval<string>("() => { embedAtlas.renderFrame(); return document.getElementById('gl').toDataURL('image/png'); }");
        using var shot = SkiaSharp.SKBitmap.Decode(Convert.FromBase64String(dataUrl[(dataUrl.IndexOf(',') + 1)..]));
        var background = shot.GetPixel(1, 1);
        int minX = int.MaxValue, maxX = -1, minY = int.MaxValue, maxY = -1;
        for (int y = 0; y < shot.Height; y++)
            for (int x = 0; x < shot.Width; x++)
            {
                var c = shot.GetPixel(x, y);
                if (Math.Abs(c.Red - background.Red) + Math.Abs(c.Green - background.Green) + Math.Abs(c.Blue - background.Blue) < 30) continue;
                minX = Math.Min(minX, x); maxX = Math.Max(maxX, x); minY = Math.Min(minY, y); maxY = Math.Max(maxY, y);
            }
        Assert.True(maxX >= 0, "the point should be drawn");
        Assert.InRange(maxX - minX + 1, 4, 26);
        Assert.InRange(maxY - minY + 1, 4, 26);

        // "Reset view" returns to the start.
        await page.Page.Locator("#fit-button").ClickAsync();
        Assert.Equal("Reset view", await page.Page.Locator("#fit-button").TextContentAsync());
        Assert.Equal(new[] { 0, 0, 0, 0.6, 0.35, 2.6 }, await page.Eval<double[]>("() => embedAtlas.state().camera"));
        Assert.Equal(start, new[] { 0, 0, 0, 0.6, 0.35, 2.6 });
        Assert.Empty(page.ConsoleProblems);
    }

    [Fact]
    public async Task Keyboard_and_screen_reader_attributes_focus_and_contrast()
    {
        await using var page = await _fixture.OpenAsync();
        // Legend rows are toggle buttons; Enter toggles and the focus stays on the row.
        var row = page.Page.Locator("[data-testid=legend] .legend-row[data-category='Cluster C']");
        Assert.Equal("button", await row.GetAttributeAsync("role"));
        await row.FocusAsync();
        await page.Page.Keyboard.PressAsync("Enter");
        Assert.Equal("false", await row.GetAttributeAsync("aria-pressed"));
        Assert.Equal("Cluster C", await page.Eval<string>("() => document.activeElement.dataset.category"));
        await page.Page.Keyboard.PressAsync("Enter");
        Assert.Equal("true", await row.GetAttributeAsync("aria-pressed"));
        Assert.Equal("Cluster C", await page.Eval<string>("() => document.activeElement.dataset.category"));

        // Search results: a listbox whose active option the input announces.
        var search = page.Page.Locator("[data-testid=search]");
        Assert.Equal("combobox", await search.GetAttributeAsync("role"));
        await search.FillAsync("Item 00");
        await page.Page.Locator("#search-results li").Nth(1).WaitForAsync();
        Assert.Equal("listbox", await page.Page.Locator("#search-results").GetAttributeAsync("role"));
        Assert.Equal("true", await search.GetAttributeAsync("aria-expanded"));
        await search.PressAsync("ArrowDown");
        var active = await search.GetAttributeAsync("aria-activedescendant");
        Assert.Equal("search-option-1", active);
        Assert.Equal("true", await page.Page.Locator($"#{active}").GetAttributeAsync("aria-selected"));
        Assert.Equal("option", await page.Page.Locator($"#{active}").GetAttributeAsync("role"));
        await search.PressAsync("Escape");

        // Every button has a name in words (no lone symbol such as ◐ or ×).
        var unnamed = await page.Eval<string[]>(@"() => [...document.querySelectorAll('button')]
            .map(b => [b.id || b.className, (b.getAttribute('aria-label') || b.textContent || '').trim()])
            .filter(([, name]) => !/\p{L}{2,}/u.test(name)).map(([id, name]) => id + ':' + name)");
        Assert.Empty(unnamed);

        // The map shows a focus ring when reached with the keyboard; + zooms one visible step.
        for (int k = 0; k < 80 && await page.Eval<string>("() => document.activeElement.id") != "overlay"; k++) await page.Page.Keyboard.PressAsync("Tab");
        Assert.Equal("overlay", await page.Eval<string>("() => document.activeElement.id"));
        Assert.Equal("solid", await page.Eval<string>("() => getComputedStyle(document.getElementById('overlay')).outlineStyle"));
        Assert.True(await page.Eval<double>("() => parseFloat(getComputedStyle(document.getElementById('overlay')).outlineWidth)") >= 2);
        var zoom = await page.Eval<double>("() => embedAtlas.state().camera[2]");
        await page.Page.Keyboard.PressAsync("+");
        Assert.InRange(await page.Eval<double>("() => embedAtlas.state().camera[2]") / zoom, 1.45, 1.55);

        // Text contrast of at least 4.5:1 (placeholders included) in both themes.
        foreach (var theme in new[] { "light", "dark" })
        {
            if (await page.Eval<string>("() => embedAtlas.state().theme") != theme) await page.Page.Locator("#theme-button").ClickAsync();
            Assert.Equal(theme, await page.Eval<string>("() => embedAtlas.state().theme"));
            var low = await page.Eval<string[]>(ContrastScript);
            Assert.True(low.Length == 0, $"{theme}: " + string.Join("; ", low));
        }

        // The operating system's colour scheme picks the first theme.
        await using var dark = await _fixture.OpenAsync(colorScheme: ColorScheme.Dark);
        Assert.Equal("dark", await dark.Eval<string>("() => embedAtlas.state().theme"));
        await using var light = await _fixture.OpenAsync(colorScheme: ColorScheme.Light);
        Assert.Equal("light", await light.Eval<string>("() => embedAtlas.state().theme"));
    }

    private const string ContrastScript = @"() => {
        const parse = (s) => { const m = /rgba?\(([^)]+)\)/.exec(s); if (!m) return null; const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
        const lum = (c) => { const v = c.slice(0, 3).map(x => { x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); }); return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
        const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
        const background = (el) => { for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor); if (c && c[3] > 0.5) return c; } return [255, 255, 255, 1]; };
        const low = [];
        for (const el of document.querySelectorAll('#app *')) {
          if (!(el instanceof HTMLElement) || el.closest('[hidden]') || el.matches(':disabled, option, canvas')) continue;
          if (![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
          const rect = el.getBoundingClientRect();
          if (rect.width === 0 || rect.height === 0 || getComputedStyle(el).visibility === 'hidden') continue;
          const r = ratio(parse(getComputedStyle(el).color), background(el));
          if (r < 4.5) low.push(`${el.tagName.toLowerCase()}#${el.id}.${el.className} '${el.textContent.trim().slice(0, 24)}' ${r.toFixed(2)}`);
        }
        for (const el of document.querySelectorAll('input[placeholder], textarea[placeholder]')) {
          if (el.getBoundingClientRect().width === 0) continue;
          const r = ratio(parse(getComputedStyle(el, '::placeholder').color), background(el));
          if (r < 4.5) low.push(`placeholder of #${el.id} ${r.toFixed(2)}`);
        }
        return low;
      }";

    [Fact]
    public async Task The_density_layer_draws_over_the_visible_points_only_and_lives_in_the_url()
    {
        await using var page = await _fixture.OpenAsync();
        const string painted = @"() => { embedAtlas.renderFrame(); const c = document.getElementById('overlay'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }";
        int without = await page.Eval<int>(painted);
        await page.Page.Locator("[data-testid=density]").ClickAsync();
        Assert.Equal("true", await page.Page.Locator("[data-testid=density]").GetAttributeAsync("aria-pressed"));
        int all = await page.Eval<int>(painted);
        Assert.True(all > without + 20_000, $"the density layer should cover the map's dense parts ({without} → {all} painted pixels)");
        await page.Page.WaitForFunctionAsync("() => location.hash.includes('density=1')");
        // Only the visible points count: one cluster left, far less is painted.
        await page.Eval<object>("() => embedAtlas.setFilter('group', ['Cluster A'])");
        int one = await page.Eval<int>(painted);
        Assert.True(one < all * 0.6, $"one cluster should paint less than eight ({one} vs {all})");
    }

    [Fact]
    public async Task Changed_neighbourhoods_say_how_many_neighbours_each_keeps()
    {
        await using var page = await _fixture.OpenAsync();
        await page.Page.Locator("#changes-apply").ClickAsync();
        await page.Page.Locator("#changes-list li").First.WaitForAsync();
        var entries = await page.Page.Locator("#changes-list li").AllTextContentsAsync();
        Assert.InRange(entries.Count, 1, 10);
        Assert.All(entries, e => Assert.Matches(@"keeps \d+ of 10$", e));
        Assert.Contains("highlighted", await page.Page.Locator("#changes-note").TextContentAsync());
    }

    [Fact]
    public async Task Without_WebGL2_the_page_hides_the_controls_that_cannot_work()
    {
        await using var context = await _fixture.Browser.NewContextAsync(new() { ColorScheme = ColorScheme.Dark });
        var page = await context.NewPageAsync();
        await page.AddInitScriptAsync("HTMLCanvasElement.prototype.getContext = function () { return null; };");
        await page.GotoAsync(_fixture.IndexUrl);
        await page.Locator("#nogl-image").WaitForAsync();
        foreach (var selector in new[] { "[data-testid=search]", "#sidebar", "[data-testid=legend]", "#map-tools", "#theme-button" })
            Assert.False(await page.Locator(selector).IsVisibleAsync(), $"{selector} should be hidden without WebGL2");
        Assert.Equal("dark", await page.Locator("#app").GetAttributeAsync("data-theme"));
    }
}
