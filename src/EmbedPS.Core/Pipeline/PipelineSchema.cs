using EmbedPS.Core.Cooccurrence;
using EmbedPS.Core.Mde;
using EmbedPS.Core.NeighborPreservation;
using EmbedPS.Core.Projection;

namespace EmbedPS.Core.Pipeline;

/// <summary>The type a pipeline setting must have.</summary>
public enum SettingType { String, StringList, Int, Double, Bool, Enum, InputPath, InputPathList, OutputPath, Section, SectionList }

/// <summary>One documented setting of a pipeline data file: name, type, range, allowed names, and what it does.</summary>
public sealed record SettingSpec(string Name, SettingType Type, string Help)
{
    public Type? EnumType { get; init; }
    public string[]? Allowed { get; init; }
    public double Min { get; init; } = double.MinValue;
    public double Max { get; init; } = double.MaxValue;
    public bool Required { get; init; }
    public IReadOnlyList<SettingSpec>? Children { get; init; }

    public string TypeName => Type switch
    {
        SettingType.Enum => "one of " + string.Join(", ", AllowedNames),
        SettingType.StringList or SettingType.InputPathList => "a string or an array of strings",
        SettingType.Int => "an integer",
        SettingType.Double => "a number",
        SettingType.Bool => "$true or $false",
        SettingType.Section => "a hashtable @{ … }",
        SettingType.SectionList => "an array of hashtables @( @{ … } )",
        _ => "a string",
    };

    public IEnumerable<string> AllowedNames => Allowed ?? (EnumType is null ? Array.Empty<string>() : Enum.GetNames(EnumType));
}

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

    public static IReadOnlyList<SettingSpec> Filter { get; } = new[]
    {
        Int("MinCollections", "Drop entities in fewer collections than this.", 0),
        Int("Top", "Keep only the N most popular entities (0: all).", 0),
        Int("MinCollectionSize", "Drop collections with fewer members.", 0),
        Int("MaxCollectionSize", "Drop collections with more members (0: no limit).", 0),
    };

    public static IReadOnlyList<SettingSpec> Cooccurrence { get; } = new[]
    {
        Enm<CollectionWeighting>("CollectionWeighting", "What a collection adds to each of its pairs."),
        Enm<PairWeight>("PairWeight", "How two items' weights combine."),
        Dbl("ValueScale", "Value kernel scale (0: off).", 0),
        Dbl("TimeScale", "Time kernel scale (0: off).", 0),
        Int("MaxPartners", "Keep each entity's K strongest partners (0: exact).", 0),
        Dbl("MaxMemoryGB", "Memory budget in GiB.", 0.001),
    };

    public static IReadOnlyList<SettingSpec> Neighbors { get; } = new[]
    {
        Int("NeighborCount", "Neighbours per entity (default from the entity count).", 1, 1000),
        Enm<SimilarityNormalization>("Normalize", "How co-occurrence weights are normalised."),
        Enm<SimilarityTransform>("Transform", "Similarity → length."),
        Dbl("MaxDistance", "Neighbourhood radius.", 0),
        new SettingSpec("ConnectComponents", SettingType.Bool, "Link the graph's connected components."),
        Dbl("RepulsiveFraction", "Repulsive pairs per neighbour edge.", 0, 100),
        Int("Seed", "Seed of the random choices."),
    };

    public static IReadOnlyList<SettingSpec> Mde { get; } = new[]
    {
        Int("Dimension", "Dimensions of the embedding (default 3).", 1, 64),
        Enm<PenaltyKind>("AttractivePenalty", "Penalty on neighbour edges."),
        Dbl("AttractiveExponent", "Exponent of a Log1p/Log attractive penalty.", 1e-6, 100),
        Enm<PenaltyKind>("RepulsivePenalty", "Penalty on repulsive pairs."),
        Dbl("RepulsiveExponent", "Exponent of a Log/Log1p repulsive penalty.", 1e-6, 100),
        Dbl("HuberThreshold", "Threshold of a Huber penalty.", 1e-9, 1e9),
        Choice("Constraint", "Centered or Standardized.", "Centered", "Standardized"),
        Int("MaxIterations", "Most L-BFGS iterations (default 300).", 0, 1_000_000),
        Dbl("Tolerance", "Stop when the projected gradient norm is at most this.", 0, 1e6),
        Int("Seed", "Seed of the start."),
        Enm<MdeDevice>("Device", "Cpu (default), Gpu or Auto."),
    };

    public static IReadOnlyList<SettingSpec> Projection { get; } = new[]
    {
        Enm<ProjectionMethod>("Method", "Umap (default), Tsne or Pca."),
        Str("Name", "The layout's name in the atlas."),
        Int("Seed", "Seed (default 42).") ,
        Int("Neighbors", "UMAP n_neighbors.", 2, 200),
        Dbl("MinDistance", "UMAP min_dist.", 0, 10),
        Dbl("Spread", "UMAP spread.", 0.01, 10),
        Int("Epochs", "UMAP epochs (0: automatic).", 0, 100_000),
        Dbl("LearningRate", "Initial learning rate (0: the method's default).", 0, 1e9),
        Dbl("Perplexity", "t-SNE perplexity.", 1, 1000),
        Int("Iterations", "t-SNE iterations.", 3, 100_000),
        Dbl("RefineLearningRate", "UMAP learning rate when refining the previous map (AlignTo = 'latest'; default 0.1).", 1e-6, 10),
        Int("RefineEpochs", "UMAP epochs when refining the previous map (default 100).", 1, 100_000),
    };

    public static IReadOnlyList<SettingSpec> Metadata { get; } = new[]
    {
        new SettingSpec("Path", SettingType.InputPath, "Entity metadata, a CSV/TSV or Parquet file joined on IdProperty.") { Required = true },
        Str("IdProperty", "The id column (default 'entity'); ids match the entities' ids exactly."),
        new SettingSpec("AllowDuplicateId", SettingType.Bool, "An id on more than one row keeps its first row, with a warning (default $false: an error)."),
    };

    public static IReadOnlyList<SettingSpec> Preview { get; } = new[]
    {
        new SettingSpec("Enabled", SettingType.Bool, "Write previews (default $true)."),
        Str("ColorProperty", "Metadata column to colour by."),
        Int("Width", "Width in pixels.", 64, 20_000),
        Int("Height", "Height in pixels.", 64, 20_000),
        Choice("Theme", "Light or Dark.", "Light", "Dark"),
    };

    public static IReadOnlyList<SettingSpec> Atlas { get; } = new[]
    {
        Str("Title", "The page title."),
        Str("ColorProperty", "Initial colouring."),
        Str("LabelProperty", "Entity names."),
        Str("SizeProperty", "Number column that sizes points."),
        new SettingSpec("SearchProperty", SettingType.StringList, "Columns searched besides name and id."),
        new SettingSpec("TooltipProperty", SettingType.StringList, "Columns shown on hover."),
        new SettingSpec("CategoryProperty", SettingType.StringList, "Number columns treated as categories."),
        Choice("Theme", "Dark or Light.", "Dark", "Light"),
        Int("NeighborCount", "Neighbours listed in the details panel.", 0, 100),
        Int("Seed", "Seed of the cluster labels."),
    };

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
        Choice("AlignTo", "'latest': start from and align onto the served map so entities stay put; 'none' (default).", "latest", "none"),
        Int("KeepRuns", "Run folders to keep (default 7); older ones and unused cache entries are pruned.", 1, 10_000),
    };
}
