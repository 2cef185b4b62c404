using EmbedPS.Core.Atlas;
using EmbedPS.Core.Mde;

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
            ? context.Config.Projections.Select((p, i) => p.Text("Name") ?? layouts[i].Method).ToArray() : null;
        var sources = context.Config.InputPaths.Select(p => new KeyValuePair<string, string>("input", Path.GetFileName(p))).ToList();
        if (context.Config.MetadataPath is { } meta) sources.Add(new("metadata", Path.GetFileName(meta)));
        var options = new AtlasOptions
        {
            Title = a.Text("Title") ?? context.Config.Name,
            Theme = a.Text("Theme") is "Light" ? AtlasTheme.Light : AtlasTheme.Dark,
            LabelProperty = a.Text("LabelProperty"),
            ColorProperty = a.Text("ColorProperty"),
            SizeProperty = a.Text("SizeProperty"),
            SearchProperties = a.List("SearchProperty"),
            TooltipProperties = a.ContainsKey("TooltipProperty") ? a.List("TooltipProperty") : null,
            CategoryProperties = a.List("CategoryProperty"),
            LayoutNames = names,
            NeighborCount = a.Get("NeighborCount", 10),
            Seed = a.Get("Seed", 42),
            Sources = sources,
        };
        var result = AtlasExporter.Write(stage.CachePath, layouts, embedding, context.ReadMetadata(layouts[0].Entities), options, context.Log, context.Cancellation);
        stage.Record.Counts["points"] = result.PointCount;
        stage.Record.Counts["layouts"] = result.Layouts.Count;
        return result;
    }
}
