using EmbedPS.Core.Common;
using System.Management.Automation;
using EmbedPS.Commands.Infrastructure;
using EmbedPS.Core.Mde;
using EmbedPS.Core.NeighborPreservation;
using EmbedPS.Core.Projection;
using EmbedPS.Core.Quality;
using ProjectionResult = EmbedPS.Core.Projection.Projection;

namespace EmbedPS.Commands.Projection;

/// <summary>
/// <para type="synopsis">Measures how well an embedding or projection keeps the structure of a reference.</para>
/// <para type="description">Compares an Embedding or Projection with a reference — a NeighborGraph (its neighbour edges), or a
/// higher-dimensional Embedding — on the entities both share, and reports: neighbour recall@K (the share of each entity's K
/// reference neighbours found among its K nearest here); trustworthiness and continuity at K (Venna and Kaski: penalties for
/// false and for missing neighbours, by their reference rank; on more than -RankQueries entities an evenly spaced sample of
/// query entities is used); with -LabelProperty and -Metadata, the leave-one-out accuracy of a majority vote of the 10 nearest
/// labelled entities; and, for an Embedding measured against a NeighborGraph, the average distortion under Invoke-Mde's default penalties (PyMDE's definition).
/// The result is an EmbeddingQualityReport.</para>
/// <para type="description">Without -Reference, each input is measured against its own upstream object, found by provenance:
/// a Projection against the Embedding it was projected from, an Embedding against its NeighborGraph (the object itself when it
/// was made in this session, else the artifact file its footer names, if unchanged). -Reference may also hold several objects
/// or files: each input is measured against the one it was made from. Piping a parameter sweep (ConvertTo-Projection -MinDistance 0.05,0.5)
/// gives one row per input with its settings as leading columns (NeighborCount, Dimension, AttractivePenalty, Method, Neighbors,
/// MinDistance, Perplexity) beside the scores, shown as a table, for Sort-Object and Export-Csv.</para>
/// </summary>
/// <example>
///   <code>$embedding | ConvertTo-Projection -Neighbors 10,30 -MinDistance 0.05,0.5 -Epochs 50 | Measure-Embedding -Metadata ./maps.csv -LabelProperty group | Sort-Object Trustworthiness -Descending | Export-Csv ./sweep.csv</code>
///   <para>A sweep's quality table: four projections, each measured against the embedding it came from (no -Reference needed), best first, written with the settings as columns.</para>
/// </example>
/// <example>
///   <code>$projection | Measure-Embedding -Reference $embedding -LabelProperty group -Metadata ./maps.csv</code>
///   <para>How much of the 3-D neighbourhood structure survives in 2-D, and how well groups separate.</para>
/// </example>
/// <example>
///   <code>$projection | Measure-Embedding -LabelProperty subgroup -Metadata (Import-Csv ./maps.csv)</code>
///   <para>Labels from pipeline objects (Import-Csv rows, or any objects with an 'entity' property; -IdProperty names another).</para>
/// </example>
/// <example>
///   <code>$embedding | Measure-Embedding -Reference $graph -K 15</code>
///   <para>Recall of the neighbour graph's edges and the MDE average distortion of the embedding.</para>
/// </example>
[Cmdlet(VerbsDiagnostic.Measure, "Embedding", DefaultParameterSetName = "InputObject")]
[OutputType(typeof(EmbeddingQualityReport))]
public sealed class MeasureEmbeddingCommand : EmbedPSCmdlet
{
    /// <summary>The Embedding or Projection to measure.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = "InputObject")]
    public object InputObject { get; set; } = null!;

    /// <summary>Path of an embedding or projection artifact to measure.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = "Path")]
    [Alias("FullName", "PSPath")]
    public string InputPath { get; set; } = "";

    /// <summary>The reference: a NeighborGraph, Embedding or Projection, the path of its artifact, or a numeric CSV table ('entity' + numeric columns). Several: each input is measured against the one it was made from. None: each input's own upstream embedding or graph, by provenance.</summary>
    [Parameter(Position = 0)]
    public object? Reference { get; set; }

    private List<object>? _references;
    private readonly Dictionary<string, object> _upstreamFiles = new(StringComparer.Ordinal);

    /// <summary>Neighbourhood size for recall, trustworthiness and continuity (10).</summary>
    [Parameter, ValidateRange(1, 1000)] public int K { get; set; } = 10;

    /// <summary>Metadata column holding each entity's label (with -Metadata).</summary>
    [Parameter, ArgumentCompleter(typeof(MetadataColumnCompleter))] public string? LabelProperty { get; set; }

    /// <summary>One row per entity, joined on -IdProperty: a CSV/TSV or Parquet path, or objects (Import-Csv rows, any objects with the id property), with the -LabelProperty column.</summary>
    [Parameter] public PSObject[]? Metadata { get; set; }

    /// <summary>The metadata column holding entity ids (default 'entity').</summary>
    [Parameter] public string IdProperty { get; set; } = "entity";

    /// <summary>A metadata id on more than one row keeps its first row, with a warning naming the ids and rows (without it, an error).</summary>
    [Parameter]
    public SwitchParameter AllowDuplicateId { get; set; }

    /// <summary>Query entities for trustworthiness and continuity on large inputs (2,000).</summary>
    [Parameter, ValidateRange(10, 10_000_000)] public int RankQueries { get; set; } = EmbeddingQuality.DefaultRankQueries;

    protected override void ProcessRecord()
    {
        var subject = ParameterSetName == "Path" ? ReadArtifact<object>(InputPath) : (InputObject is PSObject ps ? ps.BaseObject : InputObject);
        if (subject is not (Embedding or ProjectionResult))
            ThrowArgumentError("InvalidInputObject", $"Measure-Embedding measures an Embedding or a Projection, not {Grammar.WithArticle(subject.GetType().Name)}.", subject);
        var reference = ChooseReference(subject);
        if ((LabelProperty is null) != (Metadata is null))
            ThrowArgumentError("LabelNeedsMetadata", "-LabelProperty and -Metadata go together: name the label column and the CSV file that holds it.");
        string? metadataPath = MetadataInput.PathOf(Metadata) is { } given ? ResolveInputPath(given) : null;
        var metadata = Metadata;
        var entities = subject is Embedding e ? e.Entities : ((ProjectionResult)subject).Entities;
        var report = RunStage("Measure-Embedding", (log, ct) =>
        {
            var labels = metadata is null ? null
                : MetadataInput.Read(metadata, metadataPath, IdProperty, AllowDuplicateId, entities, log, ct).ToDictionary(LabelProperty!, entities);
            return EmbeddingQuality.Measure(subject, reference, K, labels, LabelProperty, RankQueries, log, ct);
        }, subject);
        var provenance = QualityReference.ProvenanceOf(subject)!;
        if (provenance.Swept.Count == 0)
        {
            WriteObject(report);
            return;
        }
        // A sweep's row: its settings lead as columns (Sort-Object, Export-Csv), and a table view shows its caption and scores.
        var row = new PSObject(report);
        foreach (var (name, value) in provenance.Settings) row.Properties.Add(new PSNoteProperty(name, value));
        // Only the sweep's type name: the report's own (out-of-band list) view would otherwise format every row as a list.
        row.TypeNames.Clear();
        row.TypeNames.Add("EmbedPS.Core.Quality.EmbeddingQualityReport#Sweep");
        WriteObject(row);
    }

    /// <summary>The reference for <paramref name="subject"/>: -Reference (one, or the one it was made from), or its own upstream object.</summary>
    private object? ChooseReference(object subject)
    {
        if (_references is null)
        {
            _references = new();
            var given = Reference is PSObject ps ? ps.BaseObject : Reference;
            var items = given is System.Collections.IEnumerable many and not string ? many.Cast<object?>() : new[] { given };
            foreach (var item in items)
            {
                var resolved = ProjectionInputs.Resolve(this, item, nameof(Reference), p => ReadArtifact<object>(p));
                if (resolved is null) continue;
                if (resolved is not (Embedding or ProjectionResult or NeighborGraph))
                    ThrowArgumentError("InvalidReference", $"-Reference must be a NeighborGraph, Embedding or Projection, not {Grammar.WithArticle(resolved.GetType().Name)}.", resolved);
                _references.Add(resolved);
            }
        }
        if (_references.Count == 1) return _references[0];
        if (_references.Count > 1)
        {
            var match = QualityReference.Match(subject, _references);
            if (match is null)
                ThrowArgumentError("ReferenceNotMatched", $"None of the {_references.Count} -Reference objects is the one {subject} was made from (by its provenance: the object itself, or the artifact file named in its footer). Give the reference it was made from, or one reference for every input.", subject);
            WriteVerbose($"Reference for {subject}: {match} (matched by provenance).");
            return match;
        }
        var upstream = QualityReference.Upstream(subject, path =>
        {
            if (!_upstreamFiles.TryGetValue(path, out var read)) _upstreamFiles[path] = read = ReadArtifact<object>(path);
            return read;
        });
        if (upstream is not null) WriteVerbose($"Reference for {subject}: its own upstream {upstream}{(QualityReference.ProvenanceOf(upstream)?.ArtifactPath is { } file ? $" ('{file}')" : "")}.");
        return upstream;
    }
}
