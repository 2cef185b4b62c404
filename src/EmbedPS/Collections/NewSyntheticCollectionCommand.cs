using System.Management.Automation;
using EmbedPS.Commands.Infrastructure;
using EmbedPS.Core.Collections;

namespace EmbedPS.Commands.Collections;

/// <summary>
/// <para type="synopsis">Generates the built-in sample: entity collections with planted hierarchical structure.</para>
/// <para type="description">Deterministic under -Seed. Entities belong to groups × subgroups (default 20 × 5) plus a few popular
/// "noise" items that belong to none; popularity is Zipf-like inside each pool; each collection has a home subgroup and draws
/// most of its items from it, some from its group, some from the noise items and some from anywhere. Collection sizes are
/// log-normal with a long tail. Sizes: Tiny (400 entities, 1,500 collections), Small (5,000 / 20,000) and Atlas
/// (50,000 / 300,000, mean size about 60). -MetadataPath writes each entity's name, group and subgroup as CSV, ready for
/// Export-EmbeddingPreview -Metadata and Export-EmbeddingAtlas -Metadata.</para>
/// </summary>
/// <example>
///   <code>New-SyntheticCollection -Size Small -MetadataPath ./maps.csv | New-CooccurrenceMatrix</code>
///   <para>The sample for the demo, with its labels written beside it.</para>
/// </example>
/// <example>
///   <code>New-SyntheticCollection -EntityCount 2000 -CollectionCount 8000 -Groups 8 -Seed 7</code>
///   <para>A custom size.</para>
/// </example>
[Cmdlet(VerbsCommon.New, "SyntheticCollection", SupportsShouldProcess = true)]
[OutputType(typeof(EntityCollectionSet))]
public sealed class NewSyntheticCollectionCommand : EmbedPSStageCmdlet
{
    /// <summary>-MetadataPath holds CSV, -OutFile Parquet.</summary>
    protected override string? OutputFormat(string parameterName) => parameterName == nameof(MetadataPath) ? "CSV" : base.OutputFormat(parameterName);

    /// <summary>Preset size: Tiny, Small (default) or Atlas.</summary>
    [Parameter(Position = 0)]
    [ValidateSet("Tiny", "Small", "Atlas", IgnoreCase = true)]
    public string Size { get; set; } = "Small";

    /// <summary>Number of entities (overrides the preset).</summary>
    [Parameter, ValidateRange(10, 50_000_000)] public int EntityCount { get; set; }
    /// <summary>Number of collections (overrides the preset).</summary>
    [Parameter, ValidateRange(1, 100_000_000)] public int CollectionCount { get; set; }
    /// <summary>Number of top-level groups.</summary>
    [Parameter, ValidateRange(1, 10_000)] public int Groups { get; set; }
    /// <summary>Subgroups per group.</summary>
    [Parameter, ValidateRange(1, 1_000)] public int SubgroupsPerGroup { get; set; }
    /// <summary>Mean collection size.</summary>
    [Parameter, ValidateRange(2.0, 100_000.0)] public double MeanCollectionSize { get; set; }
    /// <summary>Seed of the generator; the same seed gives the same collections.</summary>
    [Parameter] public int Seed { get; set; } = 42;
    /// <summary>Write entity metadata (entity, name, group, subgroup, popularity) as CSV here.</summary>
    [Parameter] public string? MetadataPath { get; set; }

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        if (MetadataPath is not null) CheckOutputTarget(MetadataPath, NoClobber, Force, nameof(MetadataPath));
    }

    protected override void EndProcessing()
    {
        var options = SyntheticCollectionOptions.Preset(Size) with { Seed = Seed };
        if (EntityCount > 0) options = options with { EntityCount = EntityCount };
        if (CollectionCount > 0) options = options with { CollectionCount = CollectionCount };
        if (Groups > 0) options = options with { Groups = Groups };
        if (SubgroupsPerGroup > 0) options = options with { SubgroupsPerGroup = SubgroupsPerGroup };
        if (MeanCollectionSize > 0) options = options with { MeanCollectionSize = MeanCollectionSize };
        SyntheticCollection sample;
        try
        {
            sample = RunStage("Generating synthetic collections", (log, ct) => SyntheticCollectionGenerator.Generate(options, ct, log));
        }
        catch (ArgumentException ex) when (ex is not PSArgumentException)
        {
            ThrowArgumentError("InvalidSyntheticOptions", ex.Message);
            return;
        }
        WriteVerbose(sample.Collections.ToString());
        // The artifact first: when it fails (or is refused) the metadata file is left as it was.
        SaveAndEmit(sample.Collections);
        if (MetadataPath is not null)
        {
            var path = ResolveOutputPath(MetadataPath);
            if (ConfirmOverwrite(path, "Write entity metadata CSV", NoClobber, Force))
                RunStage("Writing " + System.IO.Path.GetFileName(path), (_, ct) => { sample.WriteMetadataCsv(path); return 0; }, path);
        }
    }
}
