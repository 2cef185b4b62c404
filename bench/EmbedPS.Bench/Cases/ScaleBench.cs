using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace EmbedPS.Bench.Cases;

/// <summary>
/// The whole pipeline at 10k, 50k, 200k and 1M entities (issue 15): demo/Invoke-ScaleRun.ps1 — the documented recipe of
/// docs/scale.md — runs in a child pwsh process per size, so that each size's peak resident memory is its own and not this
/// harness's. The script times every stage and reads its peak RSS (VmHWM, reset before each stage). The row's time is the
/// child's wall time (process start and module load included); its metrics are the per-stage times and peaks. Every size
/// also goes into bench-results/scale.md with the fitted growth exponents of the sizes measured in this run.
/// Needs the built module (<c>build.ps1 -Task Build</c>). The 1M size runs only when a -BenchFilter selects it
/// (e.g. <c>-BenchFilter 'scale/1M'</c> or <c>-BenchFilter scale</c>), never in a default run: it takes many minutes.
/// </summary>
public abstract class ScaleBench : BenchCase
{
    /// <summary>Stages the growth table compares (the collections and atlas stages are reported but not fitted).</summary>
    internal static readonly string[] FittedStages = ["cooccurrence", "neighbors", "mde", "umap"];
    private static readonly List<ScaleRun> s_runs = [];

    private string _folder = "";
    private string _root = "";

    protected abstract int Entities { get; }
    /// <summary>Sizes that take too long for a default bench run say so here.</summary>
    protected virtual bool OnlyWhenSelected => false;

    public override string Stage => "scale";
    public override string Dataset => $"{Label(Entities)} entities, {Label(Entities * 6)} collections of mean size 30, top-64 co-occurrence, k = 15, MDE 3-D, UMAP, atlas";

    internal static string Label(long n) => n >= 1_000_000 && n % 1_000_000 == 0 ? $"{n / 1_000_000}M" : $"{n / 1000}k";

    public override void Prepare()
    {
        if (OnlyWhenSelected && !SelectedByFilter())
            throw new InvalidOperationException($"not part of a default run (many minutes); select it with -BenchFilter '{Stage}/{Label(Entities)}'");
        _root = FindRepositoryRoot();
        if (!File.Exists(Path.Combine(_root, "EmbedPS", "EmbedPS.psd1")))
            throw new InvalidOperationException($"the module is not built at {Path.Combine(_root, "EmbedPS")}: run build.ps1 -Task Build first");
        _folder = Path.Combine(Path.GetTempPath(), $"embedps-bench-scale-{Label(Entities)}-" + Guid.NewGuid().ToString("N")[..8]);
    }

    /// <summary>Whether one of the harness's --filter arguments names this case (the harness runs every case without one).</summary>
    private bool SelectedByFilter()
    {
        var args = Environment.GetCommandLineArgs();
        for (int i = 0; i + 1 < args.Length; i++)
        {
            if (args[i] == "--filter" && Name.Contains(args[i + 1], StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
    }

    public override BenchOutcome RunCandidate()
    {
        string result = Path.Combine(_folder, "scale-run.json");
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = _root, UseShellExecute = false };
        foreach (var a in new[] { "pwsh", "-NoProfile", "-NonInteractive", "-File", Path.Combine(_root, "demo", "Invoke-ScaleRun.ps1"),
                                  "-ModulePath", Path.Combine(_root, "EmbedPS"), "-OutputPath", _folder,
                                  "-EntityCount", Entities.ToString(CultureInfo.InvariantCulture), "-ResultPath", result })
        {
            start.ArgumentList.Add(a);
        }
        using var child = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet pwsh");
        child.WaitForExit();
        if (child.ExitCode != 0) throw new InvalidOperationException($"Invoke-ScaleRun.ps1 failed at {Label(Entities)} entities (exit code {child.ExitCode})");
        var run = ScaleRun.Read(result);
        // Kept beside the table: the per-stage JSON of each size (CPU seconds, resident memory at the stage's start, details).
        Directory.CreateDirectory(Path.Combine(_root, "bench-results"));
        File.Copy(result, Path.Combine(_root, "bench-results", $"scale-{Label(Entities)}.json"), overwrite: true);
        lock (s_runs) { s_runs.RemoveAll(r => r.Entities == run.Entities); s_runs.Add(run); }
        WriteTable(Path.Combine(_root, "bench-results", "scale.md"));

        var outcome = new BenchOutcome { ["stages s"] = run.TotalSeconds, ["peak RSS GB"] = run.PeakRssGB };
        foreach (var stage in run.Stages)
        {
            outcome[$"{stage.Name} s"] = stage.Seconds;
            outcome[$"{stage.Name} CPU s"] = stage.CpuSeconds;
            outcome[$"{stage.Name} GB"] = stage.PeakRssGB;
        }
        return outcome;
    }

    public override void Cleanup()
    {
        if (_folder.Length > 0 && Directory.Exists(_folder)) Directory.Delete(_folder, true);
    }

    /// <summary>The per-stage table of every size run so far, and the least-squares slope of log(cost) on log(entities).</summary>
    private static void WriteTable(string path)
    {
        List<ScaleRun> runs;
        lock (s_runs) runs = s_runs.OrderBy(r => r.Entities).ToList();
        var text = new StringBuilder();
        text.AppendLine($"# EmbedPS at scale — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores");
        text.AppendLine();
        text.AppendLine("demo/Invoke-ScaleRun.ps1 in a child process per size; per stage: wall time, CPU time (all threads) and the process's peak resident set during the stage.");
        text.AppendLine();
        var stages = runs.SelectMany(r => r.Stages.Select(s => s.Name)).Distinct().ToList();
        text.AppendLine("| entities | " + string.Join(" | ", stages) + " | total |");
        text.AppendLine("|---|" + string.Concat(Enumerable.Repeat("---|", stages.Count + 1)));
        foreach (var run in runs)
        {
            var cells = stages.Select(name => run.Stages.FirstOrDefault(s => s.Name == name) is { } s ? $"{s.Seconds:F1} s ({s.CpuSeconds:F0} s CPU), {s.PeakRssGB:F2} GB" : "—");
            text.AppendLine($"| {Label(run.Entities)} | {string.Join(" | ", cells)} | {run.TotalSeconds:F1} s, {run.PeakRssGB:F2} GB |");
        }
        if (runs.Count >= 2)
        {
            text.AppendLine();
            text.AppendLine("Growth: cost ∝ entities^b, b fitted by least squares on the sizes above.");
            text.AppendLine();
            text.AppendLine("| stage | wall-time exponent | CPU-time exponent | peak-memory exponent |");
            text.AppendLine("|---|---|---|---|");
            foreach (var name in FittedStages)
            {
                var points = runs.Where(r => r.Stages.Any(s => s.Name == name)).Select(r => (r.Entities, Stage: r.Stages.First(s => s.Name == name))).ToList();
                if (points.Count < 2) continue;
                double time = FitExponent(points.Select(p => ((double)p.Entities, p.Stage.Seconds)));
                double cpu = FitExponent(points.Select(p => ((double)p.Entities, p.Stage.CpuSeconds)));
                double memory = FitExponent(points.Select(p => ((double)p.Entities, p.Stage.PeakRssGB)));
                text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {time:F2} | {cpu:F2} | {memory:F2} |"));
            }
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text.ToString());
        Console.WriteLine(text);
    }

    /// <summary>Slope of the least-squares line through (log x, log y).</summary>
    internal static double FitExponent(IEnumerable<(double X, double Y)> points)
    {
        var logs = points.Where(p => p.X > 0 && p.Y > 0).Select(p => (X: Math.Log(p.X), Y: Math.Log(p.Y))).ToList();
        if (logs.Count < 2) return double.NaN;
        double mx = logs.Average(p => p.X), my = logs.Average(p => p.Y);
        double sxy = logs.Sum(p => (p.X - mx) * (p.Y - my)), sxx = logs.Sum(p => (p.X - mx) * (p.X - mx));
        return sxx == 0 ? double.NaN : sxy / sxx;
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "build.ps1")) && Directory.Exists(Path.Combine(dir.FullName, "demo"))) return dir.FullName;
        }
        throw new InvalidOperationException("cannot find the repository root (build.ps1) above " + AppContext.BaseDirectory);
    }

    private sealed record ScaleStage(string Name, double Seconds, double CpuSeconds, double PeakRssGB);

    private sealed record ScaleRun(long Entities, double TotalSeconds, double PeakRssGB, IReadOnlyList<ScaleStage> Stages)
    {
        public static ScaleRun Read(string path)
        {
            using var json = JsonDocument.Parse(File.ReadAllText(path));
            var root = json.RootElement;
            var stages = root.GetProperty("stages").EnumerateArray()
                .Select(s => new ScaleStage(s.GetProperty("stage").GetString()!, s.GetProperty("seconds").GetDouble(), s.GetProperty("cpuSeconds").GetDouble(), s.GetProperty("peakRssGB").GetDouble()))
                .ToList();
            return new ScaleRun(root.GetProperty("entityCount").GetInt64(), root.GetProperty("totalSeconds").GetDouble(), root.GetProperty("peakRssGB").GetDouble(), stages);
        }
    }
}

public sealed class Scale10kBench : ScaleBench { protected override int Entities => 10_000; }
public sealed class Scale50kBench : ScaleBench { protected override int Entities => 50_000; }
public sealed class Scale200kBench : ScaleBench { protected override int Entities => 200_000; }
public sealed class Scale1MBench : ScaleBench
{
    protected override int Entities => 1_000_000;
    protected override bool OnlyWhenSelected => true;
}
