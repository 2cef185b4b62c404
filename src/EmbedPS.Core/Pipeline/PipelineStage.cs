using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Atlas;
using EmbedPS.Core.Common;
using EmbedPS.Core.Projection;
using EmbedPS.Core.Mde;
using EmbedPS.Core.Preview;
using ProjectionResult = EmbedPS.Core.Projection.Projection;

namespace EmbedPS.Core.Pipeline;

/// <summary>One stage of a planned run: its record (name, key, status), where its artifact is cached, and how it is made.</summary>
internal sealed class PipelineStage
{
    public required string Name { get; init; }
    public required bool IsFolder { get; init; }
    public required PipelineStageRecord Record { get; init; }
    public required StageRunner Runner { get; init; }
    /// <summary>The previous run's map this stage starts from and aligns onto (AlignTo = 'latest'), when its inputs changed.</summary>
    public string? AlignSource { get; set; }
    /// <summary>The previous run's copy of this very artifact (same key), to restore a missing or corrupt cache entry from.</summary>
    public string? RestoreFrom { get; set; }
    public string? RestoreSha { get; set; }
    public bool Restore { get; set; }
    public object? Value { get; set; }
    public bool CacheValid { get; set; }
    public string? CacheProblem { get; set; }
    public string CachePath { get; set; } = "";
    /// <summary>Why the key differs from the served run's (a setting, an input file, an upstream stage), for the run log.</summary>
    public string? ChangeReason { get; set; }
    public string SidecarPath => (IsFolder ? CachePath : Path.ChangeExtension(CachePath, null)) + ".json";
}

/// <summary>Makes one stage's artifact from the config and the stages before it; a small class per stage under Stages/.</summary>
internal abstract class StageRunner
{
    /// <summary>Makes the artifact at <see cref="PipelineStage.CachePath"/>, records counts, and returns the value (or null).</summary>
    public abstract object? Run(PipelineStage stage, StageContext context);
}

/// <summary>The metadata of a run, joined once to the entities of its maps.</summary>
internal sealed class RunMetadata
{
    public (EntityIds Entities, EntityAttributes Attributes)? Joined { get; set; }
    /// <summary>UMAP's kNN graphs, computed once per Neighbors value and shared by the projections of a run (a sweep's).</summary>
    public UmapGraphCache Graphs { get; } = new();
}

/// <summary>What a stage runner may use: the config, the log, the cancellation, and the artifacts of the stages before it.</summary>
internal sealed class StageContext(PipelineConfig config, IReadOnlyList<PipelineStage> stages, RunMetadata metadata, IStageLog log, CancellationToken cancellation)
{
    public PipelineConfig Config { get; } = config;
    public IStageLog Log { get; } = log;
    public CancellationToken Cancellation { get; } = cancellation;
    /// <summary>UMAP graphs shared by this run's projections.</summary>
    public UmapGraphCache Graphs => metadata.Graphs;

    /// <summary>The artifact of stage <paramref name="name"/>: the value it made in this run, or its cached file.</summary>
    public T Input<T>(string name) where T : class
    {
        var stage = stages.First(s => s.Name == name);
        if (stage.Value is T value) return value;
        var read = ArtifactStore.Read(stage.CachePath, Cancellation);
        stage.Value = read;
        return read as T ?? throw new EmbedPSException("PipelineWrongArtifact", EmbedPSErrorKind.InvalidData, $"'{stage.CachePath}' does not hold a {typeof(T).Name}.");
    }

    /// <summary>The name of the stage just before <paramref name="stage"/>.</summary>
    public string Upstream(PipelineStage stage) => stages[IndexOf(stage) - 1].Name;

    private int IndexOf(PipelineStage stage)
    {
        for (int i = 0; i < stages.Count; i++) if (ReferenceEquals(stages[i], stage)) return i;
        throw new ArgumentException($"Stage '{stage.Name}' is not part of this run.");
    }

    public object Save(PipelineStage stage, object value)
    {
        ArtifactStore.Write(value, stage.CachePath, Cancellation);
        return value;
    }

    /// <summary>Every projection of this run, in order.</summary>
    public List<ProjectionResult> Layouts() =>
        stages.Where(s => s.Name.StartsWith("projection-", StringComparison.Ordinal)).Select(s => Input<ProjectionResult>(s.Name)).ToList();

    /// <summary>The metadata joined to <paramref name="entities"/>, or null when the config names none; read once a run for the
    /// previews, the atlas and the quality (so its warnings appear once).</summary>
    public EntityAttributes? ReadMetadata(EntityIds entities)
    {
        if (Config.MetadataPath is not { } path) return null;
        if (metadata.Joined is { } read && read.Entities.SequenceEqual(entities)) return read.Attributes;
        var options = new MetadataJoinOptions
        {
            IdColumn = Config.Metadata!.Text("IdProperty") ?? "entity",
            AllowDuplicateIds = Config.Metadata.Get("AllowDuplicateId", false),
            IdSetting = "Metadata.IdProperty",
            DuplicateSetting = "Metadata.AllowDuplicateId = $true",
        };
        var attributes = EntityAttributes.Read(path, entities, options, Log, Cancellation);
        metadata.Joined = (entities, attributes);
        return attributes;
    }
}
