using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Mde;
using EmbedPS.Core.Projection;
using ProjectionResult = EmbedPS.Core.Projection.Projection;

namespace EmbedPS.Core.Pipeline;

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
            // A sweep's projections with the same Neighbors share UMAP's kNN graph (not when refining: same graph, but one run each).
            GraphCache = context.Config.Projections.Count > 1 ? context.Graphs : null,
        };
        var projection = ProjectionBuilder.Build(embedding, request, context.Log, context.Cancellation);
        projection.Provenance.WithSettings([], context.Config.ProjectionSwept.ElementAtOrDefault(index) ?? []);
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
