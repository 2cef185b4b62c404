using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace EmbedPS.Core.Pipeline;

/// <summary>One stage of a run: whether it ran or reused its cached artifact, its key, timing and counts.</summary>
public sealed class PipelineStageRecord
{
    public string Name { get; set; } = "";
    /// <summary>planned (WhatIf), reused, ran, failed or skipped (not reached).</summary>
    public string Status { get; set; } = "planned";
    public bool Reused => Status == "reused";
    /// <summary>Hash of the stage's inputs and parameters (and, with AlignTo, of the map it starts from).</summary>
    public string Key { get; set; } = "";
    /// <summary>Hash of the inputs and parameters only: equal keys with a different start reuse the previous map.</summary>
    public string BaseKey { get; set; } = "";
    public string? Artifact { get; set; }
    public string? Sha256 { get; set; }
    public long Bytes { get; set; }
    public double Seconds { get; set; }
    public SortedDictionary<string, object?> Parameters { get; set; } = new(StringComparer.Ordinal);
    public SortedDictionary<string, double> Counts { get; set; } = new(StringComparer.Ordinal);
    /// <summary>Why a cached artifact was not reused (changed inputs, -Force, corrupt), or the failure.</summary>
    public string? Reason { get; set; }
    public string? AlignedTo { get; set; }

    public override string ToString() => $"{Name}: {Status}{(Reason is null ? "" : $" ({Reason})")}";
}

/// <summary>How far the entities that persist moved between the previous map and this one, in map units and as a fraction of its extent.</summary>
public sealed class MapDisplacement
{
    /// <summary>Distances moved by the entities both maps place; the extent is the larger side of the previous map's bounding box.</summary>
    public static MapDisplacement Between(Projection.Projection before, Projection.Projection after, string previousRun)
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

    public string PreviousRun { get; set; } = "";
    public int Shared { get; set; }
    public int New { get; set; }
    public int Removed { get; set; }
    public double Median { get; set; }
    public double P95 { get; set; }
    public double Max { get; set; }
    /// <summary>The larger side of the previous map's bounding box.</summary>
    public double Extent { get; set; }
    public double MedianRelative => Extent > 0 ? Median / Extent : 0;
    public double P95Relative => Extent > 0 ? P95 / Extent : 0;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"median {MedianRelative:P1} of the map (p95 {P95Relative:P1}) over {Shared:N0} entities; {New:N0} new, {Removed:N0} gone");
}

/// <summary>What Invoke-EmbeddingPipeline did: the run log (run.json) and the one-line summary.</summary>
public sealed class PipelineRun
{
    public string Pipeline { get; set; } = "";
    public string RunId { get; set; } = "";
    /// <summary>planned (-WhatIf), running, succeeded, failed, cancelled or abandoned (killed; found by the next run).</summary>
    public string Status { get; set; } = "running";
    public string ConfigPath { get; set; } = "";
    public string OutputPath { get; set; } = "";
    public string RunPath { get; set; } = "";
    /// <summary>The served atlas: the 'latest' link's atlas folder (a stable path for web servers).</summary>
    public string AtlasPath { get; set; } = "";
    public string LogPath { get; set; } = "";
    public DateTimeOffset Started { get; set; }
    public double Seconds { get; set; }
    public string? FailedStage { get; set; }
    public string? Error { get; set; }
    /// <summary>The run that 'latest' pointed at before this one (what a failed run leaves served).</summary>
    public string? PreviousRun { get; set; }
    public string? ServedRun { get; set; }
    public bool AlignedToPrevious { get; set; }
    public List<PipelineStageRecord> Stages { get; set; } = new();
    public SortedDictionary<string, object?> Parameters { get; set; } = new(StringComparer.Ordinal);
    public SortedDictionary<string, double> Counts { get; set; } = new(StringComparer.Ordinal);
    public SortedDictionary<string, double?> Quality { get; set; } = new(StringComparer.Ordinal);
    /// <summary>
    /// One row per projection (a sweep's table): Stage, Layout (its name), the settings that made it (NeighborCount, Dimension,
    /// AttractivePenalty, Method, Neighbors, MinDistance, Perplexity) and its recall@k, trustworthiness, continuity and label
    /// accuracy against the embedding, as Measure-Embedding measures them.
    /// </summary>
    public List<OrderedDictionary<string, object?>> QualityTable { get; set; } = new();
    public MapDisplacement? Displacement { get; set; }
    public List<string> Warnings { get; set; } = new();
    public List<string> PrunedRuns { get; set; } = new();
    /// <summary>Every gate the run was checked against (Gates section and the default drop gates), passed or not.</summary>
    public List<PipelineGate> Gates { get; set; } = new();
    /// <summary>The gates that failed.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IEnumerable<PipelineGate> FailedGates => Gates.Where(g => !g.Passed);
    /// <summary>True when the run failed a gate and was served anyway (-AcceptGates or Gates.Accept).</summary>
    public bool GatesAccepted { get; set; }

    public int ReusedCount => Stages.Count(s => s.Status == "reused");
    public int RanCount => Stages.Count(s => s.Status == "ran");

    /// <summary>The one line a scheduled job logs.</summary>
    public string Summary => Status switch
    {
        "succeeded" => string.Create(CultureInfo.InvariantCulture,
            $"{Pipeline}: run {RunId} succeeded in {Seconds:F1} s: {Stages.Count} stages, {RanCount} ran, {ReusedCount} reused; " +
            $"{(Counts.TryGetValue("entities", out var n) ? $"{n:N0} entities; " : "")}" +
            $"{(Displacement is { } d ? $"moved {d.MedianRelative:P1} median, {d.P95Relative:P1} p95; " : "")}serving {ServedRun}"),
        "planned" => $"{Pipeline}: plan: {Stages.Count(s => s.Status == "planned")} stage(s) to run, {ReusedCount} to reuse",
        _ => string.Create(CultureInfo.InvariantCulture,
            $"{Pipeline}: run {RunId} {Status.ToUpperInvariant()}{(FailedStage is null ? "" : $" at stage '{FailedStage}'")} after {Seconds:F1} s: {Error?.TrimEnd().TrimEnd('.')}; " +
            $"{(PreviousRun is null ? "no atlas is served yet" : $"still serving {PreviousRun}")}"),
    };

    public override string ToString() => Summary;

    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public static PipelineRun? TryRead(string path)
    {
        try
        {
            return File.Exists(path) ? ReadStrict(path) : null;
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static PipelineRun? ReadStrict(string path)
    {
        var run = JsonSerializer.Deserialize<PipelineRun>(File.ReadAllText(path), JsonOptions);
        if (run is null) return null;
        // Parameters come back as JsonElements; keep them as text for display.
        foreach (var stage in run.Stages)
            foreach (var key in stage.Parameters.Keys.ToList())
                if (stage.Parameters[key] is JsonElement e) stage.Parameters[key] = e.ToString();
        return run;
    }
}
