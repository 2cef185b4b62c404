using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Mde;
using EmbedPS.Core.NeighborPreservation;

namespace EmbedPS.Core.Pipeline;

/// <summary>mde: Invoke-Mde with the Mde section; with AlignTo = 'latest' it starts from the served embedding.</summary>
internal sealed class MdeStage : StageRunner
{
    public override object? Run(PipelineStage stage, StageContext context)
    {
        var graph = context.Input<NeighborGraph>("neighbors");
        var (configuration, options) = MdeSettings.Resolve(context.Config.Mde);
        if (stage.AlignSource is { } source)
        {
            var previous = ArtifactStore.Read(source, context.Cancellation) as Embedding;
            if (previous is null || previous.Dimension != configuration.Dimension)
            {
                context.Log.Warning($"Stage 'mde': the previous embedding ('{source}') has {previous?.Dimension} dimensions, not {configuration.Dimension}; starting afresh.");
            }
            else
            {
                configuration.Init = InitKind.Embedding;
                configuration.InitialCoordinates = StableStart.FromPrevious(graph, previous, out int matched);
                stage.Record.Counts["start_matched"] = matched;
                stage.Record.Counts["start_new"] = graph.EntityCount - matched;
            }
        }
        var embedding = MinimumDistortionEmbedding.Run(graph, configuration, options, context.Log, context.Cancellation);
        stage.Record.Counts["entities"] = embedding.EntityCount;
        stage.Record.Counts["iterations"] = embedding.Iterations;
        if (embedding.FinalDistortion is { } distortion) stage.Record.Counts["distortion"] = distortion;
        return context.Save(stage, embedding);
    }
}
