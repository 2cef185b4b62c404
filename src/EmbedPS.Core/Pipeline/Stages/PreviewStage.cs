using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Atlas;
using EmbedPS.Core.Preview;

namespace EmbedPS.Core.Pipeline;

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
            Width = PreviewSettings.Width.From(p),
            Height = PreviewSettings.Height.From(p),
            Theme = PreviewSettings.ThemeKind(PreviewSettings.Theme.From(p)),
            ColorProperty = PreviewSettings.ColorProperty.From(p) ?? AtlasSettings.ColorProperty.From(context.Config.Atlas),
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
