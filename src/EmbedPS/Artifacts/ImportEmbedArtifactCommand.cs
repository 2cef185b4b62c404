using System.Management.Automation;
using EmbedPS.Commands.Infrastructure;
using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Collections;
using EmbedPS.Core.Cooccurrence;
using EmbedPS.Core.Mde;
using EmbedPS.Core.NeighborPreservation;

namespace EmbedPS.Commands.Artifacts;

/// <summary>
/// <para type="synopsis">Reads an EmbedPS Parquet artifact back as its typed stage object.</para>
/// <para type="description">Reads any artifact written by an EmbedPS stage (-OutFile) or by Export-EmbedArtifact and emits the
/// matching object: EntityCollectionSet, CooccurrenceMatrix, NeighborGraph, Embedding or Projection. The kind is read from the
/// Parquet footer key 'embedps.kind'. A file that is not a Parquet file, is truncated, or lacks the EmbedPS footer gives a
/// terminating error that names the file.</para>
/// </summary>
/// <example>
///   <code>Import-EmbedArtifact ./neighbors.parquet | Invoke-Mde -MaxIterations 100</code>
///   <para>Reads a neighbour-graph artifact and continues the pipeline from it.</para>
/// </example>
/// <example>
///   <code>Get-ChildItem ./*.parquet | Import-EmbedArtifact</code>
///   <para>Reads every artifact of a folder; file objects bind by their FullName.</para>
/// </example>
[Cmdlet(VerbsData.Import, "EmbedArtifact", DefaultParameterSetName = "Path")]
[OutputType(typeof(EntityCollectionSet), typeof(CooccurrenceMatrix), typeof(NeighborGraph), typeof(Embedding), typeof(EmbedPS.Core.Projection.Projection))]
public sealed class ImportEmbedArtifactCommand : EmbedPSCmdlet
{
    /// <summary>Path of the artifact; wildcards allowed.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Path", ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>Literal path of the artifact (no wildcard expansion).</summary>
    [Parameter(Mandatory = true, ParameterSetName = "LiteralPath", ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP", "FullName")]
    public string[] LiteralPath { get; set; } = Array.Empty<string>();

    protected override void ProcessRecord()
    {
        var paths = new List<string>();
        if (ParameterSetName == "Path")
        {
            foreach (var p in Path)
            {
                try
                {
                    paths.AddRange(GetResolvedProviderPathFromPSPath(p, out _));
                }
                catch (ItemNotFoundException ex)
                {
                    WriteError(new ErrorRecord(ex, "ArtifactNotFound", ErrorCategory.ObjectNotFound, p));
                }
            }
        }
        else
        {
            paths.AddRange(LiteralPath.Select(ResolveInputPath));
        }
        foreach (var path in paths)
        {
            var result = RunStage("Reading " + System.IO.Path.GetFileName(path), (_, ct) => ArtifactStore.Read(path, ct), path);
            WriteVerbose($"Read {result} from '{path}'.");
            WriteObject(result);
        }
    }
}

/// <summary>
/// <para type="synopsis">Writes any EmbedPS stage object to a Parquet artifact.</para>
/// <para type="description">Persists an EntityCollectionSet, CooccurrenceMatrix, NeighborGraph, Embedding or Projection
/// per the artifact contract: plain Parquet columns plus footer metadata (kind, schema, version, created, parameters, inputs).
/// The file is written to a temporary name beside the target and renamed on success, so a failed or cancelled write leaves
/// no partial file. Overwrites like Export-Csv: -NoClobber refuses an existing file, -Force overwrites a read-only one.</para>
/// </summary>
/// <example>
///   <code>New-SyntheticCollection -Size Tiny | Export-EmbedArtifact -Path ./tiny.parquet -PassThru</code>
///   <para>Writes the sample collections and returns the file.</para>
/// </example>
/// <example>
///   <code>$graph | Invoke-Mde | Export-EmbedArtifact ./nightly/embedding.parquet -NoClobber</code>
///   <para>Keeps an existing nightly result: the write is refused (error id NoClobber) when the file is already there.</para>
/// </example>
[Cmdlet(VerbsData.Export, "EmbedArtifact", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportEmbedArtifactCommand : EmbedPSCmdlet
{
    /// <summary>-Path holds Parquet.</summary>
    protected override string? OutputFormat(string parameterName) => "Parquet";

    /// <summary>The stage object to write.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public object InputObject { get; set; } = null!;

    /// <summary>Target file.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [Alias("OutFile")]
    public string Path { get; set; } = "";

    /// <summary>Refuse to overwrite an existing file.</summary>
    [Parameter] public SwitchParameter NoClobber { get; set; }

    /// <summary>Overwrite a read-only file.</summary>
    [Parameter] public SwitchParameter Force { get; set; }

    /// <summary>Emit the written file.</summary>
    [Parameter] public SwitchParameter PassThru { get; set; }

    protected override void BeginProcessing() => CheckOutputTarget(Path, NoClobber, Force, nameof(Path));

    protected override void ProcessRecord()
    {
        var value = InputObject is PSObject ps ? ps.BaseObject : InputObject;
        try { ArtifactStore.KindOf(value); }
        catch (ArgumentException ex)
        {
            ThrowTerminatingError(new ErrorRecord(ex, "NotAStageObject", ErrorCategory.InvalidType, value));
        }
        EmbedPSStageCmdlet.SaveArtifact(this, value, Path, NoClobber, Force);
        var full = GetUnresolvedProviderPathFromPSPath(Path);
        if (PassThru && File.Exists(full)) WriteObject(new FileInfo(full));
    }
}
