using System.Management.Automation;
using EmbedPS.Commands.Infrastructure;
using EmbedPS.Core.Collections;
using EmbedPS.Core.Common;
using EmbedPS.Core.Cooccurrence;

namespace EmbedPS.Commands.Cooccurrence;

/// <summary>
/// <para type="synopsis">Counts how often every pair of entities appears in the same collection: a symmetric sparse co-occurrence matrix.</para>
/// <para type="description">Computes, for every pair of entities i ≠ j, W(i, j) = Σ over collections c holding both of
/// cw(|c|) · pw(w_i, w_j) · exp(−|v_i − v_j| / ValueScale) · exp(−|t_i − t_j| / TimeScale), where w, v and t are the items'
/// weight, value and timestamp in that collection. -CollectionWeighting sets cw(s): None = 1 (plain counts), InverseSize =
/// 1/(s−1) (each collection gives each member a total of 1), InverseLogSize = 1/ln(1+s). -PairWeight sets pw: Count = 1,
/// WeightProduct = w_i·w_j, WeightMin = min(w_i, w_j). A kernel whose scale is 0 (the default) is 1. The diagonal holds each
/// entity's popularity: the number of collections it is in.
/// The matrix is exact and computed row by row in parallel from an inverted index entity → collections,
/// with a per-thread sparse accumulator (Gustavson's method): never a dense n × n matrix, and the result is identical for any
/// -ThrottleLimit. A first pass counts each entity's distinct partners, so the exact size is known before anything big is
/// allocated. By default (-MaxPartners not given) the exact matrix is kept when it fits the memory budget; when it does not, each
/// entity keeps its strongest partners, as many as fit, with a warning. -MaxPartners K keeps each entity's K strongest partners
/// (larger weight first, ties to the smaller index); the result stays symmetric as the union of both sides, so every entity keeps
/// all of its own K strongest partners (what a k-nearest-neighbour search downstream needs). -MaxPartners 0 demands the exact matrix.
/// When what is asked does not fit the budget (-MaxMemoryGB, default 75% of the memory available to the process), the command
/// stops before allocating, with an error that gives the size and a -MaxPartners value that fits.
/// Ctrl+C stops within about a second and writes no file. For raw logs too large for one machine, compute
/// the edge list with SQL (DuckDB, Spark) and read it with Import-CooccurrenceMatrix; shards computed separately add up with
/// Merge-CooccurrenceMatrix.</para>
/// </summary>
/// <example>
///   <code>New-SyntheticCollection -Size Small | New-CooccurrenceMatrix -OutFile ./cooccurrence.parquet</code>
///   <para>Plain co-occurrence counts of the built-in sample, kept as an artifact.</para>
/// </example>
/// <example>
///   <code>Import-EmbedArtifact ./plays.parquet | New-CooccurrenceMatrix -CollectionWeighting InverseLogSize -OutFile ./cooc.parquet</code>
///   <para>The tour's collections with long lists counting less. Collections imported with weights and values
///   (Import-EntityCollection -WeightProperty plays -ValueProperty pp) can also weight each pair (-PairWeight WeightMin: the smaller of
///   its two weights) and discount items whose values differ (-ValueScale 50: a difference of 50 counts e⁻¹ ≈ 0.37 as much).</para>
/// </example>
/// <example>
///   <code>New-CooccurrenceMatrix -InputPath ./plays.parquet -MaxPartners 200 -MaxMemoryGB 8 -Verbose</code>
///   <para>Keeps each entity's 200 strongest partners, within 8 GiB; -Verbose shows the size estimates.</para>
/// </example>
[Cmdlet(VerbsCommon.New, "CooccurrenceMatrix", SupportsShouldProcess = true, DefaultParameterSetName = "InputObject")]
[OutputType(typeof(CooccurrenceMatrix))]
public sealed class NewCooccurrenceMatrixCommand : CooccurrenceSizingCmdlet
{
    /// <summary>The collections (from New-SyntheticCollection, Import-EntityCollection or Select-EntityCollection).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = "InputObject")]
    public EntityCollectionSet InputObject { get; set; } = null!;

    /// <summary>Path of a 'collections' artifact to read instead of a pipeline object.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = "InputPath")]
    [Alias("FullName", "PSPath")]
    public string InputPath { get; set; } = "";

    /// <summary>What a collection of size s adds to each of its pairs: None = 1 (default, plain counts), InverseSize = 1/(s−1), InverseLogSize = 1/ln(1+s).</summary>
    [Parameter]
    public CollectionWeighting CollectionWeighting { get; set; } = CooccurrenceSettings.CollectionWeighting.Default;

    /// <summary>How the two items' weights combine: Count = 1 (default), WeightProduct = w_i·w_j, WeightMin = min(w_i, w_j). The last two need a weight column.</summary>
    [Parameter]
    public PairWeight PairWeight { get; set; } = CooccurrenceSettings.PairWeight.Default;

    /// <summary>Multiply each pair's contribution by exp(−|v_i − v_j| / ValueScale), v being the items' values; 0 (default) turns it off.</summary>
    [Parameter]
    [ValidateSetting(typeof(CooccurrenceSettings), nameof(CooccurrenceSettings.ValueScale))]
    public double ValueScale { get; set; } = CooccurrenceSettings.ValueScale.Default;

    /// <summary>Multiply each pair's contribution by exp(−|t_i − t_j| / TimeScale), t being the items' timestamps, in their unit (seconds for date-times: 30 days is 2592000); 0 (default) turns it off.</summary>
    [Parameter]
    [ValidateSetting(typeof(CooccurrenceSettings), nameof(CooccurrenceSettings.TimeScale))]
    public double TimeScale { get; set; } = CooccurrenceSettings.TimeScale.Default;


    protected override void ProcessRecord()
    {
        var set = ParameterSetName == "InputPath" ? ReadArtifact<EntityCollectionSet>(InputPath) : InputObject;
        var options = SizingOptions();
        CooccurrenceMatrix matrix;
        try
        {
            matrix = RunStage("Counting co-occurrences", (log, ct) => CooccurrenceBuilder.Build(set, options, log, ct), set);
        }
        catch (ArgumentException ex) when (ex is not PSArgumentException)
        {
            ThrowArgumentError("InvalidCooccurrenceOptions", ex.Message);
            return;
        }
        WriteVerbose(matrix.ToString());
        SaveAndEmit(matrix);
    }
}
