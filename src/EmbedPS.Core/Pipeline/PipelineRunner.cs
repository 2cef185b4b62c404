using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Atlas;
using EmbedPS.Core.Collections;
using EmbedPS.Core.Common;
using EmbedPS.Core.Cooccurrence;
using EmbedPS.Core.Mde;
using EmbedPS.Core.NeighborPreservation;
using EmbedPS.Core.Preview;
using EmbedPS.Core.Projection;
using EmbedPS.Core.Quality;
using ProjectionResult = EmbedPS.Core.Projection.Projection;

namespace EmbedPS.Core.Pipeline;

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
    private const string KeyVersion = "embedps-pipeline/1";
    private readonly PipelineConfig _config;
    private readonly IStageLog _log;
    private readonly CancellationToken _ct;
    private readonly string _cacheDir;
    private readonly string _runsDir;
    private readonly List<Stage> _stages = new();
    private readonly PipelineRun _run;
    private readonly PipelineRun? _previous;
    private readonly string? _previousFolder;
    private readonly Dictionary<string, InputPrint> _prints;
    private string _metadataPrint = "none";
    private PipelineFault? _fault;
    private readonly List<string> _warnings = new();
    private bool _force;

    private sealed record InputPrint(long Length, long Ticks, string Sha256);

    private sealed class Stage
    {
        public required string Name { get; init; }
        public required bool IsFolder { get; init; }
        public required PipelineStageRecord Record { get; init; }
        public required Func<Stage, object?> Run { get; init; }
        public string? AlignSource { get; set; }
        /// <summary>The previous run's copy of this very artifact (same key), to restore a missing or corrupt cache entry from.</summary>
        public string? RestoreFrom { get; set; }
        public string? RestoreSha { get; set; }
        public bool Restore { get; set; }
        public object? Value { get; set; }
        public bool CacheValid { get; set; }
        public string? CacheProblem { get; set; }
        public string CachePath { get; set; } = "";
        public string SidecarPath => (IsFolder ? CachePath : Path.ChangeExtension(CachePath, null)) + ".json";
    }

    private sealed class Sidecar
    {
        public string Stage { get; set; } = "";
        public string Key { get; set; } = "";
        public string? Sha256 { get; set; }
        public SortedDictionary<string, string>? Files { get; set; }
        public long Bytes { get; set; }
        public SortedDictionary<string, double> Counts { get; set; } = new(StringComparer.Ordinal);
        public DateTimeOffset Created { get; set; }
    }

    public PipelineRunner(PipelineConfig config, IStageLog? log = null, CancellationToken cancellation = default)
    {
        _config = config;
        _log = new WarningLog(log ?? StageLog.Null, _warnings);
        _ct = cancellation;
        _cacheDir = Path.Combine(config.OutputPath, "cache");
        _runsDir = Path.Combine(config.OutputPath, "runs");
        _previousFolder = Directory.Exists(config.OutputPath) ? LatestLink.Target(config.OutputPath) : null;
        _previous = _previousFolder is null ? null : PipelineRun.TryRead(Path.Combine(_previousFolder, "run.json"));
        _prints = ReadPrints();
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
        using var gate = PipelineLock.Acquire(_config.OutputPath, _config.Name, _run.RunId);
        if (gate.TakenOverFrom is { } dead)
            Warn($"Took over a stale lock left by process {dead.ProcessId} on {dead.Host} (run {dead.RunId}, started {dead.Started:u}), which ended without releasing it.");
        Recover();
        Directory.CreateDirectory(_cacheDir);
        Directory.CreateDirectory(_run.RunPath);
        Stage? current = null;
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
            _run.Status = "succeeded";
            _run.ServedRun = _run.RunId;
            _run.Seconds = clock.Elapsed.TotalSeconds;
            WriteLog();
            LatestLink.Switch(_config.OutputPath, _run.RunPath);
            _log.Verbose($"Switched '{Path.Combine(_config.OutputPath, LatestLink.Name)}' to run {_run.RunId}.");
        }
        catch (Exception ex)
        {
            bool cancelled = ex is OperationCanceledException && _ct.IsCancellationRequested;
            _run.Status = cancelled ? "cancelled" : "failed";
            _run.FailedStage = current?.Name ?? "publish";
            _run.Error = ex.Message;
            if (current is not null) { current.Record.Status = "failed"; current.Record.Reason = ex.Message; }
            _run.ServedRun = _run.PreviousRun;
            _run.Seconds = clock.Elapsed.TotalSeconds;
            TryWriteLog();
            TryPrune();
            if (cancelled) throw;
            throw new PipelineFailedException(_run, ex);
        }
        SavePrints();
        TryPrune();
        _run.Seconds = clock.Elapsed.TotalSeconds;
        TryWriteLog();
        return _run;
    }

    // ---------------------------------------------------------------- plan

    private void BuildStages(bool force)
    {
        _force = force;
        _stages.Clear();
        var salt = KeyVersion + "|" + typeof(PipelineRunner).Assembly.GetName().Version;
        _metadataPrint = _config.MetadataPath is { } meta ? Fingerprint(new[] { meta }) : "none";
        string upstream;
        if (_config.Input is { } input)
        {
            var inputs = Fingerprint(_config.InputPaths);
            upstream = Add("import", false, Hash(salt, "import", inputs, Json(Without(input, "Path"))), input, RunImport);
            if (_config.Filter is { } filter) upstream = Add("filter", false, Hash(upstream, "filter", Json(filter)), filter, RunFilter);
            upstream = Add("cooccurrence", false, Hash(upstream, "cooccurrence", Json(_config.Cooccurrence)), _config.Cooccurrence, RunCooccurrence);
        }
        else
        {
            var edges = _config.EdgeList!;
            upstream = Add("edges", false, Hash(salt, "edges", Fingerprint(_config.InputPaths), Json(Without(edges, "Path"))), edges, RunEdges);
        }
        upstream = Add("neighbors", false, Hash(upstream, "neighbors", Json(_config.Neighbors)), _config.Neighbors, RunNeighbors);
        var mde = Add("mde", false, Hash(upstream, "mde", Json(_config.Mde)), _config.Mde, RunMde, alignFile: "embedding.parquet");
        var projectionKeys = new List<string>();
        for (int i = 0; i < _config.Projections.Count; i++)
        {
            int index = i;
            projectionKeys.Add(Add($"projection-{i + 1}", false, Hash(mde, "projection", Json(_config.Projections[i])), _config.Projections[i],
                s => RunProjection(s, index), alignFile: $"projection-{i + 1}.parquet"));
        }
        var layouts = string.Join(",", projectionKeys);
        if (_config.Preview.Get("Enabled", true))
            Add("preview", true, Hash(layouts, "preview", _metadataPrint, Json(_config.Preview)), _config.Preview, RunPreview);
        Add("atlas", true, Hash(layouts, mde, "atlas", _metadataPrint, Json(_config.Atlas), Json(_config.Metadata ?? new PipelineSection())), _config.Atlas, RunAtlas);
        foreach (var stage in _stages) Validate(stage, force);
        _run.Stages = _stages.Select(s => s.Record).ToList();
        _run.Parameters = new SortedDictionary<string, object?>(StringComparer.Ordinal)
        {
            ["AlignTo"] = _config.AlignToLatest ? "latest" : "none",
            ["KeepRuns"] = _config.KeepRuns,
            ["Force"] = force,
        };
    }

    private string Add(string name, bool folder, string baseKey, PipelineSection parameters, Func<Stage, object?> run, string? alignFile = null)
    {
        var record = new PipelineStageRecord { Name = name, BaseKey = baseKey, Key = baseKey, Parameters = new(parameters, StringComparer.Ordinal) };
        var stage = new Stage { Name = name, IsFolder = folder, Record = record, Run = run };
        if (alignFile is not null && _previous?.Stages.FirstOrDefault(s => s.Name == name) is { } before)
        {
            var previousFile = Path.Combine(_previousFolder!, alignFile);
            if (before.BaseKey == baseKey && !(_force && _config.AlignToLatest))
            {
                record.Key = before.Key;   // same inputs and parameters: the previous map is this map
                if (File.Exists(previousFile)) { stage.RestoreFrom = previousFile; stage.RestoreSha = before.Sha256; }
            }
            else if (_config.AlignToLatest && File.Exists(previousFile))
            {
                record.Key = Hash(baseKey, "align", FileHash.Sha256(previousFile));
                stage.AlignSource = previousFile;
                record.AlignedTo = _run.PreviousRun;
            }
        }
        stage.CachePath = Path.Combine(_cacheDir, $"{name}-{record.Key}{(folder ? "" : ".parquet")}");
        record.Artifact = stage.CachePath;
        _stages.Add(stage);
        return record.Key;
    }

    private void Validate(Stage stage, bool force)
    {
        var sidecar = ReadSidecar(stage.SidecarPath);
        bool exists = stage.IsFolder ? Directory.Exists(stage.CachePath) : File.Exists(stage.CachePath);
        if (!exists && sidecar is null) { stage.CacheProblem = "not cached"; }
        else if (sidecar is null || sidecar.Key != stage.Record.Key) { stage.CacheProblem = "cached artifact has no valid record"; }
        else if (!exists) { stage.CacheProblem = "cached artifact is missing"; }
        else
        {
            var problem = stage.IsFolder ? CheckFolder(stage.CachePath, sidecar) : CheckFile(stage.CachePath, sidecar);
            if (problem is null)
            {
                stage.CacheValid = true;
                stage.Record.Sha256 = sidecar.Sha256;
                stage.Record.Bytes = sidecar.Bytes;
                stage.Record.Counts = sidecar.Counts;
            }
            else
            {
                stage.CacheProblem = problem;
            }
        }
        bool corrupt = !stage.CacheValid && stage.CacheProblem != "not cached";
        // A map that started from an earlier one cannot be recomputed under its key; the previous run's verified copy is restored.
        if (!stage.CacheValid && !force && stage.RestoreFrom is { } copy && stage.RestoreSha is { } sha && FileHash.Sha256(copy) == sha)
        {
            stage.Restore = true;
            stage.Record.Status = "reused";
            stage.Record.Reason = $"restored from run {_run.PreviousRun} ({stage.CacheProblem})";
            return;
        }
        if (force) { stage.CacheValid = false; stage.CacheProblem = "-Force"; }
        stage.Record.Status = stage.CacheValid ? "reused" : "planned";
        stage.Record.Reason = stage.CacheValid ? null : stage.CacheProblem;
        if (corrupt && !force) Warn($"Stage '{stage.Name}': {stage.CacheProblem} ('{stage.CachePath}'); it will be rebuilt, not used.");
    }

    private static string? CheckFile(string path, Sidecar sidecar)
    {
        var length = new FileInfo(path).Length;
        if (length != sidecar.Bytes) return $"cached artifact is {length:N0} bytes, {sidecar.Bytes:N0} were written (truncated or changed)";
        return FileHash.Sha256(path) == sidecar.Sha256 ? null : "cached artifact fails its SHA-256 check (corrupt)";
    }

    private static string? CheckFolder(string path, Sidecar sidecar)
    {
        var files = Manifest(path);
        if (sidecar.Files is null || files.Count != sidecar.Files.Count || files.Any(f => !sidecar.Files.TryGetValue(f.Key, out var h) || h != f.Value))
            return "cached folder does not match the SHA-256 manifest recorded when it was written (corrupt)";
        return null;
    }

    private static SortedDictionary<string, string> Manifest(string folder)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
            files[Path.GetRelativePath(folder, file).Replace('\\', '/')] = FileHash.Sha256(file);
        return files;
    }

    // ---------------------------------------------------------------- execution

    private void Execute(Stage stage)
    {
        var record = stage.Record;
        _fault?.Reach(stage.Name, _ct);
        if (stage.Restore)
        {
            DeleteEntry(stage.CachePath, stage.SidecarPath);
            AtomicFile.Write(stage.CachePath, target => { using var source = File.OpenRead(stage.RestoreFrom!); source.CopyTo(target); }, _ct);
            var restored = new Sidecar { Stage = stage.Name, Key = record.Key, Sha256 = FileHash.Sha256(stage.CachePath), Bytes = new FileInfo(stage.CachePath).Length, Created = DateTimeOffset.UtcNow };
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
        DeleteEntry(stage.CachePath, stage.SidecarPath);
        try
        {
            _fault?.Arm(stage.Name, _ct);
            stage.Value = stage.Run(stage);
        }
        finally
        {
            PipelineFault.Disarm();
        }
        var sidecar = new Sidecar { Stage = stage.Name, Key = record.Key, Counts = record.Counts, Created = DateTimeOffset.UtcNow };
        if (stage.IsFolder)
        {
            sidecar.Files = Manifest(stage.CachePath);
            sidecar.Bytes = new DirectoryInfo(stage.CachePath).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
        }
        else
        {
            sidecar.Sha256 = FileHash.Sha256(stage.CachePath);
            sidecar.Bytes = new FileInfo(stage.CachePath).Length;
        }
        AtomicFile.Write(stage.SidecarPath, s => JsonSerializer.Serialize(s, sidecar, PipelineRun.JsonOptions), _ct);
        record.Sha256 = sidecar.Sha256;
        record.Bytes = sidecar.Bytes;
        record.Status = "ran";
        record.Seconds = clock.Elapsed.TotalSeconds;
        _log.Verbose($"Stage '{stage.Name}': ran in {record.Seconds:F2} s.");
    }

    private T Input<T>(string name) where T : class
    {
        var stage = _stages.First(s => s.Name == name);
        if (stage.Value is T value) return value;
        var read = ArtifactStore.Read(stage.CachePath, _ct);
        stage.Value = read;
        return read as T ?? throw new EmbedPSException("PipelineWrongArtifact", EmbedPSErrorKind.InvalidData, $"'{stage.CachePath}' does not hold a {typeof(T).Name}.");
    }

    private string Upstream(Stage stage) => _stages[_stages.IndexOf(stage) - 1].Name;

    private object Save(Stage stage, object value)
    {
        ArtifactStore.Write(value, stage.CachePath, _ct);
        return value;
    }

    private object? RunImport(Stage stage)
    {
        var input = _config.Input!;
        var importer = new CollectionImporter(new CollectionImportOptions
        {
            CollectionColumn = input.Text("CollectionProperty") ?? "collection",
            EntityColumn = input.Text("EntityProperty") ?? "entity",
            WeightColumn = input.Text("WeightProperty"),
            ValueColumn = input.Text("ValueProperty"),
            TimestampColumn = input.Text("TimestampProperty"),
            Delimiter = input.Text("Delimiter") is { Length: > 0 } d ? d[0] : null,
        });
        foreach (var path in input.List("Path")) importer.ReadPath(path, _log, _ct);
        var set = importer.Build();
        stage.Record.Counts["rows"] = importer.RowCount;
        CountSet(stage, set);
        return Save(stage, set);
    }

    private static void CountSet(Stage stage, EntityCollectionSet set)
    {
        stage.Record.Counts["entities"] = set.Entities.Count;
        stage.Record.Counts["collections"] = set.Collections.Count;
        stage.Record.Counts["pairs"] = set.Members.Length;
    }

    private object? RunFilter(Stage stage)
    {
        var f = _config.Filter!;
        var options = new CollectionFilterOptions
        {
            MinCollections = f.Get("MinCollections", 0),
            Top = f.Get("Top", 0),
            MinCollectionSize = f.Get("MinCollectionSize", 0),
            MaxCollectionSize = f.Get("MaxCollectionSize", 0),
        };
        var set = CollectionFilter.Apply(Input<EntityCollectionSet>("import"), options, _log, _ct, out _);
        CountSet(stage, set);
        return Save(stage, set);
    }

    private object? RunCooccurrence(Stage stage)
    {
        var c = _config.Cooccurrence;
        var options = new CooccurrenceOptions
        {
            CollectionWeighting = c.Enum("CollectionWeighting", CollectionWeighting.None),
            PairWeight = c.Enum("PairWeight", PairWeight.Count),
            ValueScale = c.Get("ValueScale", 0.0),
            TimeScale = c.Get("TimeScale", 0.0),
            MaxPartners = c.IntOrNull("MaxPartners") ?? CooccurrenceOptions.AutoPartners,
            MaxMemoryBytes = c.DoubleOrNull("MaxMemoryGB") is { } gb ? (long)(gb * (1L << 30)) : null,
        };
        var matrix = CooccurrenceBuilder.Build(Input<EntityCollectionSet>(Upstream(stage)), options, _log, _ct);
        stage.Record.Counts["entities"] = matrix.EntityCount;
        stage.Record.Counts["nonzeros"] = matrix.ColumnIndices.Length;
        return Save(stage, matrix);
    }

    private object? RunEdges(Stage stage)
    {
        var e = _config.EdgeList!;
        var columns = new EdgeListColumns(e.Text("EntityAColumn") ?? "entity_a", e.Text("EntityBColumn") ?? "entity_b", e.Text("WeightColumn") ?? "weight");
        var matrix = EdgeListImporter.Read(e.Text("Path")!, columns, _log, _ct);
        stage.Record.Counts["entities"] = matrix.EntityCount;
        stage.Record.Counts["nonzeros"] = matrix.ColumnIndices.Length;
        return Save(stage, matrix);
    }

    private object? RunNeighbors(Stage stage)
    {
        var n = _config.Neighbors;
        var options = new NeighborPreservationOptions
        {
            NeighborCount = n.IntOrNull("NeighborCount"),
            Normalize = n.Enum("Normalize", SimilarityNormalization.SmoothedCosine),
            Transform = n.Enum("Transform", SimilarityTransform.InverseLog),
            MaxDistance = n.DoubleOrNull("MaxDistance"),
            ConnectComponents = n.Get("ConnectComponents", false),
            RepulsiveFraction = n.Get("RepulsiveFraction", 1.0),
            Seed = n.Get("Seed", 0),
        };
        var matrix = Input<CooccurrenceMatrix>(Upstream(stage));
        var provenance = Provenance.Derived(matrix.Provenance, ArtifactKind.Cooccurrence, n);
        var graph = NeighborPreservationBuilder.FromCooccurrence(matrix, options, _log, _ct, provenance);
        stage.Record.Counts["entities"] = graph.EntityCount;
        stage.Record.Counts["neighbor_edges"] = graph.NeighborEdgeCount;
        stage.Record.Counts["repulsive_pairs"] = graph.RepulsiveEdgeCount;
        return Save(stage, graph);
    }

    private object? RunMde(Stage stage)
    {
        var m = _config.Mde;
        var graph = Input<NeighborGraph>("neighbors");
        int seed = m.Get("Seed", 0);
        var configuration = new EmbeddingConfiguration
        {
            Dimension = m.Get("Dimension", 3),
            AttractivePenalty = m.Enum("AttractivePenalty", PenaltyKind.Log1p),
            AttractiveExponent = m.Get("AttractiveExponent", 1.5),
            RepulsivePenalty = m.Enum("RepulsivePenalty", PenaltyKind.Log),
            RepulsiveExponent = m.Get("RepulsiveExponent", 1.0),
            HuberThreshold = m.Get("HuberThreshold", 1.0),
            Constraint = m.Enum("Constraint", ConstraintKind.Centered),
            Seed = seed,
        };
        if (stage.AlignSource is { } source)
        {
            var previous = ArtifactStore.Read(source, _ct) as Embedding;
            if (previous is null || previous.Dimension != configuration.Dimension)
            {
                Warn($"Stage 'mde': the previous embedding ('{source}') has {previous?.Dimension} dimensions, not {configuration.Dimension}; starting afresh.");
            }
            else
            {
                configuration.Init = InitKind.Embedding;
                configuration.InitialCoordinates = StartFromPrevious(graph, previous, stage);
            }
        }
        var options = new MdeOptions
        {
            MaxIterations = m.Get("MaxIterations", 300),
            Tolerance = m.Get("Tolerance", 1e-5),
            Seed = seed,
            Device = m.Enum("Device", MdeDevice.Cpu),
        };
        var embedding = MinimumDistortionEmbedding.Run(graph, configuration, options, _log, _ct);
        stage.Record.Counts["entities"] = embedding.EntityCount;
        stage.Record.Counts["iterations"] = embedding.Iterations;
        if (embedding.FinalDistortion is { } distortion) stage.Record.Counts["distortion"] = distortion;
        return Save(stage, embedding);
    }

    /// <summary>
    /// The start of a stable map: entities that persist start where they were; a new entity starts at the mean of its
    /// neighbours that persist (at the centroid when none does), so it appears near its neighbours.
    /// </summary>
    private static float[] StartFromPrevious(NeighborGraph graph, Embedding previous, Stage stage)
    {
        int n = graph.EntityCount, d = previous.Dimension;
        var x = new float[n * d];
        var placed = new bool[n];
        var centroid = new double[d];
        int matched = 0;
        for (int i = 0; i < n; i++)
        {
            int j = previous.Entities.IndexOf(graph.Entities[i]);
            if (j < 0) continue;
            for (int a = 0; a < d; a++) { x[i * d + a] = previous.Coordinates[j * d + a]; centroid[a] += previous.Coordinates[j * d + a]; }
            placed[i] = true; matched++;
        }
        for (int a = 0; a < d; a++) centroid[a] /= Math.Max(1, matched);
        var sums = new double[n * d];
        var counts = new int[n];
        for (int e = 0; e < graph.EdgeCount; e++)
        {
            if (graph.Weights[e] <= 0) continue;
            int s = graph.EdgeSource[e], t = graph.EdgeTarget[e];
            if (s == t) continue;
            if (!placed[s] && placed[t]) { for (int a = 0; a < d; a++) sums[s * d + a] += x[t * d + a]; counts[s]++; }
            if (!placed[t] && placed[s]) { for (int a = 0; a < d; a++) sums[t * d + a] += x[s * d + a]; counts[t]++; }
        }
        var random = new DeterministicRandom(17, 0x57AB);
        for (int i = 0; i < n; i++)
        {
            if (placed[i]) continue;
            for (int a = 0; a < d; a++)
                x[i * d + a] = (float)(counts[i] > 0 ? sums[i * d + a] / counts[i] : centroid[a]) + (float)(1e-3 * (random.NextDouble() - 0.5));
        }
        stage.Record.Counts["start_matched"] = matched;
        stage.Record.Counts["start_new"] = n - matched;
        return x;
    }

    private object? RunProjection(Stage stage, int index)
    {
        var p = _config.Projections[index];
        var embedding = Input<Embedding>("mde");
        var method = p.Enum("Method", ProjectionMethod.Umap);
        ProjectionResult? previous = null;
        if (stage.AlignSource is { } source) previous = ArtifactStore.Read(source, _ct) as ProjectionResult;
        // Starting from the previous map, UMAP refines it (a smaller learning rate, fewer epochs) rather than redoing it.
        bool refine = previous is not null && method == ProjectionMethod.Umap;
        double learningRate = p.DoubleOrNull("LearningRate") is > 0 and var given ? given : refine ? p.Get("RefineLearningRate", 0.1) : 1.0;
        int epochs = p.IntOrNull("Epochs") ?? (refine ? p.Get("RefineEpochs", 100) : 0);
        var request = new ProjectionRequest
        {
            Method = method,
            Umap = new UmapOptions
            {
                Neighbors = p.Get("Neighbors", 15), MinDistance = p.Get("MinDistance", 0.1), Spread = p.Get("Spread", 1.0), Epochs = epochs,
                LearningRate = learningRate, Seed = p.Get("Seed", 42), KeepInitialScale = refine,
            },
            Tsne = new TsneOptions
            {
                Perplexity = p.Get("Perplexity", 30.0), Iterations = p.Get("Iterations", 750), LearningRate = p.Get("LearningRate", 0.0), Seed = p.Get("Seed", 42),
            },
            // PCA has no start: it is rotated and reflected onto the previous map (Procrustes). UMAP and t-SNE start from it.
            AlignTo = method == ProjectionMethod.Pca ? previous : null,
            InitialProjection = method == ProjectionMethod.Pca ? null : previous,
            Parameters = new SortedDictionary<string, object?>(p, StringComparer.Ordinal),
        };
        var projection = ProjectionBuilder.Build(embedding, request, _log, _ct);
        if (previous is not null && method != ProjectionMethod.Pca)
        {
            var (shared, residual) = AlignAxes(projection, previous);
            stage.Record.Counts["alignment_shared"] = shared;
            stage.Record.Counts["alignment_median_displacement"] = residual;
        }
        stage.Record.Counts["entities"] = projection.EntityCount;
        foreach (var (key, value) in projection.Quality) stage.Record.Counts[key] = value;
        return Save(stage, projection);
    }

    /// <summary>
    /// Maps a layout that started from <paramref name="previous"/> back onto it: x' = a·x + b and y' = c·y + d, least squares over the
    /// shared entities. UMAP rescales its start to [0, 10] on each axis and t-SNE shrinks it; this undoes exactly that, without
    /// rotating (a layout refined from a start keeps its orientation). Returns the shared count and the median residual.
    /// </summary>
    public static (int Shared, double MedianResidual) AlignAxes(ProjectionResult projection, ProjectionResult previous)
    {
        var mine = new List<int>(); var theirs = new List<int>();
        for (int i = 0; i < projection.EntityCount; i++)
        {
            int j = previous.Entities.IndexOf(projection.Entities[i]);
            if (j >= 0) { mine.Add(i); theirs.Add(j); }
        }
        if (mine.Count < 3) return (mine.Count, double.NaN);
        static (double Scale, double Offset) Fit(float[] from, float[] to, List<int> a, List<int> b)
        {
            double mf = 0, mt = 0;
            for (int k = 0; k < a.Count; k++) { mf += from[a[k]]; mt += to[b[k]]; }
            mf /= a.Count; mt /= a.Count;
            double sft = 0, sff = 0;
            for (int k = 0; k < a.Count; k++) { double df = from[a[k]] - mf; sft += df * (to[b[k]] - mt); sff += df * df; }
            double scale = sff > 0 ? sft / sff : 1;
            return (scale, mt - scale * mf);
        }
        var (sx, ox) = Fit(projection.X, previous.X, mine, theirs);
        var (sy, oy) = Fit(projection.Y, previous.Y, mine, theirs);
        for (int i = 0; i < projection.EntityCount; i++)
        {
            projection.X[i] = (float)(sx * projection.X[i] + ox);
            projection.Y[i] = (float)(sy * projection.Y[i] + oy);
        }
        var residuals = new double[mine.Count];
        for (int k = 0; k < mine.Count; k++)
        {
            double dx = projection.X[mine[k]] - previous.X[theirs[k]], dy = projection.Y[mine[k]] - previous.Y[theirs[k]];
            residuals[k] = Math.Sqrt(dx * dx + dy * dy);
        }
        Array.Sort(residuals);
        return (mine.Count, residuals[residuals.Length / 2]);
    }

    private List<ProjectionResult> Layouts() => _stages.Where(s => s.Name.StartsWith("projection-", StringComparison.Ordinal)).Select(s => Input<ProjectionResult>(s.Name)).ToList();

    private EntityAttributes? ReadMetadata(EntityIds entities)
    {
        if (_config.MetadataPath is not { } path) return null;
        var id = _config.Metadata!.Text("IdProperty") ?? "entity";
        return path.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase)
            ? EntityAttributes.ReadParquet(path, id, entities, _log, _ct)
            : EntityAttributes.ReadCsv(path, id, entities, _log, _ct);
    }

    private object? RunPreview(Stage stage)
    {
        var layouts = Layouts();
        var metadata = ReadMetadata(layouts[0].Entities);
        var p = _config.Preview;
        var options = new PreviewOptions
        {
            Width = p.Get("Width", 1200),
            Height = p.Get("Height", 900),
            Theme = p.Text("Theme") is "Dark" ? PreviewThemeKind.Dark : PreviewThemeKind.Light,
            ColorProperty = p.Text("ColorProperty") ?? _config.Atlas.Text("ColorProperty"),
            Attributes = metadata,
        };
        if (options.ColorProperty is not null && metadata is null) options = options with { ColorProperty = null };
        AtomicFile.WriteDirectory(stage.CachePath, temp =>
        {
            for (int i = 0; i < layouts.Count; i++)
            {
                var title = $"{_config.Name}: {_config.Projections[i].Text("Name") ?? layouts[i].Method}";
                PreviewRenderer.WritePng(Path.Combine(temp, $"projection-{i + 1}.png"), layouts[i], options with { Title = title }, _log, _ct);
            }
        }, _ct);
        stage.Record.Counts["images"] = layouts.Count;
        return null;
    }

    private object? RunAtlas(Stage stage)
    {
        var layouts = Layouts();
        var embedding = Input<Embedding>("mde");
        var a = _config.Atlas;
        var names = _config.Projections.Any(p => p.ContainsKey("Name"))
            ? _config.Projections.Select((p, i) => p.Text("Name") ?? layouts[i].Method).ToArray() : null;
        var sources = _config.InputPaths.Select(p => new KeyValuePair<string, string>("input", Path.GetFileName(p))).ToList();
        if (_config.MetadataPath is { } meta) sources.Add(new("metadata", Path.GetFileName(meta)));
        var options = new AtlasOptions
        {
            Title = a.Text("Title") ?? _config.Name,
            Theme = a.Text("Theme") is "Light" ? AtlasTheme.Light : AtlasTheme.Dark,
            LabelProperty = a.Text("LabelProperty"),
            ColorProperty = a.Text("ColorProperty"),
            SizeProperty = a.Text("SizeProperty"),
            SearchProperties = a.List("SearchProperty"),
            TooltipProperties = a.ContainsKey("TooltipProperty") ? a.List("TooltipProperty") : null,
            CategoryProperties = a.List("CategoryProperty"),
            LayoutNames = names,
            NeighborCount = a.Get("NeighborCount", 10),
            Seed = a.Get("Seed", 42),
            Sources = sources,
        };
        var result = AtlasExporter.Write(stage.CachePath, layouts, embedding, ReadMetadata(layouts[0].Entities), options, _log, _ct);
        stage.Record.Counts["points"] = result.PointCount;
        stage.Record.Counts["layouts"] = result.Layouts.Count;
        return result;
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
        if (_stages.FirstOrDefault(s => s.Name == "atlas") is { } atlas && ReadSidecar(atlas.SidecarPath) is { } sidecar
            && CheckFolder(Path.Combine(run, "atlas"), sidecar) is { } problem)
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
        var embedding = Input<Embedding>("mde");
        var projection = Input<ProjectionResult>("projection-1");
        foreach (var stage in _stages)
            foreach (var (key, value) in stage.Record.Counts)
                if (key is "entities" or "collections" or "rows" or "neighbor_edges" or "points") _run.Counts[key] = value;
        _run.Counts["entities"] = projection.EntityCount;
        try
        {
            var labelProperty = _config.Quality.Text("LabelProperty") ?? _config.Atlas.Text("ColorProperty") ?? _config.Preview.Text("ColorProperty");
            Dictionary<string, string>? labels = null;
            if (labelProperty is not null && _config.MetadataPath is not null)
                labels = ReadMetadata(projection.Entities)!.ToDictionary(labelProperty, projection.Entities);
            int k = Math.Min(_config.Quality.Get("K", 10), projection.EntityCount - 2);
            var report = EmbeddingQuality.Measure(projection, embedding, k, labels, labelProperty, EmbeddingQuality.DefaultRankQueries, _log, _ct);
            _run.Quality[$"recall@{k}"] = report.NeighborRecall;
            _run.Quality["trustworthiness"] = report.Trustworthiness;
            _run.Quality["continuity"] = report.Continuity;
            if (labels is not null) _run.Quality["label_accuracy"] = report.LabelAccuracy;
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
                _run.Displacement = Displacement(before, projection, _run.PreviousRun!);
            }
            catch (EmbedPSException ex)
            {
                Warn($"Displacement was not measured: {ex.Message}");
            }
        }
    }

    /// <summary>Distances moved by the entities both maps place; the extent is the larger side of the previous map's bounding box.</summary>
    public static MapDisplacement Displacement(ProjectionResult before, ProjectionResult after, string previousRun)
    {
        var moved = new List<double>();
        for (int i = 0; i < after.EntityCount; i++)
        {
            int j = before.Entities.IndexOf(after.Entities[i]);
            if (j < 0) continue;
            double dx = after.X[i] - before.X[j], dy = after.Y[i] - before.Y[j];
            moved.Add(Math.Sqrt(dx * dx + dy * dy));
        }
        moved.Sort();
        double Quantile(double q) => moved.Count == 0 ? 0 : moved[(int)Math.Min(moved.Count - 1, Math.Floor(q * (moved.Count - 1) + 0.5))];
        double extent = before.EntityCount == 0 ? 0 : Math.Max(before.X.Max() - before.X.Min(), before.Y.Max() - before.Y.Min());
        return new MapDisplacement
        {
            PreviousRun = previousRun,
            Shared = moved.Count,
            New = after.EntityCount - moved.Count,
            Removed = before.EntityCount - moved.Count,
            Median = Quantile(0.5),
            P95 = Quantile(0.95),
            Max = moved.Count == 0 ? 0 : moved[^1],
            Extent = extent,
        };
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

    // ---------------------------------------------------------------- recovery and pruning

    /// <summary>
    /// Under the lock, whatever a killed run left is garbage: temporary files and folders (never results: writers rename them into
    /// place only when complete), half-made links, and run logs still saying 'running' (marked 'abandoned').
    /// </summary>
    private void Recover()
    {
        int removed = 0;
        foreach (var dir in new[] { _config.OutputPath, _cacheDir })
        {
            if (!Directory.Exists(dir)) continue;
            foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos(".*"))
            {
                if (!entry.Name.Contains(".tmp", StringComparison.Ordinal)) continue;
                try
                {
                    if (entry is DirectoryInfo d && d.LinkTarget is null) d.Delete(recursive: true); else entry.Delete();
                    removed++;
                }
                catch (IOException) { }
            }
        }
        if (removed > 0) Warn($"Removed {removed} temporary file(s) left by an interrupted run.");
        if (!Directory.Exists(_runsDir)) return;
        foreach (var folder in Directory.EnumerateDirectories(_runsDir))
        {
            var log = Path.Combine(folder, "run.json");
            if (PipelineRun.TryRead(log) is { Status: "running" } dead)
            {
                dead.Status = "abandoned";
                dead.Error ??= "The run ended without finishing (killed or crashed); found by the next run.";
                AtomicFile.Write(log, s => JsonSerializer.Serialize(s, dead, PipelineRun.JsonOptions));
                Warn($"Run {dead.RunId} did not finish (killed or crashed); marked abandoned. Its artifacts were not used unless complete.");
            }
        }
    }

    private void TryPrune()
    {
        try { Prune(); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { Warn($"Pruning old runs failed: {ex.Message}"); }
    }

    /// <summary>Keeps the newest KeepRuns run folders (and always the served one) and the cache entries they use.</summary>
    private void Prune()
    {
        if (!Directory.Exists(_runsDir)) return;
        var served = LatestLink.Target(_config.OutputPath);
        var runs = Directory.EnumerateDirectories(_runsDir).Where(d => !Path.GetFileName(d).StartsWith('.')).OrderByDescending(d => Path.GetFileName(d), StringComparer.Ordinal).ToList();
        var keep = runs.Take(_config.KeepRuns).ToHashSet(StringComparer.Ordinal);
        if (served is not null) keep.Add(served);
        keep.Add(_run.RunPath);
        foreach (var run in runs.Where(r => !keep.Contains(r)))
        {
            Directory.Delete(run, recursive: true);
            _run.PrunedRuns.Add(Path.GetFileName(run));
        }
        if (!Directory.Exists(_cacheDir)) return;
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var run in keep)
            foreach (var stage in (PipelineRun.TryRead(Path.Combine(run, "run.json"))?.Stages ?? new()))
                used.Add($"{stage.Name}-{stage.Key}");
        foreach (var stage in _stages) used.Add($"{stage.Name}-{stage.Record.Key}");
        foreach (var entry in new DirectoryInfo(_cacheDir).EnumerateFileSystemInfos())
        {
            if (entry.Name.StartsWith('.') || entry.Name == "inputs.json") continue;
            var stem = entry is DirectoryInfo ? entry.Name : Path.GetFileNameWithoutExtension(entry.Name);
            if (used.Contains(stem)) continue;
            if (entry is DirectoryInfo dir) dir.Delete(recursive: true); else entry.Delete();
        }
    }

    private static void DeleteEntry(string path, string sidecar)
    {
        if (File.Exists(sidecar)) File.Delete(sidecar);
        if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        else if (File.Exists(path)) File.Delete(path);
    }

    // ---------------------------------------------------------------- hashing

    private static string Hash(params string[] parts) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", parts))))[..20];

    private static string Json(SortedDictionary<string, object?> values) => JsonSerializer.Serialize(values);

    private static PipelineSection Without(PipelineSection section, string key)
    {
        var copy = new PipelineSection();
        foreach (var (k, v) in section) if (k != key) copy[k] = v;
        return copy;
    }

    /// <summary>
    /// SHA-256 of every input file (a folder: every file in it, except names starting with '_' or '.', as Spark and Hadoop do),
    /// with their names. A file whose size and modification time are unchanged since the last run is not read again.
    /// </summary>
    private string Fingerprint(IEnumerable<string> paths)
    {
        var text = new StringBuilder();
        foreach (var path in paths)
        {
            var files = File.Exists(path) ? new[] { path }
                : Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                    .Where(f => !Path.GetRelativePath(path, f).Split(Path.DirectorySeparatorChar).Any(part => part.StartsWith('_') || part.StartsWith('.')))
                    .OrderBy(f => f, StringComparer.Ordinal).ToArray();
            foreach (var file in files)
            {
                var info = new FileInfo(file);
                var sha = _prints.TryGetValue(file, out var p) && p.Length == info.Length && p.Ticks == info.LastWriteTimeUtc.Ticks ? p.Sha256 : FileHash.Sha256(file);
                _prints[file] = new InputPrint(info.Length, info.LastWriteTimeUtc.Ticks, sha);
                text.Append(Path.GetFileName(path)).Append('/').Append(Path.GetRelativePath(path, file)).Append('=').Append(sha).Append('\n');
            }
        }
        return Hash(text.ToString());
    }

    private string PrintsPath => Path.Combine(_cacheDir, "inputs.json");

    private Dictionary<string, InputPrint> ReadPrints()
    {
        try
        {
            if (File.Exists(PrintsPath))
                return JsonSerializer.Deserialize<Dictionary<string, InputPrint>>(File.ReadAllText(PrintsPath)) ?? new();
        }
        catch (Exception ex) when (ex is IOException or JsonException) { }
        return new();
    }

    private void SavePrints()
    {
        try { AtomicFile.Write(PrintsPath, s => JsonSerializer.Serialize(s, _prints)); }
        catch (IOException ex) { Warn($"Could not save the input fingerprints: {ex.Message}"); }
    }

    private static Sidecar? ReadSidecar(string path)
    {
        try { return File.Exists(path) ? JsonSerializer.Deserialize<Sidecar>(File.ReadAllText(path), PipelineRun.JsonOptions) : null; }
        catch (Exception ex) when (ex is IOException or JsonException) { return null; }
    }
}
