using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace EmbedPS.Bench.Cases;

/// <summary>
/// The atlas-size demo end to end, as a user runs it: <c>dotnet pwsh demo/Invoke-Demo.ps1 -Size Atlas</c> (50,000 entities,
/// 300,000 collections, ~197.6 M co-occurring pairs, every stage persisted and read back, previews and the atlas) in a child
/// process. The harness's own peak (managed heap of this process) says nothing about a child, so the row's metrics carry the
/// child's peak resident set (VmHWM from /proc, sampled until it exits) and the seconds of each demo step (from the demo's
/// own "[  12.3s] step" lines), and each step's CPU seconds and peak resident set from the demo's closing breakdown
/// table. Needs the module built (<c>build.ps1 -Task Build</c>) and Linux (/proc).
/// </summary>
public abstract class AtlasDemoBenchBase : BenchCase
{
    private string _output = "";
    private string _root = "";

    /// <summary>Extra environment of the child (the GC heap limit of the memory-limited run).</summary>
    protected virtual IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>();

    public override string Stage => "atlas demo end to end";

    public override void Prepare()
    {
        _root = RepositoryRoot();
        if (!File.Exists(Path.Combine(_root, "EmbedPS", "EmbedPS.psd1")))
            throw new InvalidOperationException($"the module is not built in {Path.Combine(_root, "EmbedPS")}: run 'dotnet pwsh ./build.ps1 -Task Build' first");
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("reads the child's peak resident memory from /proc (Linux only)");
        _output = Path.Combine(Path.GetTempPath(), "embedps-bench-atlas-demo-" + Guid.NewGuid().ToString("N")[..8]);
    }

    public override BenchOutcome RunCandidate()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = _root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "pwsh", "-NoProfile", "-NonInteractive", "-File", Path.Combine(_root, "demo", "Invoke-Demo.ps1"),
                     "-ModulePath", Path.Combine(_root, "EmbedPS"), "-OutputPath", _output, "-Size", "Atlas" })
            start.ArgumentList.Add(arg);
        start.Environment["NO_COLOR"] = "1";
        foreach (var (key, value) in Environment) start.Environment[key] = value;

        var lines = new List<string>();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is { } line) lock (lines) lines.Add(line); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) lock (lines) lines.Add(line); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        // `dotnet pwsh` starts a shim that starts pwsh as its own child process: the pipeline's peak is the largest VmHWM among
        // the child's descendants, sampled until they exit (VmHWM only grows, so sampling misses nothing but the last ~0.5 s).
        long peakKb = 0;
        while (!process.WaitForExit(500))
        {
            foreach (var pid in WithDescendants(process.Id)) peakKb = Math.Max(peakKb, PeakResidentKb(pid));
        }
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            string tail;
            lock (lines) tail = string.Join(" / ", lines.TakeLast(6));
            throw new InvalidOperationException($"the demo exited with code {process.ExitCode}: {tail}");
        }
        var outcome = new BenchOutcome();
        double peakGb = peakKb / (1024.0 * 1024.0);
        lock (lines)
        {
            foreach (var (step, seconds) in StepSeconds(lines)) outcome[step] = seconds;
            // The demo's own breakdown: CPU seconds and peak resident memory of each step. The demo resets the kernel's
            // high-water mark at every step, so the process peak is the largest of its steps' peaks and of what was sampled.
            foreach (var step in Breakdown(lines))
            {
                if (step.Key == "total")
                {
                    outcome["total wall s"] = step.Wall;
                    outcome["total CPU s"] = step.Cpu;
                }
                else
                {
                    outcome[step.Key + " CPU s"] = outcome.GetValueOrDefault(step.Key + " CPU s") + step.Cpu;
                    outcome[step.Key + " peak GB"] = Math.Max(outcome.GetValueOrDefault(step.Key + " peak GB"), step.PeakGb);
                }
                peakGb = Math.Max(peakGb, step.PeakGb);
            }
        }
        outcome["peak RSS GB"] = peakGb;
        return outcome;
    }

    public override void Cleanup()
    {
        if (_output.Length > 0 && Directory.Exists(_output)) Directory.Delete(_output, recursive: true);
    }

    /// <summary>The process and every process below it (from the parent ids in /proc/*/stat).</summary>
    private static List<int> WithDescendants(int root)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                // "pid (comm) state ppid …": comm may hold spaces, so parse after its closing parenthesis.
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                int parent = int.Parse(fields[1], CultureInfo.InvariantCulture);
                if (!children.TryGetValue(parent, out var list)) children[parent] = list = new List<int>();
                list.Add(pid);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        var result = new List<int> { root };
        for (int i = 0; i < result.Count; i++)
        {
            if (children.TryGetValue(result[i], out var below)) result.AddRange(below);
        }
        return result;
    }

    /// <summary>VmHWM of a running process in kB; 0 once it is gone.</summary>
    private static long PeakResidentKb(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return 0;
    }

    private static readonly Regex StepLine = new(@"^\[\s*(?<t>[\d.,]+)s\] (?<name>.+)$", RegexOptions.CultureInvariant);

    /// <summary>Seconds from each demo step's line to the next one's, keyed by a short form of the step's name.</summary>
    internal static IEnumerable<(string Step, double Seconds)> StepSeconds(IEnumerable<string> lines)
    {
        var steps = new List<(string Name, double At)>();
        foreach (var line in lines)
        {
            var m = StepLine.Match(line);
            if (!m.Success) continue;
            steps.Add((m.Groups["name"].Value, double.Parse(m.Groups["t"].Value.Replace(",", ""), CultureInfo.InvariantCulture)));
        }
        var seen = new Dictionary<string, double>(StringComparer.Ordinal);
        for (int i = 0; i + 1 < steps.Count; i++)
        {
            var words = steps[i].Name.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            string key = string.Join(' ', words.Take(3)).TrimEnd(':', ',') + " s";
            seen[key] = seen.GetValueOrDefault(key) + (steps[i + 1].At - steps[i].At);
        }
        foreach (var (key, seconds) in seen) yield return (key, Math.Round(seconds, 1));
    }

    private static readonly Regex BreakdownLine = new(@"^\s{2}(?<name>\S.*?)\s+(?<wall>-?[\d.]+)\s+(?<cpu>-?[\d.]+)\s+(?<peak>[\d.]+)$", RegexOptions.CultureInvariant);

    /// <summary>
    /// The rows of the demo's closing "Per-step breakdown" table (wall s, CPU s, peak GB per step, then the total), keyed like
    /// <see cref="StepSeconds"/> (a step's first three words).
    /// </summary>
    internal static IEnumerable<(string Key, double Wall, double Cpu, double PeakGb)> Breakdown(IEnumerable<string> lines)
    {
        bool inTable = false;
        foreach (var line in lines)
        {
            if (line.StartsWith("Per-step breakdown", StringComparison.Ordinal)) { inTable = true; continue; }
            if (!inTable) continue;
            var m = BreakdownLine.Match(line);
            if (!m.Success) continue;
            var name = m.Groups["name"].Value.Trim();
            var key = name == "total" ? "total" : string.Join(' ', name.Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(3)).TrimEnd(':', ',');
            yield return (key, Parse(m.Groups["wall"].Value), Parse(m.Groups["cpu"].Value), Parse(m.Groups["peak"].Value));
        }
        static double Parse(string text) => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "build.ps1")) && Directory.Exists(Path.Combine(dir.FullName, "demo"))) return dir.FullName;
        }
        throw new InvalidOperationException("cannot find the repository root (build.ps1 and demo/) above the bench's folder");
    }
}

/// <summary>The atlas-size demo unconstrained: issue 15's goal is a peak resident set of at most 8 GB.</summary>
public sealed class AtlasDemoBench : AtlasDemoBenchBase
{
    public override string Dataset => "Invoke-Demo.ps1 -Size Atlas (50k entities, 300k collections), child process";
}

/// <summary>
/// The same demo under an 8 GiB GC heap limit (DOTNET_GCHeapHardLimit=0x200000000: what a container or a 16 GB laptop gives):
/// it must complete, every stage sizing itself against the limit (Common.MemoryBudget).
/// </summary>
public sealed class AtlasDemoMemoryLimitedBench : AtlasDemoBenchBase
{
    public override string Dataset => "Invoke-Demo.ps1 -Size Atlas under DOTNET_GCHeapHardLimit=0x200000000 (8 GiB), child process";
    protected override IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = "0x200000000" };
}
