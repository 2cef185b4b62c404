using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Atlas;
using EmbedPS.Core.Mde;
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
            // A sweep's layouts side by side, captioned with their settings and scores.
            if (layouts.Count > 1 && layouts.Any(l => l.Provenance.Swept.Count > 0) && layouts.All(l => l.Entities.SequenceEqual(layouts[0].Entities)))
            {
                var embedding = context.Input<Embedding>("mde");
                var colour = options.ColorProperty ?? (metadata is null ? null : PreviewRenderer.DefaultColourColumn(metadata));
                var labels = colour is not null && metadata?.ColumnName(colour) is { } column && metadata.Column(column)!.Where(v => v is not null).Distinct().Count() <= 60
                    ? metadata.ToDictionary(column, layouts[0].Entities) : null;
                var panels = layouts.Select(l => PreviewRenderer.DescribePanel(l, labels, _ => embedding, context.Log, context.Cancellation)).ToList();
                var grid = PreviewRenderer.ContactSheetGrid(layouts.Count, PreviewRenderer.ContactSheetWidth, colour is not null);
                var sheet = PreviewRenderer.RenderContactSheet(layouts, panels, options with { Width = PreviewRenderer.ContactSheetWidth, Height = grid.Height, Title = $"{context.Config.Name}: {layouts.Count} projections" },
                    context.Log, context.Cancellation);
                File.WriteAllBytes(Path.Combine(temp, "contact-sheet.png"), sheet);
            }
        }, context.Cancellation);
        stage.Record.Counts["images"] = layouts.Count;
        return null;
    }
}
