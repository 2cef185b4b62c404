using EmbedPS.Core.Collections;
using EmbedPS.Core.Common;
using EmbedPS.Core.Preview;
using EmbedPS.Core.Atlas;
using EmbedPS.Core.Cooccurrence;
using EmbedPS.Core.Mde;
using EmbedPS.Core.NeighborPreservation;
using EmbedPS.Core.Projection;

namespace EmbedPS.Core.Pipeline;

/// <summary>
/// The schema of a pipeline data file (pipeline.psd1): every key Invoke-EmbeddingPipeline accepts, with its type and meaning.
/// Keys are case-insensitive; anything else is an error that names the key.
/// </summary>
public static class PipelineSchema
{
    private static SettingSpec Int(string name, string help, double min = int.MinValue, double max = int.MaxValue) => new(name, SettingType.Int, help) { Min = min, Max = max };
    private static SettingSpec Dbl(string name, string help, double min = double.MinValue, double max = double.MaxValue) => new(name, SettingType.Double, help) { Min = min, Max = max };
    private static SettingSpec Str(string name, string help) => new(name, SettingType.String, help);
    private static SettingSpec Enm<T>(string name, string help) where T : struct, Enum => new(name, SettingType.Enum, help) { EnumType = typeof(T) };
    private static SettingSpec Choice(string name, string help, params string[] allowed) => new(name, SettingType.Enum, help) { Allowed = allowed };
    private static SettingSpec Section(string name, string help, params SettingSpec[] children) => new(name, SettingType.Section, help) { Children = children };

    public static IReadOnlyList<SettingSpec> Input { get; } = new[]
    {
        new SettingSpec("Path", SettingType.InputPathList, "Collections as long-format rows: CSV/TSV/Parquet files or Hive-partitioned folders (relative to the data file).") { Required = true },
        Str("CollectionProperty", "Column holding the collection id (default 'collection')."),
        Str("EntityProperty", "Column holding the entity id (default 'entity')."),
        Str("WeightProperty", "Optional weight column."),
        Str("ValueProperty", "Optional value column (for Cooccurrence.ValueScale)."),
        Str("TimestampProperty", "Optional timestamp column (for Cooccurrence.TimeScale)."),
        Str("Delimiter", "CSV delimiter (one character; default from the extension)."),
    };

    public static IReadOnlyList<SettingSpec> EdgeList { get; } = new[]
    {
        new SettingSpec("Path", SettingType.InputPath, "A co-occurrence edge list written by Spark or DuckDB: a Parquet file or a folder of part files.") { Required = true },
        Str("EntityAColumn", "First entity column (default 'entity_a')."),
        Str("EntityBColumn", "Second entity column (default 'entity_b')."),
        Str("WeightColumn", "Weight column (default 'weight')."),
    };

    public static IReadOnlyList<SettingSpec> Filter => CollectionFilterSettings.All;

    public static IReadOnlyList<SettingSpec> Cooccurrence => CooccurrenceSettings.All;

    public static IReadOnlyList<SettingSpec> Neighbors => NeighborPreservationSettings.All;

    public static IReadOnlyList<SettingSpec> Mde => MdeSettings.All;

    public static IReadOnlyList<SettingSpec> Projection => ProjectionSettings.All;

    public static IReadOnlyList<SettingSpec> Metadata { get; } = new[]
    {
        new SettingSpec("Path", SettingType.InputPath, "Entity metadata, a CSV/TSV or Parquet file joined on IdProperty.") { Required = true },
        Str("IdProperty", "The id column (default 'entity'); ids match the entities' ids exactly."),
        new SettingSpec("AllowDuplicateId", SettingType.Bool, "An id on more than one row keeps its first row, with a warning (default $false: an error)."),
    };

    public static IReadOnlyList<SettingSpec> Preview => PreviewSettings.All;

    public static IReadOnlyList<SettingSpec> Atlas => AtlasSettings.All;

    public static IReadOnlyList<SettingSpec> Quality { get; } = new[]
    {
        Str("LabelProperty", "Metadata column for the k-NN label accuracy (default: Atlas.ColorProperty)."),
        Int("K", "Neighbourhood size of recall, trustworthiness and continuity (default 10).", 1, 1000),
    };

    /// <summary>Top-level keys.</summary>
    public static IReadOnlyList<SettingSpec> Root { get; } = new[]
    {
        Str("Name", "The pipeline's name (default: the data file's name); it names the lock and the log."),
        new SettingSpec("OutputPath", SettingType.OutputPath, "Folder of the runs, the cache, the lock and the served 'latest' link.") { Required = true },
        Section("Input", "Read collections (one of Input or EdgeList).", Input.ToArray()),
        Section("EdgeList", "Read a precomputed co-occurrence edge list instead of collections.", EdgeList.ToArray()),
        Section("Filter", "Select-EntityCollection settings (with Input).", Filter.ToArray()),
        Section("Cooccurrence", "New-CooccurrenceMatrix settings (with Input).", Cooccurrence.ToArray()),
        Section("Neighbors", "Invoke-NeighborPreservation settings.", Neighbors.ToArray()),
        Section("Mde", "Invoke-Mde settings.", Mde.ToArray()),
        new SettingSpec("Projections", SettingType.SectionList, "ConvertTo-Projection settings, one hashtable per layout (default: one UMAP).") { Children = Projection.ToArray() },
        Section("Metadata", "Entity metadata for previews, the atlas and label accuracy.", Metadata.ToArray()),
        Section("Preview", "Export-EmbeddingPreview settings.", Preview.ToArray()),
        Section("Atlas", "Export-EmbeddingAtlas settings.", Atlas.ToArray()),
        Section("Quality", "Measure-Embedding settings for the run log.", Quality.ToArray()),
        Section("Gates", "What a run must pass to be served (drops against the served run, quality, displacement, metadata).", PipelineGates.All.ToArray()),
        Choice("AlignTo", "'latest': start from and align onto the served map so entities stay put; 'none' (default).", "latest", "none"),
        Int("KeepRuns", "Run folders to keep (default 7); older ones and unused cache entries are pruned.", 1, 10_000),
    };
}
