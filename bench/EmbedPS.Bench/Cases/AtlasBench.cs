using System.Diagnostics;
using EmbedPS.Core.Atlas;
using EmbedPS.Core.Common;
using EmbedPS.Core.Mde;
using EmbedPS.Core.Preview;
using Microsoft.Playwright;
using ProjectionResult = EmbedPS.Core.Projection.Projection;

namespace EmbedPS.Bench.Cases;

/// <summary>
/// Atlas inputs at scale: two 2-D layouts of Gaussian blobs (the second a rotated, jittered copy), a 3-D embedding,
/// 50 categories, a number and a name per point. No UMAP here: export cost does not depend on how the layout was made.
/// </summary>
internal static class AtlasBenchData
{
    public static (ProjectionResult[] Layouts, Embedding Embedding, EntityAttributes Metadata) Create(int n)
    {
        var random = new DeterministicRandom(11, 3);
        const int groups = 50;
        var centres = Enumerable.Range(0, groups * 3).Select(_ => (float)(random.NextDouble() * 60 - 30)).ToArray();
        var xyz = new float[3 * n];
        var group = new int[n];
        var popularity = new int[n];
        for (int i = 0; i < n; i++)
        {
            group[i] = (int)(random.NextDouble() * random.NextDouble() * groups);
            for (int d = 0; d < 3; d++) xyz[3 * i + d] = centres[3 * group[i] + d] + (float)random.NextGaussian() * 1.5f;
            popularity[i] = (int)Math.Min(1_000_000, 1 / Math.Max(1e-6, random.NextDouble()));
        }
        var ids = EntityIds.FromIntegers(Enumerable.Range(0, n).Select(i => (long)i * 7 + 1000).ToArray());
        var x = new float[n]; var y = new float[n]; var x2 = new float[n]; var y2 = new float[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = xyz[3 * i]; y[i] = xyz[3 * i + 1];
            x2[i] = 0.6f * x[i] - 0.8f * xyz[3 * i + 2] + (float)random.NextGaussian() * 0.5f;
            y2[i] = 0.8f * x[i] + 0.6f * xyz[3 * i + 2];
        }
        var layouts = new[] { new ProjectionResult(ids, popularity, x, y, "Umap"), new ProjectionResult(ids, popularity, x2, y2, "Tsne") };
        var metadata = new EntityAttributes(n);
        metadata.Add("name", Enumerable.Range(0, n).Select(i => $"Entity {i} of group {group[i]}").ToArray());
        metadata.Add("group", group.Select(g => "group " + g).ToArray());
        metadata.Add("score", Enumerable.Range(0, n).Select(i => (i % 1000 / 10.0).ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray());
        return (layouts, new Embedding(ids, popularity, 3, xyz), metadata);
    }
}

/// <summary>Export-EmbeddingAtlas's core: time to write the folder and its data size per point.</summary>
public abstract class AtlasExportBench : BenchCase
{
    private (ProjectionResult[] Layouts, Embedding Embedding, EntityAttributes Metadata) _input;
    private string _folder = "";
    protected abstract int Points { get; }
    public override string Stage => "atlas export";
    public override string Dataset => $"{Points / 1000:N0}k points, 2 layouts, 3-D embedding, 3 metadata columns";

    public override void Prepare()
    {
        _input = AtlasBenchData.Create(Points);
        _folder = Path.Combine(Path.GetTempPath(), "embedps-bench-atlas-" + Guid.NewGuid().ToString("N")[..8]);
    }

    public override BenchOutcome RunCandidate()
    {
        var export = AtlasExporter.Write(_folder, _input.Layouts, _input.Embedding, _input.Metadata, new AtlasOptions(), StageLog.Null);
        var files = new DirectoryInfo(Path.Combine(_folder, "data")).GetFiles();
        return new BenchOutcome
        {
            ["data MB"] = export.DataBytes / 1e6,
            ["bytes/point"] = export.BytesPerPoint,
            ["folder MB"] = export.TotalBytes / 1e6,
            ["data files"] = files.Length,
            ["largest file MB"] = files.Max(f => f.Length) / 1e6,
        };
    }

    public override void Cleanup()
    {
        _input = default;
        if (Directory.Exists(_folder)) Directory.Delete(_folder, true);
    }
}

public sealed class AtlasExport100kBench : AtlasExportBench { protected override int Points => 100_000; }
public sealed class AtlasExport1mBench : AtlasExportBench { protected override int Points => 1_000_000; }

/// <summary>
/// The exported atlas in headless Chromium (SwiftShader: WebGL2 rendered on these 2 CPU cores, far slower than any GPU):
/// the timed part is opening index.html from disk until the first frame is drawn; the metrics add the in-page parse time
/// and, with the map fitted, the median frame interval while panning (one pan step a frame, 60 frames; above 250,000 points
/// the viewer draws the biggest 250,000 while the view moves) and the time of a full frame at rest; when the ids and every
/// field (loaded after the first frame, which needs only one layout and the colour and size fields) are in; then search and
/// details: when the search index (loaded after the first frame) is ready, each keystroke of a typed query handled by the
/// search box (the input event's handler: search and the result list, timed in the page), a query that matches nothing
/// (the index's slowest case: a scan of all the text), and a selection in a neighbour chunk not yet loaded until its
/// details list the neighbours; and the largest data file.
/// </summary>
public abstract class AtlasBrowserBench : BenchCase
{
    private string _folder = "";
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    protected abstract int Points { get; }
    public override string Stage => "atlas first frame (Chromium)";
    public override string Dataset => $"{Points / 1000:N0}k points, 2 layouts";

    public override void Prepare()
    {
        var input = AtlasBenchData.Create(Points);
        _folder = Path.Combine(Path.GetTempPath(), "embedps-bench-atlas-" + Guid.NewGuid().ToString("N")[..8]);
        AtlasExporter.Write(_folder, input.Layouts, input.Embedding, input.Metadata, new AtlasOptions(), StageLog.Null);
        _playwright = Playwright.CreateAsync().GetAwaiter().GetResult();
        _browser = _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium(),
            Headless = true,
            Args = new[] { "--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--disable-background-networking", "--no-first-run" },
        }).GetAwaiter().GetResult();
    }

    private static string Chromium() =>
        Environment.GetEnvironmentVariable("EMBEDPS_CHROMIUM") is { Length: > 0 } configured ? configured
        : new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome" }.FirstOrDefault(File.Exists)
          ?? throw new InvalidOperationException("The atlas browser bench needs Chromium (apt-get install chromium, or set EMBEDPS_CHROMIUM).");

    public override BenchOutcome RunCandidate() => RunAsync().GetAwaiter().GetResult();

    private async Task<BenchOutcome> RunAsync()
    {
        var page = await _browser!.NewPageAsync(new() { ViewportSize = new() { Width = 1280, Height = 800 } });
        var problems = new List<string>();
        page.PageError += (_, e) => problems.Add(e);
        var clock = Stopwatch.StartNew();
        await page.GotoAsync(new Uri(Path.Combine(_folder, "index.html")).AbsoluteUri, new() { Timeout = 300_000 });
        await page.EvaluateAsync("() => window.embedAtlas.ready");
        double wall = clock.Elapsed.TotalMilliseconds;
        if (problems.Count > 0) throw new InvalidOperationException("The atlas page failed: " + string.Join("; ", problems));
        var ready = await page.EvaluateAsync<double>("() => performance.now()");
        // The search index loads right after the first frame; the frames below are timed once it is in.
        var after = await page.EvaluateAsync<double[]>(@"async () => {
            await window.embedAtlas.searchReady();
            const t = window.embedAtlas.timings();
            // Viewers before the two-step load had every field in at the first frame.
            return [t.searchReady - t.firstFrame, t.loaded == null ? 0 : t.loaded - t.firstFrame];
        }");
        var indexReady = after[0];
        var frames = await page.EvaluateAsync<double[]>(@"async () => {
            const times = [];
            let last = performance.now();
            for (let i = 0; i < 60; i++) {
                window.embedAtlas.panBy(3, 1);
                await new Promise(r => requestAnimationFrame(r));
                const now = performance.now();
                times.push(now - last);
                last = now;
            }
            return times.sort((a, b) => a - b);
        }");
        // A full frame at rest (every point; the pan above draws the biggest 250,000 at a million points while moving).
        var full = await page.EvaluateAsync<double[]>(@"async () => {
            await new Promise(r => setTimeout(r, 400));
            const times = [];
            for (let i = 0; i < 5; i++) times.push(window.embedAtlas.renderFrame());
            return times.sort((a, b) => a - b);
        }");
        var visible = await page.EvaluateAsync<int>("() => window.embedAtlas.visibleCount()");
        if (visible != Points) throw new InvalidOperationException($"The page shows {visible} points, not {Points}.");
        // Search: the index loads after the first frame; then type a name one keystroke at a time into the search box.
        var search = await page.EvaluateAsync<double[]>(@"async query => {
            const input = document.querySelector('[data-testid=search]');
            const times = [];
            for (let i = 1; i <= query.length; i++) {
                input.value = query.slice(0, i);
                const t = performance.now();
                input.dispatchEvent(new Event('input'));
                times.push(performance.now() - t);
                await new Promise(r => requestAnimationFrame(r));
            }
            const hits = document.querySelectorAll('#search-results li[data-row]').length;
            const t = performance.now();
            const none = window.embedAtlas.search('qqqzzz');
            const noMatch = performance.now() - t;
            if (none.length !== 0 || hits === 0) throw new Error('search answered wrongly: ' + hits + ' hits, ' + none.length + ' for a query that matches nothing');
            return [0, noMatch, ...times];
        }", "entity 4242 of group");
        var later = search.Skip(3).Order().ToArray();
        // Details: select a point whose neighbour chunk is not loaded, until its neighbours are listed.
        var details = await page.EvaluateAsync<double>(@"async id => {
            const t = performance.now();
            if (!window.embedAtlas.select(id)) throw new Error('no entity ' + id);
            await window.embedAtlas.detailsReady();
            const ms = performance.now() - t;
            if (document.querySelectorAll('[data-testid=details] ol.neighbors li').length !== 10) throw new Error('the details list no neighbours');
            return ms;
        }", ((long)(Points / 2 + 123) * 7 + 1000).ToString(System.Globalization.CultureInfo.InvariantCulture));
        await page.CloseAsync();
        if (problems.Count > 0) throw new InvalidOperationException("The atlas page failed: " + string.Join("; ", problems));
        var files = new DirectoryInfo(Path.Combine(_folder, "data")).GetFiles();
        return new BenchOutcome
        {
            ["to first frame ms"] = wall,
            ["page ready ms"] = ready,
            ["pan frame median ms"] = frames[frames.Length / 2],
            ["pan frame p90 ms"] = frames[(int)(frames.Length * 0.9)],
            ["full frame at rest ms"] = full[full.Length / 2],
            ["every field in after first frame ms"] = after[1],
            ["search index ready after first frame ms"] = indexReady,
            ["first keystroke ms"] = search[2],
            ["later keystrokes median ms"] = later[later.Length / 2],
            ["later keystrokes max ms"] = later[^1],
            ["no-match search ms"] = search[1],
            ["select to details ms"] = details,
            ["largest data file MB"] = files.Max(f => f.Length) / 1e6,
        };
    }

    public override void Cleanup()
    {
        _browser?.CloseAsync().GetAwaiter().GetResult();
        _playwright?.Dispose();
        if (Directory.Exists(_folder)) Directory.Delete(_folder, true);
    }
}

public sealed class AtlasBrowser100kBench : AtlasBrowserBench { protected override int Points => 100_000; }
public sealed class AtlasBrowser1mBench : AtlasBrowserBench { protected override int Points => 1_000_000; }
