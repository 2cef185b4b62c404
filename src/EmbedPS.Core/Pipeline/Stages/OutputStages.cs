using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Atlas;
using EmbedPS.Core.Mde;
using EmbedPS.Core.Preview;

namespace EmbedPS.Core.Pipeline.Stages;

/// <summary>preview: Export-EmbeddingPreview, one PNG per projection, with the Preview section.</summary>
internal sealed class PreviewStage : StageRunner
{
    public override object? Run(PipelineStage stage, StageContext context)
    {
        var layouts = context.Layouts();
        var metadata = context.ReadMetadata(layouts[0].Entities);
        var p = context.Config.Preview;
        var options = new PreviewOptions
        {
            Width = p.Get("Width", 1200),
            Height = p.Get("Height", 900),
            Theme = p.Text("Theme") is "Dark" ? PreviewThemeKind.Dark : PreviewThemeKind.Light,
            ColorProperty = p.Text("ColorProperty") ?? context.Config.Atlas.Text("ColorProperty"),
            Attributes = metadata,
        };
        if (options.ColorProperty is not null && metadata is null) options = options with { ColorProperty = null };
        AtomicFile.WriteDirectory(stage.CachePath, temp =>
        {
            for (int i = 0; i < layouts.Count; i++)
            {
                var title = $"{context.Config.Name}: {context.Config.Projections[i].Text("Name") ?? layouts[i].Method}";
                PreviewRenderer.WritePng(Path.Combine(temp, $"projection-{i + 1}.png"), layouts[i], options with { Title = title }, context.Log, context.Cancellation);
            }
        }, context.Cancellation);
        stage.Record.Counts["images"] = layouts.Count;
        return null;
    }
}

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
