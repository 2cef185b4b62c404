using EmbedPS.Core.Collections;

namespace EmbedPS.Core.Pipeline;

/// <summary>filter: Select-EntityCollection with the Filter section.</summary>
internal sealed class FilterStage : StageRunner
{
    public override object? Run(PipelineStage stage, StageContext context)
    {
        var options = CollectionFilterSettings.Resolve(context.Config.Filter!);
        var set = CollectionFilter.Apply(context.Input<EntityCollectionSet>("import"), options, context.Log, context.Cancellation, out _);
        ImportStage.Count(stage, set);
        return context.Save(stage, set);
    }
}
