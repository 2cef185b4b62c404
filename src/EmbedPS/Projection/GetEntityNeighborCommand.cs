using EmbedPS.Core.Common;
using System.Management.Automation;
using EmbedPS.Commands.Infrastructure;
using EmbedPS.Core.Cooccurrence;
using EmbedPS.Core.Mde;
using EmbedPS.Core.Projection;
using ProjectionResult = EmbedPS.Core.Projection.Projection;

namespace EmbedPS.Commands.Projection;

/// <summary>
/// <para type="synopsis">Lists an entity's nearest entities in an embedding, projection or co-occurrence matrix.</para>
/// <para type="description">The sanity check the method recommends: look at the neighbours of a few well-known entities. In an
/// Embedding or Projection the neighbours are the -Count nearest entities by Euclidean distance (exact); in a CooccurrenceMatrix
/// they are the strongest partners by co-occurrence weight. Emits one EntityNeighbor per neighbour (entity, rank, neighbour,
/// distance or weight, the neighbour's popularity).</para>
/// </summary>
/// <example>
///   <code>$projection | Get-EntityNeighbor -Entity 17 -Count 10</code>
///   <para>The ten entities placed closest to entity 17 on the map.</para>
/// </example>
/// <example>
///   <code>Get-EntityNeighbor -InputPath ./cooc.parquet -Entity 17, 42 -Count 5 | Format-Table</code>
///   <para>The five strongest co-occurrence partners of two entities, read from an artifact.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "EntityNeighbor", DefaultParameterSetName = "InputObject")]
[OutputType(typeof(EntityNeighbor))]
public sealed class GetEntityNeighborCommand : EmbedPSCmdlet
{
    /// <summary>An Embedding, Projection or CooccurrenceMatrix.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = "InputObject")]
    public object InputObject { get; set; } = null!;

    /// <summary>Path of an embedding, projection or co-occurrence artifact.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = "Path")]
    [Alias("FullName", "PSPath")]
    public string InputPath { get; set; } = "";

    /// <summary>The entity id(s) whose neighbours to list.</summary>
    [Parameter(Mandatory = true, Position = 0), ArgumentCompleter(typeof(EntityCompleter))]
    public object[] Entity { get; set; } = Array.Empty<object>();

    /// <summary>How many neighbours per entity (10).</summary>
    [Parameter, ValidateRange(1, 100_000)] public int Count { get; set; } = 10;

    protected override void ProcessRecord()
    {
        var source = ParameterSetName == "Path" ? ReadArtifact<object>(InputPath) : (InputObject is PSObject ps ? ps.BaseObject : InputObject);
        if (source is not (Embedding or ProjectionResult or CooccurrenceMatrix))
            ThrowArgumentError("InvalidInputObject", $"Get-EntityNeighbor works on an Embedding, Projection or CooccurrenceMatrix, not {Grammar.WithArticle(source.GetType().Name)}.", source);
        foreach (var raw in Entity)
        {
            var id = raw is PSObject wrapped ? wrapped.BaseObject : raw;
            try
            {
                foreach (var neighbor in EntityNeighbors.Find(source, id, Count)) WriteObject(neighbor);
            }
            catch (EmbedPS.Core.Common.EmbedPSException ex)
            {
                WriteError(ToErrorRecord(ex, id));
            }
        }
    }
}
