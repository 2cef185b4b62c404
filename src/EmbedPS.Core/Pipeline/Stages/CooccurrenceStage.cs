using EmbedPS.Core.Collections;
using EmbedPS.Core.Cooccurrence;

namespace EmbedPS.Core.Pipeline;

/// <summary>cooccurrence: New-CooccurrenceMatrix with the Cooccurrence section.</summary>
internal sealed class CooccurrenceStage : StageRunner
{
    public override object? Run(PipelineStage stage, StageContext context)
    {
        var options = CooccurrenceSettings.Resolve(context.Config.Cooccurrence);
        var matrix = CooccurrenceBuilder.Build(context.Input<EntityCollectionSet>(context.Upstream(stage)), options, context.Log, context.Cancellation);
        return Counted(stage, context, matrix);
    }

    internal static object Counted(PipelineStage stage, StageContext context, CooccurrenceMatrix matrix)
    {
        stage.Record.Counts["entities"] = matrix.EntityCount;
        stage.Record.Counts["nonzeros"] = matrix.ColumnIndices.Length;
        return context.Save(stage, matrix);
    }
}
