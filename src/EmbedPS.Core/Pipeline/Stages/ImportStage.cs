using EmbedPS.Core.Collections;

namespace EmbedPS.Core.Pipeline;

/// <summary>import: reads the collections (Import-EntityCollection).</summary>
internal sealed class ImportStage : StageRunner
{
    public override object? Run(PipelineStage stage, StageContext context)
    {
        var input = context.Config.Input!;
        var importer = new CollectionImporter(new CollectionImportOptions
        {
            CollectionColumn = input.Text("CollectionProperty") ?? "collection",
            EntityColumn = input.Text("EntityProperty") ?? "entity",
            WeightColumn = input.Text("WeightProperty"),
            ValueColumn = input.Text("ValueProperty"),
            TimestampColumn = input.Text("TimestampProperty"),
            Delimiter = input.Text("Delimiter") is { Length: > 0 } d ? d[0] : null,
        });
        foreach (var path in input.List("Path")) importer.ReadPath(path, context.Log, context.Cancellation);
        var set = importer.Build();
        stage.Record.Counts["rows"] = importer.RowCount;
        Count(stage, set);
        return context.Save(stage, set);
    }

    internal static void Count(PipelineStage stage, EntityCollectionSet set)
    {
        stage.Record.Counts["entities"] = set.Entities.Count;
        stage.Record.Counts["collections"] = set.Collections.Count;
        stage.Record.Counts["pairs"] = set.Members.Length;
    }
}
