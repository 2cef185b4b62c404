using System.Management.Automation;
using EmbedPS.Commands.Infrastructure;
using EmbedPS.Core.Atlas;
using EmbedPS.Core.Common;
using EmbedPS.Core.Mde;
using EmbedPS.Core.Preview;
using ProjectionResult = EmbedPS.Core.Projection.Projection;

namespace EmbedPS.Commands.Atlas;

/// <summary>
/// <para type="synopsis">Writes the interactive atlas: a static web page that explores one or more 2-D layouts of the entities, opened from disk or any static host.</para>
/// <para type="description">Takes one or more Projections (from the pipeline or -InputPath; several are several layouts of the same
/// entities, e.g. UMAP and t-SNE, shown with an animated transition), optionally the high-dimensional Embedding (-Embedding: each
/// entity's nearest neighbours in the details panel are found there, and a 3-D embedding enables galaxy mode, a space to orbit and
/// fly through) and metadata (-Metadata: Import-Csv objects or any objects with the id property, or a CSV/TSV/Parquet file, joined
/// on -IdProperty). It writes a folder with index.html, the viewer (viewer.js, style.css) and the data (data/*.js), that opens by
/// double-clicking index.html: nothing is loaded from outside the folder and nothing goes over the network. The page renders every
/// point in one WebGL2 draw call (a million points stay interactive), sizes points by popularity on a partial log scale
/// r = a + b·ln(n) + c·n, and offers search with autocomplete (case- and accent-insensitive), a details panel with every metadata
/// field and the nearest neighbours, checkbox and range filters, colour by any field with a legend whose entries toggle, "my items"
/// highlighting (a pasted list, or #highlight=id1,id2 in the URL), automatic cluster labels, the whole view in the URL hash,
/// dark and light themes, and a footer with the provenance. Metadata columns are typed from their values: all numbers → a number
/// (range filter, continuous colour), few distinct values → a category (checkboxes, palette; -CategoryProperty forces it), else text.
/// Unknown property names are errors that list the available columns. The folder is built beside the target and swapped in when
/// complete, so a failed or cancelled export leaves the previous atlas untouched; a folder that exists and is neither empty nor an
/// earlier atlas is refused (never overwritten). Re-exporting over an earlier atlas replaces only the files the exporter wrote
/// (listed in embedps-atlas.json); files and folders a person added there are kept. Where WebGL2 is missing, the page shows a still image of the map (preview.png).</para>
/// </summary>
/// <example>
///   <code>Import-EmbedArtifact ./projection.parquet | Export-EmbeddingAtlas -Path ./atlas -Metadata ./maps.csv -Title 'Sample atlas'</code>
///   <para>A UMAP layout with the sample's metadata: colour by group (found automatically), names from the name column. Open ./atlas/index.html in a browser.</para>
/// </example>
/// <example>
///   <code>$tsne = $embedding | ConvertTo-Projection -Method Tsne -AlignTo $projection
/// $projection, $tsne | Export-EmbeddingAtlas -Path ./atlas -Embedding $embedding -Metadata (Import-Csv ./maps.csv) -ColorProperty subgroup -Theme Light -PassThru</code>
///   <para>Two layouts of the same entities (switch between them with an animated transition; the page highlights the entities whose neighbourhoods differ most), neighbours and galaxy mode from the 3-D embedding, metadata as Import-Csv objects; returns a summary of what was written.</para>
/// </example>
/// <example>
///   <code>Export-EmbeddingAtlas -InputPath ./projection.parquet, ./last-month.parquet -LayoutName 'this month', 'last month' -Path ./atlas -Embedding ./embedding.parquet -Metadata ./maps.csv -TooltipProperty group, subgroup -SearchProperty subgroup</code>
///   <para>Everything from files: two layouts named for the viewer's layout menu, chosen tooltip and search fields. Running it again replaces the atlas in ./atlas only once the new one is complete.</para>
/// </example>
[Cmdlet(VerbsData.Export, "EmbeddingAtlas", SupportsShouldProcess = true, DefaultParameterSetName = "InputObject")]
[OutputType(typeof(AtlasExport))]
public sealed class ExportEmbeddingAtlasCommand : EmbedPSCmdlet
{
    private readonly List<ProjectionResult> _projections = new();
    private readonly List<string> _sources = new();

    /// <summary>A Projection (one layout); pipe several for several layouts of the same entities.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = "InputObject")]
    public ProjectionResult[] InputObject { get; set; } = Array.Empty<ProjectionResult>();

    /// <summary>Projection artifact files (one layout each) instead of pipeline objects; file objects bind by FullName.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "InputPath", ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    public string[] InputPath { get; set; } = Array.Empty<string>();

    /// <summary>The folder to write (created; an earlier atlas there is replaced only when complete, keeping files a person added to it).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [Alias("OutFolder")]
    public string Path { get; set; } = "";

    /// <summary>The Embedding (object or artifact path) for nearest neighbours in the details panel and, when it has 3 or more dimensions, galaxy mode.</summary>
    [Parameter]
    public object? Embedding { get; set; }

    /// <summary>Metadata: objects with an id property (Import-Csv output, any objects), or the path of a CSV, TSV or Parquet file.</summary>
    [Parameter]
    public PSObject[]? Metadata { get; set; }

    /// <summary>The metadata column holding entity ids (default 'entity').</summary>
    [Parameter]
    public string IdProperty { get; set; } = "entity";

    /// <summary>The column shown as each entity's name (default: a column named name, title or label; else the id).</summary>
    [Parameter, ArgumentCompleter(typeof(MetadataColumnCompleter))]
    public string? LabelProperty { get; set; }

    /// <summary>The initial colouring, a category or number column (default: a column named group, category, genre, class, cluster…, else the first categorical column).</summary>
    [Parameter, ArgumentCompleter(typeof(MetadataColumnCompleter))]
    [Alias("ColorBy")]
    public string? ColorProperty { get; set; }

    /// <summary>The number column that sizes points on a partial log scale (default: popularity).</summary>
    [Parameter, ArgumentCompleter(typeof(MetadataColumnCompleter))]
    public string? SizeProperty { get; set; }

    /// <summary>Columns searched besides the name and the id.</summary>
    [Parameter, ArgumentCompleter(typeof(MetadataColumnCompleter))]
    [ValidateNotNull]
    public string[] SearchProperty { get; set; } = AtlasSettings.SearchProperty.Default;

    /// <summary>Columns shown on hover under the name (default: the colour and size columns).</summary>
    [Parameter, ArgumentCompleter(typeof(MetadataColumnCompleter))]
    [ValidateNotNull]
    public string[]? TooltipProperty { get; set; }

    /// <summary>A column of URLs shown as a link in the details panel (only http and https become links; default: a column named url or link).</summary>
    [Parameter, ArgumentCompleter(typeof(MetadataColumnCompleter))]
    public string? LinkProperty { get; set; }

    /// <summary>A metadata id on more than one row keeps its first row, with a warning naming the ids and rows (without it, an error).</summary>
    [Parameter]
    public SwitchParameter AllowDuplicateId { get; set; }

    /// <summary>Columns to treat as categories even though every value is a number (cluster ids, years).</summary>
    [Parameter, ArgumentCompleter(typeof(MetadataColumnCompleter))]
    [ValidateNotNull]
    public string[] CategoryProperty { get; set; } = AtlasSettings.CategoryProperty.Default;

    /// <summary>One name per layout, in input order (default: the method plus the parameters that differ, e.g. 'UMAP (minDist 0.5)').</summary>
    [Parameter, ValidateNotNull]
    public string[]? LayoutName { get; set; }

    /// <summary>The page title (default 'EmbedPS atlas').</summary>
    [Parameter]
    public string Title { get; set; } = AtlasSettings.Title.Default;

    /// <summary>Dark (default) or Light; viewers can switch.</summary>
    [Parameter]
    [ValidateSet("Dark", "Light", IgnoreCase = true)]
    public string Theme { get; set; } = AtlasSettings.Theme.Default;

    /// <summary>Nearest neighbours listed in the details panel (default 10; 0 lists none).</summary>
    [Parameter]
    [ValidateSetting(typeof(AtlasSettings), nameof(AtlasSettings.NeighborCount))]
    public int NeighborCount { get; set; } = AtlasSettings.NeighborCount.Default;

    /// <summary>Write no automatic cluster labels.</summary>
    [Parameter]
    public SwitchParameter NoClusterLabels { get; set; }

    /// <summary>Seed of the cluster-label k-means (default 42): the same inputs and seed give the same atlas data.</summary>
    [Parameter]
    public int Seed { get; set; } = AtlasSettings.Seed.Default;

    /// <summary>Refuse to replace an existing atlas folder.</summary>
    [Parameter] public SwitchParameter NoClobber { get; set; }

    /// <summary>Emit a summary of what was written (an AtlasExport: path, points, layouts, data size).</summary>
    [Parameter] public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == "InputPath")
        {
            foreach (var path in InputPath)
            {
                var projection = ReadArtifact<ProjectionResult>(path);
                _projections.Add(projection);
            }
            return;
        }
        foreach (var projection in InputObject)
        {
            if (projection is null) continue;
            _projections.Add(projection);
        }
    }

    protected override void EndProcessing()
    {
        var target = ResolveOutputPath(Path);
        if (_projections.Count == 0) ThrowArgumentError("AtlasNoLayout", "No Projection was given: pipe one in or use -InputPath.");
        if (NoClobber && (Directory.Exists(target) || File.Exists(target)))
            ThrowTerminatingError(new ErrorRecord(new IOException($"'{target}' already exists and -NoClobber was specified."), "NoClobber", ErrorCategory.ResourceExists, target));
        try
        {
            AtlasExporter.CheckTarget(target);
        }
        catch (EmbedPSException ex)
        {
            ThrowTerminatingError(ToErrorRecord(ex, target));
        }
        var embedding = ResolveEmbedding();
        var entities = _projections[0].Entities;
        if (!ShouldProcess(target, $"Write an atlas of {entities.Count:N0} entities and {_projections.Count} layout(s)")) return;
        var metadataPath = MetadataInput.PathOf(Metadata) is { } given ? ResolveInputPath(given) : null;
        var metadataRows = Metadata is { Length: > 0 } ? Metadata : null;
        if (metadataRows is not null)
            _sources.Add(metadataPath is not null ? System.IO.Path.GetFileName(metadataPath) : $"{metadataRows.Length:N0} objects");
        var options = new AtlasOptions
        {
            Title = Title,
            Theme = Enum.Parse<AtlasTheme>(Theme, ignoreCase: true),
            LabelProperty = LabelProperty,
            ColorProperty = ColorProperty,
            SizeProperty = SizeProperty,
            SearchProperties = SearchProperty,
            TooltipProperties = TooltipProperty,
            LinkProperty = LinkProperty,
            CategoryProperties = CategoryProperty,
            LayoutNames = LayoutName,
            NeighborCount = NeighborCount,
            ClusterLabels = !NoClusterLabels,
            Seed = Seed,
            Sources = _sources.Select(s => new KeyValuePair<string, string>("metadata", s)).ToArray(),
        };
        var result = RunStage("Writing atlas " + System.IO.Path.GetFileName(target), (log, ct) =>
        {
            EntityAttributes? metadata = null;
            if (metadataRows is not null)
            {
                log.Progress(0.01, "Reading metadata");
                metadata = MetadataInput.Read(metadataRows, metadataPath, IdProperty, AllowDuplicateId, entities, log, ct);
            }
            try
            {
                return AtlasExporter.Write(target, _projections, embedding, metadata, options, log, ct);
            }
            catch (IOException ex)
            {
                throw new EmbedPSException("AtlasWriteFailed", EmbedPSErrorKind.ResourceUnavailable, $"Cannot write the atlas '{target}': {ex.Message}", ex) { File = target };
            }
        }, target);
        WriteVerbose($"Wrote atlas '{result.IndexPath}': {result.PointCount:N0} points, {result.Layouts.Count} layout(s) ({string.Join(", ", result.Layouts)}), data {result.DataBytes / 1e6:N1} MB ({result.BytesPerPoint:N1} bytes a point) in {result.Elapsed.TotalSeconds:N2} s.");
        if (PassThru) WriteObject(result);
    }

    private Embedding? ResolveEmbedding()
    {
        var value = Embedding is PSObject ps ? ps.BaseObject : Embedding;
        switch (value)
        {
            case null: return null;
            case Embedding e: return e;
            case FileInfo file: return ReadArtifact<Embedding>(file.FullName);
            case string path: return ReadArtifact<Embedding>(path);
            default:
                ThrowArgumentError("EmbeddingWrongType", $"-Embedding takes an Embedding (from Invoke-Mde or Import-EmbedArtifact) or the path of an embedding artifact, not a {value.GetType().Name}.", value);
                return null;
        }
    }

}
