using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using EmbedPS.Bench;

// The benchmark harness: every BenchCase runs its candidate and its baseline in this same process, on the same
// input, and the table reports times, peak managed memory and the ratio baseline time / candidate time.
// --peers: the side-by-side rows against SciPy, PyMDE, umap-learn and scikit-learn (Peers/PeerBench.cs), each side its own
// process; --peer-side: EmbedPS's side of one such row (Peers/EmbedPSSide.cs).
if (args.Length > 0 && args[0] == "--peer-side") return EmbedPS.Bench.Peers.EmbedPSSide.Run(args[1..]);
string? output = null, modulePath = null, pwsh = null;
bool peers = false;
var filters = new List<string>();
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--output" && i + 1 < args.Length) output = args[++i];
    else if (args[i] == "--filter" && i + 1 < args.Length) filters.Add(args[++i]);
    else if (args[i] == "--peers") peers = true;
    else if (args[i] == "--module" && i + 1 < args.Length) modulePath = args[++i];
    else if (args[i] == "--pwsh" && i + 1 < args.Length) pwsh = args[++i];
}
if (peers) return EmbedPS.Bench.Peers.PeerBench.Run(output ?? "bench-results/peers.md", filters, modulePath, pwsh);
output ??= "bench-results/results.md";

var cases = Assembly.GetExecutingAssembly().GetTypes()
    .Where(t => t.IsSubclassOf(typeof(BenchCase)) && !t.IsAbstract)
    .Select(t => (BenchCase)Activator.CreateInstance(t)!)
    .Where(c => filters.Count == 0 || filters.Any(f => c.Name.Contains(f, StringComparison.OrdinalIgnoreCase)))
    .OrderBy(c => c.Stage).ThenBy(c => c.Dataset)
    .ToList();

var rows = new List<string>();
Console.WriteLine($"EmbedPS bench: {cases.Count} cases, {Environment.ProcessorCount} cores, {RuntimeInfo()}");
foreach (var benchCase in cases)
{
    Console.WriteLine($"== {benchCase.Name}");
    try
    {
        RunCase(benchCase);
    }
    catch (Exception ex) when (ex is not OutOfMemoryException)
    {
        // One case that cannot run here (no Chromium, say) must not cost the others: its row says why.
        Console.WriteLine($"   failed: {ex.GetType().Name}: {ex.Message}");
        rows.Add($"| {benchCase.Stage} | {benchCase.Dataset} | did not run: {ex.Message.ReplaceLineEndings(" ").Replace("|", "/")} | | | | | | | |");
        try { benchCase.Cleanup(); } catch (Exception) { }
    }
}

void RunCase(BenchCase benchCase)
{
    benchCase.Prepare();
    var candidate = Measure(benchCase.RunCandidate);
    Console.WriteLine($"   EmbedPS: {candidate.Seconds:F2} s, peak {Mb(candidate.PeakBytes)} MB {Metrics(candidate.Outcome)}");
    Measured? baseline = null;
    if (benchCase.Baseline is not null)
    {
        baseline = Measure(benchCase.RunBaseline);
        Console.WriteLine($"   baseline ({benchCase.Baseline}): {baseline.Seconds:F2} s, peak {Mb(baseline.PeakBytes)} MB {Metrics(baseline.Outcome)}");
    }
    benchCase.Cleanup();
    string ratio = baseline is null ? "—" : (baseline.Seconds / candidate.Seconds).ToString("F1", CultureInfo.InvariantCulture) + "×";
    string memoryRatio = baseline is null || candidate.PeakBytes == 0 ? "—" : ((double)baseline.PeakBytes / candidate.PeakBytes).ToString("F1", CultureInfo.InvariantCulture) + "×";
    rows.Add($"| {benchCase.Stage} | {benchCase.Dataset} | {candidate.Seconds:F2} s | {Mb(candidate.PeakBytes)} MB | {benchCase.Baseline ?? "—"} | " +
             $"{(baseline is null ? "—" : baseline.Seconds.ToString("F2", CultureInfo.InvariantCulture) + " s")} | {(baseline is null ? "—" : Mb(baseline.PeakBytes) + " MB")} | {ratio} | {memoryRatio} | {Metrics(candidate.Outcome)} |");
}

var table = new StringBuilder();
table.AppendLine($"# EmbedPS benchmark — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {RuntimeInfo()}");
table.AppendLine();
table.AppendLine("Peak memory = peak managed heap above the level before the run (sampled every 5 ms). Ratio = baseline / EmbedPS, measured in this run.");
table.AppendLine();
table.AppendLine("| stage | dataset | EmbedPS time | EmbedPS peak | baseline | baseline time | baseline peak | speed-up | memory ratio | metrics |");
table.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
foreach (var row in rows) table.AppendLine(row);
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
File.WriteAllText(output, table.ToString());
Console.WriteLine();
Console.WriteLine(table);
Console.WriteLine($"Written to {Path.GetFullPath(output)}");
return 0;

static string RuntimeInfo() => System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription;
static string Mb(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("F0", CultureInfo.InvariantCulture);
static string Metrics(BenchOutcome outcome) => string.Join(", ", outcome.Select(kv => $"{kv.Key} {Format(kv.Value)}"));
static string Format(double v) => Math.Abs(v) >= 1000 ? v.ToString("N0", CultureInfo.InvariantCulture) : v.ToString("G4", CultureInfo.InvariantCulture);

static Measured Measure(Func<BenchOutcome> run)
{
    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    GC.WaitForPendingFinalizers();
    long before = GC.GetTotalMemory(forceFullCollection: true);
    long peak = before;
    using var stop = new CancellationTokenSource();
    var sampler = new Thread(() =>
    {
        while (!stop.IsCancellationRequested)
        {
            long now = GC.GetTotalMemory(false);
            if (now > Interlocked.Read(ref peak)) Interlocked.Exchange(ref peak, now);
            Thread.Sleep(5);
        }
    }) { IsBackground = true, Priority = ThreadPriority.AboveNormal };
    sampler.Start();
    var clock = Stopwatch.StartNew();
    var outcome = run();
    clock.Stop();
    long end = GC.GetTotalMemory(false);
    if (end > peak) peak = end;
    stop.Cancel();
    sampler.Join();
    return new Measured(clock.Elapsed.TotalSeconds, Math.Max(0, peak - before), outcome);
}

sealed record Measured(double Seconds, long PeakBytes, BenchOutcome Outcome);
