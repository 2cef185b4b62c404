using EmbedPS.Core.Cooccurrence;

namespace EmbedPS.Core.Pipeline;

/// <summary>edges: a co-occurrence edge list precomputed elsewhere (Import-CooccurrenceMatrix).</summary>
internal sealed class EdgeListStage : StageRunner
{
    public override object? Run(PipelineStage stage, StageContext context)
    {
        var e = context.Config.EdgeList!;
        var columns = new EdgeListColumns(e.Text("EntityAColumn") ?? "entity_a", e.Text("EntityBColumn") ?? "entity_b", e.Text("WeightColumn") ?? "weight");
        var matrix = EdgeListImporter.Read(e.Text("Path")!, columns, context.Log, context.Cancellation);
        return CooccurrenceStage.Counted(stage, context, matrix);
    }
}
