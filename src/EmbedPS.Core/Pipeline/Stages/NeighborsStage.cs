using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Cooccurrence;
using EmbedPS.Core.NeighborPreservation;

namespace EmbedPS.Core.Pipeline;

/// <summary>neighbors: Invoke-NeighborPreservation with the Neighbors section.</summary>
internal sealed class NeighborsStage : StageRunner
{
    public override object? Run(PipelineStage stage, StageContext context)
    {
        var n = context.Config.Neighbors;
        var options = NeighborPreservationSettings.Resolve(n);
        var matrix = context.Input<CooccurrenceMatrix>(context.Upstream(stage));
        var provenance = Provenance.Derived(matrix.Provenance, ArtifactKind.Cooccurrence, n);
        var graph = NeighborPreservationBuilder.FromCooccurrence(matrix, options, context.Log, context.Cancellation, provenance);
        stage.Record.Counts["entities"] = graph.EntityCount;
        stage.Record.Counts["neighbor_edges"] = graph.NeighborEdgeCount;
        stage.Record.Counts["repulsive_pairs"] = graph.RepulsiveEdgeCount;
        return context.Save(stage, graph);
    }
}
