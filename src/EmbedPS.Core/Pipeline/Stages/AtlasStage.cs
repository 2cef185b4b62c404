using EmbedPS.Core.Atlas;
using EmbedPS.Core.Mde;
using EmbedPS.Core.Projection;

namespace EmbedPS.Core.Pipeline;

/// <summary>atlas: Export-EmbeddingAtlas over every projection with the Atlas and Metadata sections.</summary>
internal sealed class AtlasStage : StageRunner
{
    public override object? Run(PipelineStage stage, StageContext context)
    {
        var layouts = context.Layouts();
        var embedding = context.Input<Embedding>("mde");
        var a = context.Config.Atlas;
        var names = context.Config.Projections.Any(p => p.ContainsKey("Name"))
            ? context.Config.Projections.Select((p, i) => p.Text("Name") ?? (layouts[i].Provenance.Swept.Count > 0 ? SweepLabels.Caption(layouts[i]) : layouts[i].Method)).ToArray() : null;
        var sources = context.Config.InputPaths.Select(p => new KeyValuePair<string, string>("input", Path.GetFileName(p))).ToList();
        if (context.Config.MetadataPath is { } meta) sources.Add(new("metadata", Path.GetFileName(meta)));
        var options = new AtlasOptions
        {
            Title = a.ContainsKey(AtlasSettings.Title.Name) ? AtlasSettings.Title.From(a) : context.Config.Name,
            Theme = AtlasSettings.ThemeKind(AtlasSettings.Theme.From(a)),
            LabelProperty = AtlasSettings.LabelProperty.From(a),
            ColorProperty = AtlasSettings.ColorProperty.From(a),
            SizeProperty = AtlasSettings.SizeProperty.From(a),
            SearchProperties = AtlasSettings.SearchProperty.From(a),
            TooltipProperties = AtlasSettings.TooltipProperty.From(a),
            CategoryProperties = AtlasSettings.CategoryProperty.From(a),
            LayoutNames = names,
            NeighborCount = AtlasSettings.NeighborCount.From(a),
            Seed = AtlasSettings.Seed.From(a),
            Sources = sources,
        };
        var result = AtlasExporter.Write(stage.CachePath, layouts, embedding, context.ReadMetadata(layouts[0].Entities), options, context.Log, context.Cancellation);
        stage.Record.Counts["points"] = result.PointCount;
        stage.Record.Counts["layouts"] = result.Layouts.Count;
        return result;
    }
}
