using System.Collections.Concurrent;
using EmbedPS.Core.Atlas;
using EmbedPS.Tests.Infrastructure;
using Microsoft.Playwright;

namespace EmbedPS.Tests.Atlas;

/// <summary>
/// One exported test atlas and one headless Chromium (the system's, driven by Playwright; WebGL2 through SwiftShader) for
/// every browser test. Chromium comes from EMBEDPS_CHROMIUM or the PATH (chromium, chromium-browser, google-chrome);
/// `build.ps1 -Task Test` installs Debian's when it runs as root. Playwright's own browser download is never used.
/// </summary>
public sealed class AtlasBrowserFixture : IAsyncLifetime
{
    private readonly TempDirectory _temp = new();
    private IPlaywright? _playwright;

    internal AtlasTestData Data { get; } = AtlasTestData.Create();
    public IBrowser Browser { get; private set; } = null!;
    public string AtlasFolder => Path.Combine(_temp.Path, "atlas");
    public string IndexUrl => new Uri(Path.Combine(AtlasFolder, "index.html")).AbsoluteUri;
    internal AtlasExport Export { get; private set; } = null!;

    public static string ChromiumPath()
    {
        var configured = Environment.GetEnvironmentVariable("EMBEDPS_CHROMIUM");
        if (!string.IsNullOrEmpty(configured) && File.Exists(configured)) return configured;
        foreach (var name in new[] { "chromium", "chromium-browser", "google-chrome", "google-chrome-stable" })
        {
            foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
            {
                var candidate = Path.Combine(dir, name);
                if (File.Exists(candidate)) return candidate;
            }
        }
        throw new InvalidOperationException(
            "The atlas browser tests need Chromium and found none: install it (Debian/Ubuntu: sudo apt-get install chromium; `build.ps1 -Task Test` does this itself when run as root) or set EMBEDPS_CHROMIUM to a Chromium or Chrome executable.");
    }

    public static readonly string[] ChromiumArgs =
    {
        "--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    };

    public async Task InitializeAsync()
    {
        Export = Data.Export(AtlasFolder);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new() { ExecutablePath = ChromiumPath(), Headless = true, Args = ChromiumArgs });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        _playwright?.Dispose();
        _temp.Dispose();
    }

    /// <summary>A fresh page on the atlas (optionally with a hash), ready; records console errors, page errors, dialogs and every request.</summary>
    internal async Task<AtlasPage> OpenAsync(string hash = "", int width = 1200, int height = 800, bool touch = false, ColorScheme colorScheme = ColorScheme.Light)
    {
        var page = await Browser.NewPageAsync(new() { ViewportSize = new() { Width = width, Height = height }, HasTouch = touch, ColorScheme = colorScheme, AcceptDownloads = true });
        var result = new AtlasPage(page);
        page.Console += (_, message) => { if (message.Type is "error" or "warning") result.ConsoleProblems.Add($"{message.Type}: {message.Text}"); };
        page.PageError += (_, error) => result.ConsoleProblems.Add("pageerror: " + error);
        page.Dialog += async (_, dialog) => { result.Dialogs.Add(dialog.Message); await dialog.DismissAsync(); };
        page.Request += (_, request) => result.Requests.Add(request.Url);
        await page.GotoAsync(IndexUrl + hash);
        // The first frame, then the rest of the data (ids, every column, the filters): every hook answers after both.
        await page.EvaluateAsync("() => window.embedAtlas.ready");
        await page.EvaluateAsync("() => window.embedAtlas.loaded");
        return result;
    }
}

internal sealed class AtlasPage : IAsyncDisposable
{
    public AtlasPage(IPage page) { Page = page; }

    public IPage Page { get; }
    public ConcurrentBag<string> ConsoleProblems { get; } = new();
    public ConcurrentBag<string> Dialogs { get; } = new();
    public ConcurrentBag<string> Requests { get; } = new();

    public Task<T> Eval<T>(string script, object? argument = null) => Page.EvaluateAsync<T>(script, argument);

    public async Task<SkiaSharp.SKBitmap> CanvasScreenshotAsync()
    {
        // Draw the current state now (and wait for the GPU), so the picture never lags a change the test just made.
        await Page.EvaluateAsync<double>("() => window.embedAtlas.renderFrame()");
        var png = await Page.Locator("[data-testid=canvas]").ScreenshotAsync();
        return SkiaSharp.SKBitmap.Decode(png);
    }

    public async ValueTask DisposeAsync() => await Page.CloseAsync();
}

[CollectionDefinition("AtlasBrowser")]
public sealed class AtlasBrowserCollection : ICollectionFixture<AtlasBrowserFixture> { }
