using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Cooccurrence;
using EmbedPS.Core.Mde;
using EmbedPS.Core.NeighborPreservation;
using EmbedPS.Core.Projection;
using ProjectionResult = EmbedPS.Core.Projection.Projection;

namespace EmbedPS.Core.Pipeline.Stages;

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

/// <summary>projection-N: ConvertTo-Projection with the Nth Projections entry; with AlignTo = 'latest' it refines the served layout.</summary>
internal sealed class ProjectionStage(int index) : StageRunner
{
    public override object? Run(PipelineStage stage, StageContext context)
    {
        var p = context.Config.Projections[index];
        var embedding = context.Input<Embedding>("mde");
        var method = ProjectionSettings.Method.From(p);
        ProjectionResult? previous = null;
        if (stage.AlignSource is { } source) previous = ArtifactStore.Read(source, context.Cancellation) as ProjectionResult;
        // Starting from the previous map, UMAP refines it (a smaller learning rate, fewer epochs) rather than redoing it.
        bool refine = previous is not null && method == ProjectionMethod.Umap;
        var (umap, tsne) = ProjectionSettings.Resolve(p, refine);
        var request = new ProjectionRequest
        {
            Method = method,
            Umap = umap,
            Tsne = tsne,
            // PCA has no start: it is rotated and reflected onto the previous map (Procrustes). UMAP and t-SNE start from it.
            AlignTo = method == ProjectionMethod.Pca ? previous : null,
            InitialProjection = method == ProjectionMethod.Pca ? null : previous,
            Parameters = new SortedDictionary<string, object?>(p, StringComparer.Ordinal),
        };
        var projection = ProjectionBuilder.Build(embedding, request, context.Log, context.Cancellation);
        if (previous is not null && method != ProjectionMethod.Pca)
        {
            var (shared, residual) = LayoutAlignment.AlignAxes(projection, previous);
            stage.Record.Counts["alignment_shared"] = shared;
            stage.Record.Counts["alignment_median_displacement"] = residual;
        }
        stage.Record.Counts["entities"] = projection.EntityCount;
        foreach (var (key, value) in projection.Quality) stage.Record.Counts[key] = value;
        return context.Save(stage, projection);
    }
}
