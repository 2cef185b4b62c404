using System.Runtime.CompilerServices;
using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Common;

namespace EmbedPS.Core.Collections;

/// <summary>
/// Persists an <see cref="EntityCollectionSet"/> as a 'collections' artifact: one row per pair,
/// columns <c>collection, entity [, weight, value, timestamp]</c>, rows grouped by collection.
/// </summary>
public static class CollectionsArtifact
{
    /// <summary>Registers this kind's codec (read whole) with <see cref="ArtifactCodecs"/> when EmbedPS.Core loads.</summary>
    [ModuleInitializer]
    internal static void RegisterCodec() => ArtifactCodecs.Register<EntityCollectionSet>(ArtifactKind.Collections, FromTable, Write);

    public const int Schema = 1;

    public static void Write(EntityCollectionSet set, string path, CancellationToken cancellation = default)
    {
        var collectionOfPair = new int[set.PairCount];
        for (int c = 0; c < set.CollectionCount; c++)
            collectionOfPair.AsSpan(set.CollectionOffsets[c], set.SizeOf(c)).Fill(c);
        var columns = new List<ArtifactColumn>
        {
            ArtifactColumn.EntityIds("collection", set.Collections, collectionOfPair),
            ArtifactColumn.EntityIds("entity", set.Entities, set.Members),
        };
        if (set.Weights is not null) columns.Add(new ArtifactColumn("weight", set.Weights));
        if (set.Values is not null) columns.Add(new ArtifactColumn("value", set.Values));
        if (set.Timestamps is not null) columns.Add(new ArtifactColumn("timestamp", set.Timestamps));
        ParquetArtifact.Write(path, ArtifactKind.Collections, Schema, set.Provenance, columns, cancellation: cancellation);
    }

    public static EntityCollectionSet Read(string path, CancellationToken cancellation = default) =>
        FromTable(ParquetArtifact.Read(path, ArtifactKind.Collections, cancellation));

    public static EntityCollectionSet FromTable(ArtifactTable table)
    {
        var collections = table.GetEntityIdColumn("collection");
        var entities = table.GetEntityIdColumn("entity");
        var weights = table.Has("weight") ? table.Get<float>("weight") : null;
        var values = table.Has("value") ? table.Get<double>("value") : null;
        var timestamps = table.Has("timestamp") ? table.Get<double>("timestamp") : null;
        if (collections is long[] collectionIntegers && entities is long[] entityIntegers)
            return EntityCollectionBuilder.FromIntegerRows(collectionIntegers, entityIntegers, weights, values, timestamps, table.Provenance);
        var builder = new EntityCollectionBuilder(weights is not null, values is not null, timestamps is not null);
        if (collections is string[]) builder.KeepCollectionIdsAsText();
        if (entities is string[]) builder.KeepEntityIdsAsText();
        for (int i = 0; i < collections.Length; i++)
        {
            builder.Add(IdText(collections, i), IdText(entities, i), weights?[i] ?? 1f, values?[i] ?? 0, timestamps?[i] ?? 0);
        }
        var set = builder.Build(table.Provenance);
        return set;
    }

    private static string IdText(Array ids, int i) => ids is long[] l
        ? l[i].ToString(System.Globalization.CultureInfo.InvariantCulture)
        : ((string[])ids)[i] ?? throw new EmbedPSException("NullId", EmbedPSErrorKind.InvalidData, $"Row {i + 1}: null id.") { Row = i + 1 };
}
