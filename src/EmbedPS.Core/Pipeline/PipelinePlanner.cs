using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Collections;
using EmbedPS.Core.Common;
using EmbedPS.Core.Preview;
using EmbedPS.Core.Atlas;
using EmbedPS.Core.Cooccurrence;
using EmbedPS.Core.Mde;
using EmbedPS.Core.NeighborPreservation;
using EmbedPS.Core.Projection;
using static EmbedPS.Core.Pipeline.StageCache;

namespace EmbedPS.Core.Pipeline;

/// <summary>
/// Plans a run: the stages the config asks for, each one's cache key (its upstream key, its input files' SHA-256 and its
/// resolved options), whether its cached entry is valid, whether it starts from the served map (AlignTo = 'latest'), and, when
/// it must run, why (which setting, input file or upstream stage changed since the served run). Reads, never writes.
/// </summary>
internal sealed class PipelinePlanner(PipelineConfig config, PipelineRun run, PipelineRun? previous, string? previousFolder,
    string cacheDirectory, InputFingerprints inputs, IStageLog log)
{
    private const string KeyVersion = "embedps-pipeline/1";
    private const string NotCached = "not cached";
    private readonly List<PipelineStage> _stages = new();
    private readonly Dictionary<string, List<string>> _changedFiles = new(StringComparer.Ordinal);
    private bool _force;

    public List<PipelineStage> Plan(bool force)
    {
        _force = force;
        _stages.Clear();
        var salt = KeyVersion + "|" + typeof(PipelinePlanner).Assembly.GetName().Version;
        var metadataPrint = config.MetadataPath is { } meta ? Print("metadata", new[] { meta }) : "none";
        string upstream;
        if (config.Input is { } input)
        {
            var files = Print("input", config.InputPaths);
            upstream = Add("import", false, Hash(salt, "import", files, Json(Without(input, "Path"))), input, new ImportStage(), inputs: "input");
            if (config.Filter is { } filter) upstream = Add("filter", false, Hash(upstream, "filter", Json(Settings.Resolve(CollectionFilterSettings.All, filter))), filter, new FilterStage());
            upstream = Add("cooccurrence", false, Hash(upstream, "cooccurrence", Json(Settings.Resolve(CooccurrenceSettings.All, config.Cooccurrence))), config.Cooccurrence, new CooccurrenceStage());
        }
        else
        {
            var edges = config.EdgeList!;
            upstream = Add("edges", false, Hash(salt, "edges", Print("input", config.InputPaths), Json(Without(edges, "Path"))), edges, new EdgeListStage(), inputs: "input");
        }
        // Keys hash the resolved options (every option, given or default): equal meanings share an entry, a new default is a new key.
        upstream = Add("neighbors", false, Hash(upstream, "neighbors", Json(Settings.Resolve(NeighborPreservationSettings.All, config.Neighbors))), config.Neighbors, new NeighborsStage());
        var mde = Add("mde", false, Hash(upstream, "mde", Json(Settings.Resolve(MdeSettings.All, config.Mde))), config.Mde, new MdeStage(), alignFile: "embedding.parquet");
        var projectionKeys = new List<string>();
        for (int i = 0; i < config.Projections.Count; i++)
        {
            projectionKeys.Add(Add($"projection-{i + 1}", false, Hash(mde, "projection", Json(Settings.Resolve(ProjectionSettings.All, config.Projections[i]))), config.Projections[i],
                new ProjectionStage(i), alignFile: $"projection-{i + 1}.parquet"));
        }
        var layouts = string.Join(",", projectionKeys);
        if (PreviewSettings.Enabled.From(config.Preview))
            Add("preview", true, Hash(layouts, "preview", metadataPrint, Json(Settings.Resolve(PreviewSettings.All, config.Preview)),
                "colour:" + (PreviewSettings.ColorProperty.From(config.Preview) ?? AtlasSettings.ColorProperty.From(config.Atlas))), config.Preview, new PreviewStage(), inputs: "metadata");
        // The atlas' title defaults to the pipeline's name, so the name is part of its key.
        Add("atlas", true, Hash(layouts, mde, "atlas", metadataPrint, config.Name, Json(Settings.Resolve(AtlasSettings.All, config.Atlas)), Json(config.Metadata ?? new PipelineSection())), config.Atlas, new AtlasStage(), inputs: "metadata");
        foreach (var stage in _stages) Validate(stage, force);
        run.Stages = _stages.Select(s => s.Record).ToList();
        run.Parameters = new SortedDictionary<string, object?>(StringComparer.Ordinal)
        {
            ["AlignTo"] = config.AlignToLatest ? "latest" : "none",
            ["KeepRuns"] = config.KeepRuns,
            ["Force"] = force,
        };
        return _stages;
    }

    private string Print(string role, IEnumerable<string> paths)
    {
        var print = inputs.Fingerprint(paths, out var changed);
        _changedFiles[role] = changed;
        return print;
    }

    private string Add(string name, bool folder, string baseKey, PipelineSection parameters, StageRunner runner, string? alignFile = null, string? inputs = null)
    {
        var record = new PipelineStageRecord { Name = name, BaseKey = baseKey, Key = baseKey, Parameters = new(parameters, StringComparer.Ordinal) };
        var stage = new PipelineStage { Name = name, IsFolder = folder, Record = record, Runner = runner };
        var before = previous?.Stages.FirstOrDefault(s => s.Name == name);
        if (before is not null && before.BaseKey != baseKey) stage.ChangeReason = WhatChanged(before, record, inputs);
        if (alignFile is not null && before is not null)
        {
            var previousFile = Path.Combine(previousFolder!, alignFile);
            if (before.BaseKey == baseKey && !(_force && config.AlignToLatest))
            {
                record.Key = before.Key;   // same inputs and parameters: the previous map is this map
                if (File.Exists(previousFile)) { stage.RestoreFrom = previousFile; stage.RestoreSha = before.Sha256; }
            }
            else if (config.AlignToLatest && File.Exists(previousFile))
            {
                record.Key = Hash(baseKey, "align", FileHash.Sha256(previousFile));
                stage.AlignSource = previousFile;
                record.AlignedTo = run.PreviousRun;
            }
        }
        stage.CachePath = Path.Combine(cacheDirectory, $"{name}-{record.Key}{(folder ? "" : ".parquet")}");
        record.Artifact = stage.CachePath;
        _stages.Add(stage);
        return record.Key;
    }

    /// <summary>
    /// Why a stage's key differs from the served run's: which setting (by its config key), which input or metadata file, or
    /// which stage before it changed. Said in the run log as "not cached: … since run &lt;id&gt;".
    /// </summary>
    private string WhatChanged(PipelineStageRecord before, PipelineStageRecord now, string? inputs)
    {
        var reasons = new List<string>();
        if (inputs is not null && _changedFiles.TryGetValue(inputs, out var files) && files.Count > 0)
            reasons.Add($"{inputs} '{Path.GetFileName(files[0])}' changed{(files.Count > 1 ? $" (and {files.Count - 1} more files)" : "")}");
        var section = now.Name switch
        {
            "import" => "Input", "edges" => "EdgeList", "filter" => "Filter", "cooccurrence" => "Cooccurrence", "neighbors" => "Neighbors", "mde" => "Mde",
            "preview" => "Preview", "atlas" => "Atlas",
            _ when now.Name.StartsWith("projection-", StringComparison.Ordinal) => $"Projections[{int.Parse(now.Name[11..], System.Globalization.CultureInfo.InvariantCulture) - 1}]",
            _ => now.Name,
        };
        var settings = before.Parameters.Keys.Union(now.Parameters.Keys, StringComparer.Ordinal).Where(k => k != "Path")
            .Where(k => Text(before.Parameters.GetValueOrDefault(k)) != Text(now.Parameters.GetValueOrDefault(k)))
            .Select(k => $"{section}.{k}").ToList();
        if (settings.Count > 0) reasons.Add($"setting{(settings.Count == 1 ? "" : "s")} {string.Join(", ", settings)} changed");
        if (reasons.Count == 0 && _stages.LastOrDefault(s => previous!.Stages.FirstOrDefault(p => p.Name == s.Name) is { } p && p.BaseKey != s.Record.BaseKey) is { } upstream)
            reasons.Add($"its input from stage '{upstream.Name}' changed");
        return reasons.Count == 0 ? $"its inputs changed since run {run.PreviousRun}" : $"{string.Join("; ", reasons)} since run {run.PreviousRun}";
    }

    /// <summary>A setting as text, the same for a value read from the served run's JSON log and the one in this config.</summary>
    private static string? Text(object? value)
    {
        if (value is null) return null;
        var element = System.Text.Json.JsonSerializer.SerializeToElement(value);
        var text = element.ValueKind == System.Text.Json.JsonValueKind.String ? element.GetString()! : element.GetRawText();
        if (text.StartsWith('[') || text.StartsWith('{'))
        {
            try { return System.Text.Json.Nodes.JsonNode.Parse(text)!.ToJsonString(); }   // compact, as the log's indented copy is not
            catch (System.Text.Json.JsonException) { }
        }
        return text;
    }

    private void Validate(PipelineStage stage, bool force)
    {
        var sidecar = StageSidecar.TryRead(stage.SidecarPath);
        bool exists = stage.IsFolder ? Directory.Exists(stage.CachePath) : File.Exists(stage.CachePath);
        if (!exists && sidecar is null) { stage.CacheProblem = NotCached; }
        else if (sidecar is null || sidecar.Key != stage.Record.Key) { stage.CacheProblem = "cached artifact has no valid record"; }
        else if (!exists) { stage.CacheProblem = "cached artifact is missing"; }
        else
        {
            var problem = stage.IsFolder ? StageCache.CheckFolder(stage.CachePath, sidecar) : StageCache.CheckFile(stage.CachePath, sidecar);
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
        bool corrupt = !stage.CacheValid && stage.CacheProblem != NotCached;
        // A map that started from an earlier one cannot be recomputed under its key; the previous run's verified copy is restored.
        if (!stage.CacheValid && !force && stage.RestoreFrom is { } copy && stage.RestoreSha is { } sha && FileHash.Sha256(copy) == sha)
        {
            stage.Restore = true;
            stage.Record.Status = "reused";
            stage.Record.Reason = $"restored from run {run.PreviousRun} ({stage.CacheProblem})";
            return;
        }
        if (force) { stage.CacheValid = false; stage.CacheProblem = "-Force"; }
        stage.Record.Status = stage.CacheValid ? "reused" : "planned";
        stage.Record.Reason = stage.CacheValid ? null : stage.CacheProblem == NotCached && stage.ChangeReason is { } why ? $"{NotCached}: {why}" : stage.CacheProblem;
        if (corrupt && !force) log.Warning($"Stage '{stage.Name}': {stage.CacheProblem} ('{stage.CachePath}'); it will be rebuilt, not used.");
    }
}
