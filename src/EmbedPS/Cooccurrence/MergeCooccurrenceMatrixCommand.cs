using System.Management.Automation;
using EmbedPS.Commands.Infrastructure;
using EmbedPS.Core.Cooccurrence;

namespace EmbedPS.Commands.Cooccurrence;

/// <summary>
/// <para type="synopsis">Sums co-occurrence matrices computed from shards of the collections into one.</para>
/// <para type="description">Co-occurrence is a sum over collections, so matrices computed separately from disjoint shards
/// (per month, per machine) add up to the matrix of all collections at once: W(i, j) = Σ over matrices of W_m(i, j), and
/// popularity adds up the same way. Entities are matched by id; the result keeps the entity order of the first matrix, then
/// new ids in order of appearance. The sum is exact for counts and equal up to float rounding for fractional weights. Compute
/// the shards without -MaxPartners (a capped shard has lost its weak pairs; a warning says so) and cap the merge instead.
/// Matrices come from the pipeline or from files (-Path): 'cooccurrence' artifacts or plain edge lists, as
/// Import-CooccurrenceMatrix reads them. -MaxPartners, -MaxMemoryGB and -ThrottleLimit work as in New-CooccurrenceMatrix.</para>
/// </summary>
/// <example>
///   <code>Get-ChildItem ./shards/*.parquet | Merge-CooccurrenceMatrix -OutFile ./cooccurrence.parquet</code>
///   <para>Sums the monthly shard artifacts of a folder into one artifact.</para>
/// </example>
/// <example>
///   <code>$jan = $janCollections | New-CooccurrenceMatrix; $feb = $febCollections | New-CooccurrenceMatrix; $jan, $feb | Merge-CooccurrenceMatrix</code>
///   <para>Merges matrices from the pipeline.</para>
/// </example>
[Cmdlet(VerbsData.Merge, "CooccurrenceMatrix", SupportsShouldProcess = true, DefaultParameterSetName = "InputObject")]
[OutputType(typeof(CooccurrenceMatrix))]
public sealed class MergeCooccurrenceMatrixCommand : CooccurrenceSizingCmdlet
{
    private readonly List<CooccurrenceMatrix> _matrices = new();

    /// <summary>The matrices to sum.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = "InputObject")]
    public CooccurrenceMatrix[] InputObject { get; set; } = Array.Empty<CooccurrenceMatrix>();

    /// <summary>Files to sum: 'cooccurrence' artifacts or edge lists (Parquet or CSV, or folders of part files).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = "Path")]
    [Alias("FullName", "PSPath", "InputPath")]
    public string[] Path { get; set; } = Array.Empty<string>();


    protected override void ProcessRecord()
    {
        if (ParameterSetName == "InputObject")
        {
            _matrices.AddRange(InputObject.Where(m => m is not null));
            return;
        }
        foreach (var pattern in Path)
        {
            foreach (var path in ImportCooccurrenceMatrixCommand.Resolve(this, pattern))
            {
                _matrices.Add(RunStage("Reading " + System.IO.Path.GetFileName(path),
                    (log, ct) => EdgeListImporter.Read(path, null, log, ct), path));
            }
        }
    }

    protected override void EndProcessing()
    {
        if (_matrices.Count == 0)
        {
            ThrowArgumentError("NoMatrices", "Merge-CooccurrenceMatrix received no matrices.");
            return;
        }
        var options = SizingOptions();
        var merged = RunStage("Merging co-occurrence matrices", (log, ct) => CooccurrenceMerger.Merge(_matrices, options, log, ct));
        WriteVerbose($"Merged {_matrices.Count} matrices: {merged}.");
        SaveAndEmit(merged);
    }
}
