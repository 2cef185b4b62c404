using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace EmbedPS.Bench.Peers;

/// <summary>What one side of a peer row reported: its RESULT values and the process's peak resident set.</summary>
public sealed record SideResult(Dictionary<string, double> Values, double? PeakRssMb, string? Failure)
{
    /// <summary>User + system CPU seconds of the whole process (from /usr/bin/time -v).</summary>
    public double? CpuSeconds { get; init; }
    public double Get(string key) => Values.TryGetValue(key, out var v) ? v : double.NaN;
    public static SideResult Failed(string why) => new(new(), null, why);
}

/// <summary>
/// Runs one side of a peer row as its own process — under `/usr/bin/time -v` for the peak resident set — with the same
/// thread count for every tool (OMP_NUM_THREADS, NUMBA_NUM_THREADS, torch.set_num_threads, DOTNET_PROCESSOR_COUNT).
/// </summary>
public sealed class PeerRunner
{
    public int Threads { get; init; } = 2;
    public string Python { get; init; } = Environment.GetEnvironmentVariable("EMBEDPS_PEERS_PYTHON") is { Length: > 0 } p ? p : "/usr/bin/python3";
    public string PeersSource { get; init; } = Environment.GetEnvironmentVariable("EMBEDPS_PEERS_SRC") is { Length: > 0 } s ? s : "/work/peers-src";
    public string ScriptFolder { get; init; } = Path.GetFullPath(Path.Combine("bench", "peers"));
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(30);

    private static readonly Regex MaxRss = new(@"Maximum resident set size \(kbytes\): (\d+)", RegexOptions.Compiled);
    private static readonly Regex CpuTime = new(@"(?:User|System) time \(seconds\): ([\d.]+)", RegexOptions.Compiled);

    public SideResult RunEmbedPS(params string[] args)
    {
        // The bench executable itself, in --peer-side mode (dotnet EmbedPS.Bench.dll when run through the muxer).
        var exe = Environment.ProcessPath!;
        var prefix = Path.GetFileNameWithoutExtension(exe) == "dotnet" ? new[] { typeof(PeerRunner).Assembly.Location } : Array.Empty<string>();
        return Run(exe, prefix.Concat(new[] { "--peer-side" }).Concat(args).ToArray());
    }

    public SideResult RunPython(string script, params string[] args) =>
        Run(Python, new[] { Path.Combine(ScriptFolder, script) }.Concat(args).ToArray());

    public SideResult RunCommand(string file, params string[] args) => Run(file, args);

    /// <summary>Whether the peers import here; null when they do, else what to install.</summary>
    public string? PeerProblem(string module)
    {
        var probe = module switch
        {
            "scipy" => "import scipy.sparse",
            "sklearn" => "import sklearn.manifold",
            "pymde" => "import peerlib; peerlib.import_pymde()",
            "umap" => "import peerlib; peerlib.import_umap()",
            _ => throw new ArgumentException(module),
        };
        if (!File.Exists(Python)) return $"{Python} not found";
        var info = Start(Python, new[] { "-c", probe }, withTime: false);
        using var process = Process.Start(info)!;
        process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? null : $"{module} does not import: {error.Trim().Split('\n').LastOrDefault()}";
    }

    private ProcessStartInfo Start(string file, string[] args, bool withTime)
    {
        bool timed = withTime && File.Exists("/usr/bin/time");
        var info = new ProcessStartInfo(timed ? "/usr/bin/time" : file)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        if (timed) { info.ArgumentList.Add("-v"); info.ArgumentList.Add(file); }
        foreach (var a in args) info.ArgumentList.Add(a);
        string threads = Threads.ToString(CultureInfo.InvariantCulture);
        foreach (var name in new[] { "OMP_NUM_THREADS", "NUMBA_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "EMBEDPS_BENCH_THREADS", "DOTNET_PROCESSOR_COUNT" })
            info.Environment[name] = threads;
        info.Environment["EMBEDPS_PEERS_SRC"] = PeersSource;
        info.Environment["PYTHONPATH"] = ScriptFolder;
        info.Environment["PYTHONUNBUFFERED"] = "1";
        info.Environment["PYTHONWARNINGS"] = "ignore";
        return info;
    }

    private SideResult Run(string file, string[] args)
    {
        var info = Start(file, args, withTime: true);
        using var process = Process.Start(info)!;
        var error = new StringBuilder();
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (error) error.AppendLine(e.Data); };
        process.BeginErrorReadLine();
        Dictionary<string, double>? values = null;
        string? line;
        while ((line = process.StandardOutput.ReadLine()) is not null)
        {
            if (line.StartsWith("RESULT ", StringComparison.Ordinal)) values = ParseResult(line[7..]);
            else if (line.Length > 0) Console.WriteLine("     | " + line);
        }
        if (!process.WaitForExit(Timeout)) { process.Kill(true); return SideResult.Failed("timed out"); }
        process.WaitForExit();
        string stderr;
        lock (error) stderr = error.ToString();
        var rss = MaxRss.Match(stderr);
        double? peak = rss.Success ? double.Parse(rss.Groups[1].Value, CultureInfo.InvariantCulture) / 1024 : null;
        if (process.ExitCode != 0 || values is null)
        {
            var tail = string.Join(" / ", stderr.Split('\n').Where(l => l.Trim().Length > 0 && !l.StartsWith('\t')).TakeLast(3));
            return new SideResult(values ?? new(), peak, $"exit code {process.ExitCode}: {tail}");
        }
        var cpu = CpuTime.Matches(stderr).Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
        return new SideResult(values, peak, null) { CpuSeconds = cpu.Count == 2 ? cpu.Sum() : null };
    }

    private static Dictionary<string, double> ParseResult(string json)
    {
        var values = new Dictionary<string, double>();
        using var document = JsonDocument.Parse(json);
        void Walk(JsonElement element, string prefix)
        {
            foreach (var property in element.EnumerateObject())
            {
                var key = prefix + property.Name;
                if (property.Value.ValueKind == JsonValueKind.Number) values[key] = property.Value.GetDouble();
                else if (property.Value.ValueKind == JsonValueKind.Object) Walk(property.Value, key + ".");
            }
        }
        Walk(document.RootElement, "");
        return values;
    }
}
