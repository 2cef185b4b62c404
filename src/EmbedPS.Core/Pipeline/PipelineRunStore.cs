using System.Text.Json;
using System.Text.RegularExpressions;
using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Common;

namespace EmbedPS.Core.Pipeline;

/// <summary>Who an output folder belongs to: written once, by the first run of a pipeline in it.</summary>
public sealed record PipelineOwner(string Pipeline, string? ConfigPath, DateTimeOffset Claimed);

/// <summary>
/// The output folder of one pipeline: <c>runs/</c>, <c>cache/</c>, <c>latest</c> and the owner record
/// <c>pipeline.owner.json</c>. Everything here deletes only what it can prove this pipeline wrote: a run folder whose
/// <c>run.json</c> names this pipeline and the folder's own run id, a cache entry whose record (sidecar) names this pipeline
/// and its own file name, a temporary file whose name has the shape EmbedPS's writers give it. A folder or file a person put
/// there is never touched. A second pipeline (another <c>Name</c>) pointed at the same folder is refused before it changes
/// anything, so runs, cache and <c>latest</c> never mix.
/// </summary>
public sealed class PipelineRunStore
{
    public const string OwnerFileName = "pipeline.owner.json";
    private const string PrintsFileName = "inputs.json";

    // AtomicFile's ".<target>.<pid>-<8 hex>.tmp" (and ".tmp.old" for a folder moved aside), its "-probe.tmp", and the
    // ".latest.<32 hex>.tmp" link LatestLink makes before renaming it into place.
    private static readonly Regex TemporaryName = new(@"^\..+\.(\d+-([0-9a-f]{8}|probe)|[0-9a-f]{32})\.tmp(\.old)?$", RegexOptions.CultureInvariant);

    private readonly string _pipeline;
    private readonly string? _configPath;
    private readonly IStageLog _log;

    public PipelineRunStore(string outputPath, string pipeline, string? configPath, IStageLog log)
    {
        OutputPath = outputPath;
        _pipeline = pipeline;
        _configPath = configPath;
        _log = log;
    }

    public string OutputPath { get; }
    public string RunsPath => Path.Combine(OutputPath, "runs");
    public string CachePath => Path.Combine(OutputPath, "cache");
    public string OwnerPath => Path.Combine(OutputPath, OwnerFileName);

    // ---------------------------------------------------------------- ownership

    /// <summary>
    /// Throws <c>PipelineOutputInUse</c> when the folder belongs to another pipeline: its owner record names another one, or
    /// (a folder from before owner records) a run in it does. Reads, never writes.
    /// </summary>
    public void CheckOwner()
    {
        var owner = ReadOwner();
        if (owner is not null)
        {
            if (owner.Pipeline != _pipeline) throw InUse(owner.Pipeline, owner.ConfigPath, $"its owner record '{OwnerPath}'");
            return;
        }
        foreach (var (folder, run) in RunLogs())
            if (run.Pipeline != _pipeline)
                throw InUse(run.Pipeline, string.IsNullOrEmpty(run.ConfigPath) ? null : run.ConfigPath, $"its run '{folder}'");
    }

    /// <summary>
    /// Under the lock: checks the owner and, the first time, records this pipeline as the owner. A folder written before owner
    /// records held only this pipeline's runs (<see cref="CheckOwner"/> proved it), so its cache records are adopted: they are
    /// marked as this pipeline's, which lets pruning remove the ones no kept run uses.
    /// </summary>
    public void Claim()
    {
        CheckOwner();
        if (ReadOwner() is not null) return;
        Directory.CreateDirectory(OutputPath);
        var owner = new PipelineOwner(_pipeline, _configPath, DateTimeOffset.UtcNow);
        AtomicFile.Write(OwnerPath, s => JsonSerializer.Serialize(s, owner, PipelineRun.JsonOptions));
        int adopted = 0;
        foreach (var (path, sidecar) in Sidecars())
        {
            if (sidecar.Pipeline is not null) continue;
            sidecar.Pipeline = _pipeline;
            AtomicFile.Write(path, s => JsonSerializer.Serialize(s, sidecar, PipelineRun.JsonOptions));
            adopted++;
        }
        if (adopted > 0) _log.Verbose($"Recorded {adopted} cache entries written before owner records as the pipeline '{_pipeline}''s.");
    }

    public PipelineOwner? ReadOwner()
    {
        try { return File.Exists(OwnerPath) ? JsonSerializer.Deserialize<PipelineOwner>(File.ReadAllText(OwnerPath), PipelineRun.JsonOptions) : null; }
        catch (JsonException ex)
        {
            throw new EmbedPSException("PipelineOwnerUnreadable", EmbedPSErrorKind.InvalidData,
                $"The owner record '{OwnerPath}' is not valid JSON ({ex.Message}); nothing was run. It names the pipeline that owns this output folder: restore it, or delete it if only one pipeline writes here.", ex) { File = OwnerPath };
        }
    }

    private EmbedPSException InUse(string other, string? otherConfig, string evidence) =>
        new("PipelineOutputInUse", EmbedPSErrorKind.ResourceExists,
            $"The output folder '{OutputPath}' belongs to the pipeline '{other}'{(otherConfig is null ? "" : $" ({otherConfig})")}, as {evidence} says; " +
            $"the pipeline '{_pipeline}'{(_configPath is null ? "" : $" ({_configPath})")} was refused and changed nothing. Give each pipeline its own OutputPath " +
            $"(if you renamed the pipeline, set Name back to '{other}', or delete '{OwnerPath}' to hand the folder over).") { File = OutputPath };

    // ---------------------------------------------------------------- runs

    /// <summary>The run logs of the folders under runs/ whose run.json parses and names the folder's own run id.</summary>
    private IEnumerable<(string Folder, PipelineRun Run)> RunLogs()
    {
        if (!Directory.Exists(RunsPath)) yield break;
        foreach (var folder in Directory.EnumerateDirectories(RunsPath))
        {
            var name = Path.GetFileName(folder);
            if (name.StartsWith('.')) continue;
            if (PipelineRun.TryRead(Path.Combine(folder, "run.json")) is { } run && run.RunId == name) yield return (folder, run);
        }
    }

    /// <summary>This pipeline's run folders, newest first.</summary>
    public List<(string Folder, PipelineRun Run)> OwnRuns() =>
        RunLogs().Where(r => r.Run.Pipeline == _pipeline).OrderByDescending(r => r.Run.RunId, StringComparer.Ordinal).ToList();

    /// <summary>
    /// Under the lock, whatever a killed run of this pipeline left is garbage: temporary files and folders of EmbedPS's writers
    /// (never results: writers rename them into place only when complete), half-made links, and its run logs still saying
    /// 'running' (marked 'abandoned'). Returns the warnings to record.
    /// </summary>
    public List<string> Recover()
    {
        var warnings = new List<string>();
        int removed = 0;
        foreach (var dir in new[] { OutputPath, CachePath })
        {
            if (!Directory.Exists(dir)) continue;
            foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos(".*"))
            {
                if (!TemporaryName.IsMatch(entry.Name)) continue;
                try
                {
                    if (entry is DirectoryInfo d && d.LinkTarget is null) d.Delete(recursive: true); else entry.Delete();
                    removed++;
                }
                catch (IOException) { }
            }
        }
        if (removed > 0) warnings.Add($"Removed {removed} temporary file(s) left by an interrupted run.");
        foreach (var (folder, dead) in OwnRuns().Where(r => r.Run.Status == "running"))
        {
            dead.Status = "abandoned";
            dead.Error ??= "The run ended without finishing (killed or crashed); found by the next run.";
            AtomicFile.Write(Path.Combine(folder, "run.json"), s => JsonSerializer.Serialize(s, dead, PipelineRun.JsonOptions));
            warnings.Add($"Run {dead.RunId} did not finish (killed or crashed); marked abandoned. Its artifacts were not used unless complete.");
        }
        return warnings;
    }

    /// <summary>
    /// Keeps this pipeline's newest <paramref name="keepRuns"/> run folders (and always the served one and the current one)
    /// and the cache entries they use; deletes this pipeline's other runs and cache entries, nothing else. Returns the run ids
    /// deleted.
    /// </summary>
    public List<string> Prune(int keepRuns, string currentRun, IEnumerable<string> currentStems)
    {
        var pruned = new List<string>();
        if (!Directory.Exists(RunsPath)) return pruned;
        var served = LatestLink.Target(OutputPath);
        var own = OwnRuns();
        var keep = own.Take(keepRuns).Select(r => r.Folder).ToHashSet(StringComparer.Ordinal);
        if (served is not null) keep.Add(served);
        keep.Add(currentRun);
        foreach (var (folder, run) in own)
        {
            if (keep.Contains(folder)) continue;
            Directory.Delete(folder, recursive: true);
            pruned.Add(run.RunId);
        }
        var foreign = Directory.EnumerateDirectories(RunsPath).Select(Path.GetFileName)
            .Where(n => !n!.StartsWith('.') && !own.Any(r => r.Run.RunId == n)).ToList();
        if (foreign.Count > 0)
            _log.Verbose($"Left {foreign.Count} folder(s) in '{RunsPath}' that are not runs of '{_pipeline}': {string.Join(", ", foreign.Take(5))}{(foreign.Count > 5 ? ", …" : "")}.");

        if (!Directory.Exists(CachePath)) return pruned;
        var used = new HashSet<string>(currentStems, StringComparer.Ordinal);
        foreach (var folder in keep)
            foreach (var stage in PipelineRun.TryRead(Path.Combine(folder, "run.json"))?.Stages ?? new())
                used.Add($"{stage.Name}-{stage.Key}");
        foreach (var (path, sidecar) in Sidecars())
        {
            if (sidecar.Pipeline != _pipeline) continue;
            var stem = Path.GetFileNameWithoutExtension(path);
            if (used.Contains(stem)) continue;
            var artifact = Path.Combine(CachePath, stem);
            if (Directory.Exists(artifact)) Directory.Delete(artifact, recursive: true);
            else if (File.Exists(artifact + ".parquet")) File.Delete(artifact + ".parquet");
            File.Delete(path);
        }
        return pruned;
    }

    /// <summary>The cache records (sidecars) that EmbedPS wrote: they parse, and their file name is their stage and key.</summary>
    private IEnumerable<(string Path, StageSidecar Sidecar)> Sidecars()
    {
        if (!Directory.Exists(CachePath)) yield break;
        foreach (var path in Directory.EnumerateFiles(CachePath, "*.json"))
        {
            var name = Path.GetFileName(path);
            if (name.StartsWith('.') || name == PrintsFileName) continue;
            if (StageSidecar.TryRead(path) is { } sidecar && name == $"{sidecar.Stage}-{sidecar.Key}.json" && sidecar.Stage.Length > 0 && sidecar.Key.Length > 0)
                yield return (path, sidecar);
        }
    }
}

/// <summary>
/// The record written beside a cached artifact: the stage and key it was made for, the pipeline that made it, and its SHA-256
/// (a file) or the SHA-256 of every file (a folder), so that a corrupt or changed entry is rebuilt, never used.
/// </summary>
public sealed class StageSidecar
{
    public string Stage { get; set; } = "";
    public string Key { get; set; } = "";
    /// <summary>The pipeline (its Name) that wrote the entry; only that pipeline's pruning deletes it.</summary>
    public string? Pipeline { get; set; }
    public string? Sha256 { get; set; }
    public SortedDictionary<string, string>? Files { get; set; }
    public long Bytes { get; set; }
    public SortedDictionary<string, double> Counts { get; set; } = new(StringComparer.Ordinal);
    public DateTimeOffset Created { get; set; }

    public static StageSidecar? TryRead(string path)
    {
        try { return File.Exists(path) ? JsonSerializer.Deserialize<StageSidecar>(File.ReadAllText(path), PipelineRun.JsonOptions) : null; }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException) { return null; }
    }
}
