using System.Management.Automation;
using EmbedPS.Commands.Infrastructure;
using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Collections;
using EmbedPS.Core.Common;
using EmbedPS.Core.Cooccurrence;
using EmbedPS.Core.Mde;
using EmbedPS.Core.NeighborPreservation;
using EmbedPS.Core.Preview;

namespace EmbedPS.Commands.Preview;

/// <summary>
/// <para type="synopsis">Draws a PNG preview of any pipeline stage: the map of a projection or embedding, or the distributions of collections and graphs.</para>
/// <para type="description">Accepts the object of any stage from the pipeline (or an artifact file with -InputPath) and writes one PNG.
/// A Projection becomes a 2-D scatter. An Embedding with 3 or more dimensions is drawn on its first two principal components
/// (the view with the most spread), with its distortion curve in a corner panel when it comes from Invoke-Mde; -View Pairs draws every pair of its axes as small multiples, and -View Distortion draws its
/// average distortion against iteration. A CooccurrenceMatrix or NeighborGraph shows its degree and weight (or distance)
/// distributions on log–log axes, with the number of connected components and isolated entities in the subtitle. An
/// EntityCollectionSet shows the collection-size and entity-popularity distributions on log–log axes.
/// Points are coloured by a categorical label (a palette of 20 colours and a legend sorted by frequency;
/// rarer categories share a grey "other" row) or by a numeric value (Viridis colormap and a colorbar; heavy-tailed positive values
/// such as popularity use a log scale). The colour comes from -ColorProperty: a column of the -Metadata CSV (joined on -IdProperty)
/// or a built-in property (popularity, entity; x and y of a Projection; dim1, dim2 … of an Embedding). Without -ColorProperty a
/// metadata column named group, label, category, class, cluster or genre is used when there is one. Point radius follows
/// popularity on a partial log scale r = a + b·ln(n) + c·n (clamped; the constants are normalised to the data's largest
/// popularity so the rule fits popularity ranges of 1…10 and 1…10⁶ alike); big points are drawn first so small ones stay visible,
/// and opacity drops automatically for dense maps. Points are rasterised directly (a million points in a few seconds); axes,
/// legend and colorbar are drawn by ScottPlot with a font bundled in the module, so text renders on machines without fonts.
/// The file is written to a temporary name beside the target and renamed when complete, so a failed or
/// cancelled run leaves no partial image. Overwrites like Export-Csv: -NoClobber refuses an existing file, -Force overwrites a
/// read-only one.</para>
/// <para type="description">-ContactSheet draws every piped Projection (a parameter sweep's results) in one PNG grid instead:
/// the same colours and point sizes in every panel and one key, each panel captioned with its settings ("UMAP · k 15 ·
/// min_dist 0.05") and its scores (recall@10, trustworthiness and continuity against the embedding it was made from, and the
/// 10-NN accuracy of a categorical colour). It is 1920 pixels wide unless -Width is given (8 panels: 4 × 2) and as tall as
/// square panels need unless -Height is given.</para>
/// </summary>
/// <example>
///   <code>Import-EmbedArtifact ./projection.parquet | Export-EmbeddingPreview -Path ./atlas.png -Metadata ./maps.csv -ColorProperty group -LabelTop 20</code>
///   <para>The atlas layout coloured by each entity's group from a CSV, with the 20 most popular entities labelled by their name column.</para>
/// </example>
/// <example>
///   <code>$projection | Export-EmbeddingPreview -Path ./runtime.png -Metadata (Import-Csv ./maps.csv | Where-Object group -ne 'G01') -ColorProperty subgroup</code>
///   <para>Metadata as pipeline objects: rows filtered with Where-Object first (entities without a row are drawn as '(missing)').</para>
/// </example>
/// <example>
///   <code>$embedding | Export-EmbeddingPreview -Path ./pairs.png -View Pairs -Theme Dark -Width 1600 -Height 1000</code>
///   <para>Every pair of axes of a 3- or 4-D embedding, on a dark background.</para>
/// </example>
/// <example>
///   <code>New-SyntheticCollection -Size Tiny | New-CooccurrenceMatrix | Export-EmbeddingPreview -Path ./cooc.png -PassThru</code>
///   <para>Degree and weight distributions of a co-occurrence matrix, with its number of components; returns the written file.</para>
/// </example>
/// <example>
///   <code>$embedding | Export-EmbeddingPreview -Path ./distortion.png -View Distortion -Dpi 192</code>
///   <para>The optimiser's distortion curve at twice the resolution (2400 × 1800 pixels, same layout).</para>
/// </example>
/// <example>
///   <code>$embedding | ConvertTo-Projection -Neighbors 10,30 -MinDistance 0.05,0.5 -Epochs 50 | Export-EmbeddingPreview -ContactSheet -Path ./sweep.png -Metadata ./maps.csv -ColorProperty group -PassThru</code>
///   <para>A 2 × 2 sweep side by side in one image, each panel captioned with its settings and scores.</para>
/// </example>
[Cmdlet(VerbsData.Export, "EmbeddingPreview", SupportsShouldProcess = true, DefaultParameterSetName = "InputObject")]
[OutputType(typeof(FileInfo))]
public sealed class ExportEmbeddingPreviewCommand : EmbedPSCmdlet
{
    /// <summary>-Path holds PNG.</summary>
    protected override string? OutputFormat(string parameterName) => "PNG";

    private bool _wrote;

    /// <summary>The stage object to draw: EntityCollectionSet, CooccurrenceMatrix, NeighborGraph, Embedding or Projection (a file object or path of an artifact is read first).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = "InputObject")]
    public object InputObject { get; set; } = null!;

    /// <summary>An EmbedPS artifact file to draw instead of a pipeline object (file objects bind by FullName).</summary>
    [Parameter(Mandatory = true, ParameterSetName = "InputPath", ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    public string InputPath { get; set; } = "";

    /// <summary>The PNG file to write.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [Alias("OutFile")]
    public string Path { get; set; } = "";

    /// <summary>Auto (default), Scatter, Pairs (every pair of an Embedding's axes) or Distortion (an Embedding's distortion by iteration).</summary>
    [Parameter]
    [ValidateSet("Auto", "Scatter", "Pairs", "Distortion", IgnoreCase = true)]
    public string View { get; set; } = "Auto";

    /// <summary>One row per entity, joined on -IdProperty: a CSV/TSV or Parquet path, or objects (Import-Csv rows, any objects with the id property); its columns can colour (-ColorProperty) and label (-LabelProperty) the points.</summary>
    [Parameter]
    public PSObject[]? Metadata { get; set; }

    /// <summary>The metadata column holding entity ids (default 'entity').</summary>
    [Parameter]
    public string IdProperty { get; set; } = "entity";

    /// <summary>A metadata id on more than one row keeps its first row, with a warning naming the ids and rows (without it, an error).</summary>
    [Parameter]
    public SwitchParameter AllowDuplicateId { get; set; }

    /// <summary>What colours the points: a metadata column, or popularity, entity, x, y (Projection), dim1, dim2 … (Embedding).</summary>
    [Parameter, ArgumentCompleter(typeof(MetadataColumnCompleter))]
    [Alias("ColorBy")]
    public string? ColorProperty { get; set; }

    /// <summary>Auto (numeric with more than 20 distinct values is continuous, anything else categorical), Categorical or Continuous.</summary>
    [Parameter]
    [ValidateSet("Auto", "Categorical", "Continuous", IgnoreCase = true)]
    public string ColorMode { get; set; } = "Auto";

    /// <summary>The column that labels points with -LabelTop (default: the metadata's 'name' column when present, else the entity id).</summary>
    [Parameter, ArgumentCompleter(typeof(MetadataColumnCompleter))]
    public string? LabelProperty { get; set; }

    /// <summary>Label the N most popular entities, at most 1,000 (labels that would overlap one already placed are skipped).</summary>
    [Parameter]
    [ValidateRange(0, 1_000)]
    public int LabelTop { get; set; }

    /// <summary>Light (default) or Dark.</summary>
    [Parameter]
    [ValidateSet("Light", "Dark", IgnoreCase = true)]
    public string Theme { get; set; } = PreviewSettings.Theme.Default;

    /// <summary>Image width in pixels at 96 DPI (default 1200).</summary>
    [Parameter]
    [ValidateSetting(typeof(PreviewSettings), nameof(PreviewSettings.Width))]
    public int Width { get; set; } = PreviewSettings.Width.Default;

    /// <summary>Image height in pixels at 96 DPI (default 900).</summary>
    [Parameter]
    [ValidateSetting(typeof(PreviewSettings), nameof(PreviewSettings.Height))]
    public int Height { get; set; } = PreviewSettings.Height.Default;

    /// <summary>Resolution: 96 (default) writes Width × Height pixels; 192 doubles both with the same layout (a sharper image).</summary>
    [Parameter]
    [ValidateRange(24.0, 1200.0)]
    public double Dpi { get; set; } = 96;

    /// <summary>The title; an empty string draws none. Default: one naming the stage and view.</summary>
    [Parameter]
    public string? Title { get; set; }

    /// <summary>Smallest point radius in pixels at 96 DPI (default: from the number of points and the plot area).</summary>
    [Parameter]
    [ValidateRange(0.2, 50.0)]
    public float PointSize { get; set; }

    /// <summary>Draw every point at the same size instead of sizing by popularity.</summary>
    [Parameter]
    public SwitchParameter UniformSize { get; set; }

    /// <summary>Refuse to overwrite an existing file.</summary>
    [Parameter] public SwitchParameter NoClobber { get; set; }

    /// <summary>Overwrite a read-only file.</summary>
    [Parameter] public SwitchParameter Force { get; set; }

    /// <summary>Emit the written file (FileInfo).</summary>
    [Parameter] public SwitchParameter PassThru { get; set; }

    /// <summary>Draw every piped Projection in one grid (a sweep side by side): same colours, each panel captioned with its settings and scores.</summary>
    [Parameter] public SwitchParameter ContactSheet { get; set; }

    private readonly List<EmbedPS.Core.Projection.Projection> _sheet = new();

    protected override void ProcessRecord()
    {
        object stage;
        string? artifactPath = ParameterSetName == "InputPath" ? InputPath : null;
        var piped = InputObject is PSObject ps ? ps.BaseObject : InputObject;
        // A file object or a path string piped in binds to -InputObject first (by value): read it as an artifact.
        if (artifactPath is null && piped is FileInfo fileInfo) artifactPath = fileInfo.FullName;
        if (artifactPath is null && piped is string text) artifactPath = text;
        if (artifactPath is not null)
        {
            var input = ResolveInputPath(artifactPath);
            stage = RunStage("Reading " + System.IO.Path.GetFileName(input), (_, ct) => ArtifactStore.Read(input, ct), input);
        }
        else
        {
            stage = piped;
        }
        if (stage is not (EntityCollectionSet or CooccurrenceMatrix or NeighborGraph or Embedding or EmbedPS.Core.Projection.Projection))
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException(
                $"Cannot preview {(stage is null ? "null" : Grammar.WithArticle(stage.GetType().Name))}: pipe an EntityCollectionSet, CooccurrenceMatrix, NeighborGraph, Embedding or Projection."),
                "NotAStageObject", ErrorCategory.InvalidType, stage));
            return; // not reached: ThrowTerminatingError throws (and tells the compiler that stage is a stage object below)
        }
        if (ContactSheet)
        {
            if (stage is not EmbedPS.Core.Projection.Projection projection)
            {
                ThrowTerminatingError(new ErrorRecord(new ArgumentException(
                    $"-ContactSheet draws Projections side by side, not {Grammar.WithArticle(stage.GetType().Name)}."), "ContactSheetNeedsProjections", ErrorCategory.InvalidType, stage));
                return;
            }
            if (_sheet.Count == 0) CheckOutputTarget(Path, NoClobber, Force, nameof(Path));
            _sheet.Add(projection);
            return;
        }
        var path = ResolveOutputPath(Path);
        if (_wrote)
        {
            WriteError(new ErrorRecord(new InvalidOperationException(
                $"Export-EmbeddingPreview already wrote '{path}' for an earlier input; pipe one object per -Path (this {stage.GetType().Name} was not drawn)."),
                "OneObjectPerPath", ErrorCategory.InvalidOperation, stage));
            return;
        }
        CheckOutputTarget(Path, NoClobber, Force, nameof(Path));
        var view = Enum.Parse<PreviewView>(View, ignoreCase: true);
        if (!ConfirmOverwrite(path, $"Write {(view == PreviewView.Auto ? "" : view + " ")}preview of {Grammar.WithArticle(stage.GetType().Name)} as PNG", NoClobber, Force)) return;
        var metadataPath = MetadataInput.PathOf(Metadata) is { } given ? ResolveInputPath(given) : null;
        var metadata = Metadata is { Length: > 0 } ? Metadata : null;
        var options = new PreviewOptions
        {
            Width = Width,
            Height = Height,
            Dpi = Dpi,
            Theme = Enum.Parse<PreviewThemeKind>(Theme, ignoreCase: true),
            Title = Title,
            View = view,
            ColorProperty = ColorProperty,
            ColorMode = Enum.Parse<PreviewColorMode>(ColorMode, ignoreCase: true),
            LabelProperty = LabelProperty,
            LabelTop = LabelTop,
            PointSize = PointSize > 0 ? PointSize : null,
            SizeByPopularity = !UniformSize,
        };
        var started = System.Diagnostics.Stopwatch.StartNew();
        RunStage("Drawing preview " + System.IO.Path.GetFileName(path), (log, ct) =>
        {
            var withMetadata = options;
            if (metadata is not null)
            {
                log.Progress(0.05, "Reading metadata");
                withMetadata = options with { Attributes = MetadataInput.Read(metadata, metadataPath, IdProperty, AllowDuplicateId, EntitiesOf(stage), log, ct) };
            }
            log.Progress(0.2, "Drawing");
            try
            {
                PreviewRenderer.WritePng(path, stage, withMetadata, log, ct);
            }
            catch (ArgumentException ex)
            {
                throw new EmbedPSException("InvalidPreviewOption", EmbedPSErrorKind.InvalidArgument, ex.Message, ex);
            }
            return 0;
        }, path);
        _wrote = true;
        var file = new FileInfo(path);
        WriteVerbose($"Wrote preview '{path}' ({file.Length:N0} bytes) in {started.Elapsed.TotalSeconds:N2} s.");
        if (PassThru) WriteObject(file);
    }

    protected override void EndProcessing()
    {
        if (!ContactSheet || _sheet.Count == 0) return;
        var path = ResolveOutputPath(Path);
        if (!ConfirmOverwrite(path, $"Write a contact sheet of {_sheet.Count} projections as PNG", NoClobber, Force)) return;
        var metadataPath = MetadataInput.PathOf(Metadata) is { } given ? ResolveInputPath(given) : null;
        var metadata = Metadata is { Length: > 0 } ? Metadata : null;
        var bound = MyInvocation.BoundParameters;
        int width = bound.ContainsKey(nameof(Width)) ? Width : PreviewRenderer.ContactSheetWidth;
        var options = new PreviewOptions
        {
            Width = width,
            Dpi = Dpi,
            Theme = Enum.Parse<PreviewThemeKind>(Theme, ignoreCase: true),
            Title = Title,
            ColorProperty = ColorProperty,
            ColorMode = Enum.Parse<PreviewColorMode>(ColorMode, ignoreCase: true),
            PointSize = PointSize > 0 ? PointSize : null,
            SizeByPopularity = !UniformSize,
        };
        var upstreamFiles = new Dictionary<string, object>(StringComparer.Ordinal);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var sheet = _sheet;
        RunStage("Drawing contact sheet " + System.IO.Path.GetFileName(path), (log, ct) =>
        {
            var withMetadata = options;
            if (metadata is not null)
            {
                log.Progress(0.02, "Reading metadata");
                withMetadata = options with { Attributes = MetadataInput.Read(metadata, metadataPath, IdProperty, AllowDuplicateId, sheet[0].Entities, log, ct) };
            }
            // Label accuracy of the colour, when it is a metadata column (categorical colours only: PointColouring decides the same way).
            var colour = withMetadata.ColorProperty ?? (withMetadata.Attributes is { } a ? PreviewRenderer.DefaultColourColumn(a) : null);
            IReadOnlyDictionary<string, string>? labels = colour is not null && withMetadata.Attributes?.ColumnName(colour) is { } column
                && !string.Equals(ColorMode, "Continuous", StringComparison.OrdinalIgnoreCase)
                && withMetadata.Attributes.Column(column)!.Where(v => v is not null).Distinct().Count() <= 60
                ? withMetadata.Attributes.ToDictionary(column, sheet[0].Entities) : null;
            var panels = new List<ContactSheetPanel>();
            for (int i = 0; i < sheet.Count; i++)
            {
                log.Progress(0.05 + 0.6 * i / sheet.Count, $"Scoring panel {i + 1} of {sheet.Count}");
                panels.Add(PreviewRenderer.DescribePanel(sheet[i], labels, file =>
                {
                    lock (upstreamFiles)
                    {
                        if (!upstreamFiles.TryGetValue(file, out var read)) upstreamFiles[file] = read = ArtifactStore.Read(file, ct);
                        return read;
                    }
                }, log, ct));
            }
            bool withKey = colour is not null;
            int height = bound.ContainsKey(nameof(Height)) ? Height : PreviewRenderer.ContactSheetGrid(sheet.Count, width, withKey).Height;
            log.Progress(0.7, "Drawing");
            var png = PreviewRenderer.RenderContactSheet(sheet, panels, withMetadata with { Height = height }, log, ct);
            AtomicFile.Write(path, stream => stream.Write(png), ct);
            return 0;
        }, path);
        var file = new FileInfo(path);
        WriteVerbose($"Wrote contact sheet '{path}' ({sheet.Count} panels, {file.Length:N0} bytes) in {started.Elapsed.TotalSeconds:N2} s.");
        if (PassThru) WriteObject(file);
    }

    private static EntityIds EntitiesOf(object stage) => stage switch
    {
        EntityCollectionSet s => s.Entities,
        CooccurrenceMatrix m => m.Entities,
        NeighborGraph g => g.Entities,
        Embedding e => e.Entities,
        EmbedPS.Core.Projection.Projection p => p.Entities,
        _ => throw new ArgumentException("Not a stage object."),
    };
}
