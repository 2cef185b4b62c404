using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Common;
using EmbedPS.Core.Mde;
using EmbedPS.Core.Projection;
using EmbedPS.Core.Quality;
using ProjectionResult = EmbedPS.Core.Projection.Projection;

namespace EmbedPS.Core.Pipeline;

/// <summary>Raised when a run is cancelled (Ctrl+C, SIGINT, SIGTERM); carries the run log, which says 'cancelled'.</summary>
public sealed class PipelineCancelledException(PipelineRun run, OperationCanceledException inner)
    : OperationCanceledException(run.Summary, inner, inner.CancellationToken)
{
    public PipelineRun Run { get; } = run;
}

/// <summary>Raised when a run fails a gate: it was written in full but not served; carries the run log ('rejected').</summary>
public sealed class PipelineRejectedException(PipelineRun run)
    : EmbedPSException("PipelineGatesFailed", EmbedPSErrorKind.InvalidData, run.Summary)
{
    public PipelineRun Run { get; } = run;
}

/// <summary>Raised when a stage fails; carries the run log of the failed run.</summary>
public sealed class PipelineFailedException(PipelineRun run, Exception inner)
    : EmbedPSException("PipelineStageFailed", EmbedPSErrorKind.ResourceUnavailable, run.Summary, inner)
{
    public PipelineRun Run { get; } = run;
}

/// <summary>
/// Runs a pipeline data file: import → filter → co-occurrence (or a precomputed edge list) → neighbours → MDE → projections →
/// previews → atlas. Every stage's artifact is cached under a key that hashes its inputs and parameters, and reused when the
/// key is unchanged and the file still matches the SHA-256 recorded when it was written (a corrupt or truncated artifact is
/// rebuilt). Each run writes into runs/&lt;id&gt;; the 'latest' link switches to it in one atomic step only after every stage
/// succeeded. A lock allows one run at a time.
/// </summary>
public sealed class PipelineRunner
{
    private readonly PipelineConfig _config;
    private readonly IStageLog _log;
    private readonly CancellationToken _ct;
    private readonly PipelineRunStore _store;
    private readonly string _cacheDir;
    private readonly string _runsDir;
    private List<PipelineStage> _stages = new();
    private readonly PipelineRun _run;
    private readonly PipelineRun? _previous;
    private readonly string? _previousFolder;
    private readonly InputFingerprints _inputs;
    private readonly RunMetadata _metadata = new();
    private PipelineFault? _fault;
    private readonly List<string> _warnings = new();

    public PipelineRunner(PipelineConfig config, IStageLog? log = null, CancellationToken cancellation = default)
    {
        _config = config;
        _log = new WarningLog(log ?? StageLog.Null, _warnings);
        _ct = cancellation;
        _store = new PipelineRunStore(config.OutputPath, config.Name, config.SourcePath, _log);
        _cacheDir = _store.CachePath;
        _runsDir = _store.RunsPath;
        // Another pipeline's folder is refused before anything is read from it: its map must not become this one's start.
        _store.CheckOwner();
        _previousFolder = Directory.Exists(config.OutputPath) ? LatestLink.Target(config.OutputPath) : null;
        _previous = _previousFolder is null ? null : PipelineRun.TryRead(Path.Combine(_previousFolder, "run.json"));
        _inputs = new InputFingerprints(_cacheDir, _log);
        var now = DateTimeOffset.UtcNow;
        // Sortable by time (runs of one pipeline are serialised by its lock), which is how old runs are pruned.
        var id = now.ToString("yyyyMMdd-HHmmss-fff", CultureInfo.InvariantCulture);
        _run = new PipelineRun
        {
            Pipeline = config.Name,
            RunId = id,
            ConfigPath = config.SourcePath,
            OutputPath = config.OutputPath,
            RunPath = Path.Combine(_runsDir, id),
            AtlasPath = Path.Combine(config.OutputPath, LatestLink.Name, "atlas"),
            LogPath = Path.Combine(_runsDir, id, "run.json"),
            Started = now,
            Warnings = _warnings,
            PreviousRun = _previousFolder is null ? null : Path.GetFileName(_previousFolder),
            AlignedToPrevious = config.AlignToLatest && _previousFolder is not null,
        };
    }

    /// <summary>Serve the run even when it fails a gate (recorded in the run log); Gates.Accept in the config does the same.</summary>
    public bool AcceptGates { get; init; }

    /// <summary>What cancelled the run ("SIGTERM", say), asked when it was cancelled; recorded in the run log.</summary>
    public Func<string?>? CancellationReason { get; init; }

    /// <summary>A fault to inject (tests); when null, <see cref="PipelineFault.Variable"/> is read from the environment.</summary>
    public PipelineFault? Fault { get; init; }

    /// <summary>The stages with their keys and whether each would be reused: the plan -WhatIf prints. Reads, never writes.</summary>
    public PipelineRun Plan(bool force)
    {
        BuildStages(force);
        _run.Status = "planned";
        return _run;
    }

    /// <summary>Runs the pipeline. Throws <see cref="PipelineFailedException"/> (with the run log) when a stage fails.</summary>
    public PipelineRun Run(bool force)
    {
        var clock = Stopwatch.StartNew();
        _fault = Fault ?? PipelineFault.FromEnvironment();
        using var gate = PipelineLock.Acquire(_config.OutputPath, _config.Name, _run.RunId, _config.SourcePath);
        if (gate.TakenOverFrom is { } dead)
            Warn($"Took over a stale lock left by {dead}, which ended without releasing it.");
        _store.Claim();
        foreach (var warning in _store.Recover()) Warn(warning);
        Directory.CreateDirectory(_cacheDir);
        Directory.CreateDirectory(_run.RunPath);
        PipelineStage? current = null;
        bool rejected = false;
        try
        {
            BuildStages(force);
            foreach (var s in _stages) s.Record.Status = "skipped";
            _run.Status = "running";
            WriteLog();
            foreach (var stage in _stages)
            {
                current = stage;
                _ct.ThrowIfCancellationRequested();
                Execute(stage);
                WriteLog();
            }
            current = null;
            Publish();
            Measure();
            _run.Gates = PipelineGates.Evaluate(_config.Gates, _run, _previous);
            var failed = _run.FailedGates.ToList();
            _run.Seconds = clock.Elapsed.TotalSeconds;
            if (failed.Count > 0 && !(AcceptGates || PipelineGates.Accept.From(_config.Gates)))
            {
                // Written in full (a person can look at it), never served: latest stays where it was.
                _run.Status = "rejected";
                _run.Error = "failed gate(s): " + string.Join("; ", failed);
                _run.ServedRun = _run.PreviousRun;
                WriteLog();
                rejected = true;
            }
            else
            {
                if (failed.Count > 0)
                {
                    _run.GatesAccepted = true;
                    Warn($"Served although it failed gate(s) (accepted): {string.Join("; ", failed)}.");
                }
                _run.Status = "succeeded";
                _run.ServedRun = _run.RunId;
                WriteLog();
                LatestLink.Switch(_config.OutputPath, _run.RunPath);
                _log.Verbose($"Switched '{Path.Combine(_config.OutputPath, LatestLink.Name)}' to run {_run.RunId}.");
            }
        }
        catch (Exception ex)
        {
            bool cancelled = ex is OperationCanceledException && _ct.IsCancellationRequested;
            _run.Status = cancelled ? "cancelled" : "failed";
            _run.FailedStage = current?.Name ?? "publish";
            _run.Error = cancelled ? $"cancelled by {CancellationReason?.Invoke() ?? "request (Ctrl+C)"}" : ex.Message;
            if (current is not null) { current.Record.Status = "failed"; current.Record.Reason = _run.Error; }
            _run.ServedRun = _run.PreviousRun;
            _run.Seconds = clock.Elapsed.TotalSeconds;
            TryWriteLog();
            TryPrune();
            if (cancelled) throw new PipelineCancelledException(_run, (OperationCanceledException)ex);
            throw new PipelineFailedException(_run, ex);
        }
        if (!rejected) _inputs.Save();   // the served run's fingerprints are what the next run's "what changed" compares with
        TryPrune();
        _run.Seconds = clock.Elapsed.TotalSeconds;
        TryWriteLog();
        if (rejected) throw new PipelineRejectedException(_run);
        return _run;
    }

    private void BuildStages(bool force) =>
        _stages = new PipelinePlanner(_config, _run, _previous, _previousFolder, _cacheDir, _inputs, _log).Plan(force);

    // ---------------------------------------------------------------- execution

    private void Execute(PipelineStage stage)
    {
        var record = stage.Record;
        _fault?.Reach(stage.Name, _ct);
        if (stage.Restore)
        {
            StageCache.DeleteEntry(stage.CachePath, stage.SidecarPath);
            AtomicFile.Write(stage.CachePath, target => { using var source = File.OpenRead(stage.RestoreFrom!); source.CopyTo(target); }, _ct);
            var restored = new StageSidecar { Stage = stage.Name, Key = record.Key, Pipeline = _config.Name, Sha256 = FileHash.Sha256(stage.CachePath), Bytes = new FileInfo(stage.CachePath).Length, Created = DateTimeOffset.UtcNow };
            if (restored.Sha256 != stage.RestoreSha)
                throw new EmbedPSException("PipelineRestoreFailed", EmbedPSErrorKind.InvalidData, $"Restoring '{stage.CachePath}' from '{stage.RestoreFrom}' gave a different SHA-256.");
            restored.Counts = _previous!.Stages.First(s => s.Name == stage.Name).Counts;
            record.Counts = restored.Counts; record.Sha256 = restored.Sha256; record.Bytes = restored.Bytes;
            AtomicFile.Write(stage.SidecarPath, s => JsonSerializer.Serialize(s, restored, PipelineRun.JsonOptions), _ct);
            record.Status = "reused";
            _log.Verbose($"Stage '{stage.Name}': {record.Reason}.");
            return;
        }
        if (stage.CacheValid)
        {
            record.Status = "reused";
            _log.Verbose($"Stage '{stage.Name}': reused ({Path.GetFileName(stage.CachePath)}).");
            return;
        }
        _log.Verbose($"Stage '{stage.Name}': running ({record.Reason}).");
        _log.Progress(0, $"Stage {stage.Name}");
        var clock = Stopwatch.StartNew();
        // A corrupt or stale entry under this key goes first: nothing half-written is ever taken for a result.
        StageCache.DeleteEntry(stage.CachePath, stage.SidecarPath);
        try
        {
            _fault?.Arm(stage.Name, _ct);
            stage.Value = stage.Runner.Run(stage, new StageContext(_config, _stages, _metadata, _log, _ct));
        }
        finally
        {
            PipelineFault.Disarm();
        }
        var sidecar = StageCache.WriteSidecar(stage, _config.Name, _ct);
        record.Sha256 = sidecar.Sha256;
        record.Bytes = sidecar.Bytes;
        record.Status = "ran";
        record.Seconds = clock.Elapsed.TotalSeconds;
        _log.Verbose($"Stage '{stage.Name}': ran in {record.Seconds:F2} s.");
    }

    // ---------------------------------------------------------------- publish, measure, log

    /// <summary>Copies what the next run and a reader need into the run folder: the map artifacts, the previews, the atlas.</summary>
    private void Publish()
    {
        var run = _run.RunPath;
        foreach (var stage in _stages)
        {
            _ct.ThrowIfCancellationRequested();
            if (stage.Name == "mde") File.Copy(stage.CachePath, Path.Combine(run, "embedding.parquet"), overwrite: true);
            else if (stage.Name.StartsWith("projection-", StringComparison.Ordinal)) File.Copy(stage.CachePath, Path.Combine(run, stage.Name + ".parquet"), overwrite: true);
            else if (stage.Name == "preview") CopyFolder(stage.CachePath, Path.Combine(run, "previews"));
            else if (stage.Name == "atlas") CopyFolder(stage.CachePath, Path.Combine(run, "atlas"));
        }
        // The copies must be what the cache recorded: a run folder is never served with a file that changed under it.
        if (_stages.FirstOrDefault(s => s.Name == "atlas") is { } atlas && StageSidecar.TryRead(atlas.SidecarPath) is { } sidecar
            && StageCache.CheckFolder(Path.Combine(run, "atlas"), sidecar) is { } problem)
            throw new EmbedPSException("PipelinePublishMismatch", EmbedPSErrorKind.InvalidData, $"The atlas copied into '{run}' does not match the cache: {problem}.");
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }

    private void Measure()
    {
        var context = new StageContext(_config, _stages, _metadata, _log, _ct);
        var embedding = context.Input<Embedding>("mde");
        var projection = context.Input<ProjectionResult>("projection-1");
        foreach (var stage in _stages)
            foreach (var (key, value) in stage.Record.Counts)
                if (key is "entities" or "collections" or "rows" or "neighbor_edges" or "points") _run.Counts[key] = value;
        _run.Counts["entities"] = projection.EntityCount;
        try
        {
            var labelProperty = _config.Quality.Text("LabelProperty") ?? _config.Atlas.Text("ColorProperty") ?? _config.Preview.Text("ColorProperty");
            Dictionary<string, string>? labels = null;
            var metadata = _config.MetadataPath is null ? null : context.ReadMetadata(projection.Entities);
            if (metadata is not null) _run.Counts["entities_with_metadata"] = metadata.MatchedCount;
            if (labelProperty is not null && metadata is not null)
                labels = metadata.ToDictionary(labelProperty, projection.Entities);
            int k = Math.Min(_config.Quality.Get("K", 10), projection.EntityCount - 2);
            // Every projection is measured (a sweep's table, in run.json); the first one's scores are the run's quality (and its gates).
            var stages = _stages.Where(s => s.Name.StartsWith("projection-", StringComparison.Ordinal)).ToList();
            var layouts = context.Layouts();
            var names = _config.Projections.Select((p, i) => p.Text("Name") ?? (layouts[i].Provenance.Swept.Count > 0 ? SweepLabels.Caption(layouts[i]) : SweepLabels.MethodName(layouts[i].Method))).ToList();
            for (int l = 0; l < layouts.Count; l++)
            {
                var layout = layouts[l];
                var layoutLabels = l == 0 || labels is null || layout.Entities.SequenceEqual(projection.Entities) ? labels : null;
                var report = EmbeddingQuality.Measure(layout, embedding, k, layoutLabels, labelProperty, EmbeddingQuality.DefaultRankQueries, _log, _ct);
                if (l == 0)
                {
                    _run.Quality[$"recall@{k}"] = report.NeighborRecall;
                    _run.Quality["trustworthiness"] = report.Trustworthiness;
                    _run.Quality["continuity"] = report.Continuity;
                    if (labels is not null) _run.Quality["label_accuracy"] = report.LabelAccuracy;
                }
                var row = new OrderedDictionary<string, object?>(StringComparer.Ordinal) { ["Stage"] = stages[l].Name, ["Layout"] = names[l] };
                foreach (var (key, value) in layout.Settings) row[key] = value;
                row[$"recall@{k}"] = report.NeighborRecall;
                row["trustworthiness"] = report.Trustworthiness;
                row["continuity"] = report.Continuity;
                if (labels is not null) row["label_accuracy"] = report.LabelAccuracy;
                _run.QualityTable.Add(row);
            }
            if (embedding.FinalDistortion is { } distortion) _run.Quality["mde_distortion"] = distortion;
        }
        catch (Exception ex) when (ex is EmbedPSException or ArgumentException or KeyNotFoundException)
        {
            Warn($"Quality was not measured: {ex.Message}");
        }
        if (_previousFolder is not null && File.Exists(Path.Combine(_previousFolder, "projection-1.parquet")))
        {
            try
            {
                var before = (ProjectionResult)ArtifactStore.Read(Path.Combine(_previousFolder, "projection-1.parquet"), _ct);
                _run.Displacement = MapDisplacement.Between(before, projection, _run.PreviousRun!);
            }
            catch (EmbedPSException ex)
            {
                Warn($"Displacement was not measured: {ex.Message}");
            }
        }
    }

    private void Warn(string message) => _log.Warning(message);

    /// <summary>Passes everything on and keeps the warnings (the stages' own included) for the run log.</summary>
    private sealed class WarningLog(IStageLog inner, List<string> warnings) : IStageLog
    {
        public void Progress(double fraction, string status) => inner.Progress(fraction, status);
        public void Verbose(string message) => inner.Verbose(message);
        public void Warning(string message)
        {
            lock (warnings) warnings.Add(message);
            inner.Warning(message);
        }
    }

    private void WriteLog() => AtomicFile.Write(_run.LogPath, s => JsonSerializer.Serialize(s, _run, PipelineRun.JsonOptions));

    private void TryWriteLog()
    {
        try { if (Directory.Exists(_run.RunPath)) WriteLog(); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { _log.Warning($"Could not write the run log '{_run.LogPath}': {ex.Message}"); }
    }

    // ---------------------------------------------------------------- pruning (the run store decides what is this pipeline's)

    private void TryPrune()
    {
        try { _run.PrunedRuns.AddRange(_store.Prune(_config.KeepRuns, _run.RunPath, _stages.Select(s => $"{s.Name}-{s.Record.Key}"))); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { Warn($"Pruning old runs failed: {ex.Message}"); }
    }
}
