using EmbedPS.Core.Common;
using EmbedPS.Core.Cooccurrence;

namespace EmbedPS.Core.Projection;

/// <summary>One of an entity's nearest entities: by distance in an Embedding/Projection, by weight in a CooccurrenceMatrix.</summary>
public sealed record EntityNeighbor(object Entity, int Rank, object Neighbor, double? Distance, double? Weight, int NeighborPopularity);

public static class EntityNeighbors
{
    /// <summary>The <paramref name="count"/> nearest entities to <paramref name="entity"/> in <paramref name="source"/>.</summary>
    public static IReadOnlyList<EntityNeighbor> Find(object source, object entity, int count)
    {
        if (count < 1) throw new EmbedPSException("InvalidCount", EmbedPSErrorKind.InvalidArgument, $"-Count must be at least 1, got {count}.");
        if (source is CooccurrenceMatrix matrix)
        {
            int row = Lookup(matrix.Entities, entity);
            var partners = matrix.PartnersOf(row).ToArray();
            var weights = matrix.WeightsOf(row).ToArray();
            var order = Enumerable.Range(0, partners.Length).OrderByDescending(t => weights[t]).ThenBy(t => partners[t]).Take(count);
            return order.Select((t, r) => new EntityNeighbor(matrix.Entities[row], r + 1, matrix.Entities[partners[t]], null, weights[t], matrix.Popularity[partners[t]])).ToList();
        }
        var points = PointSet.From(source);
        int popularityOwner = Lookup(points.Entities, entity);
        int[] popularity = source switch { Mde.Embedding e => e.Popularity, Projection p => p.Popularity, _ => new int[points.Count] };
        var (indices, distances) = LowDimensionalKnn.Query(points.Coordinates, points.Count, points.Dimension,
            points.Coordinates.AsSpan(popularityOwner * points.Dimension, points.Dimension), count, exclude: popularityOwner);
        return indices.Select((j, r) => new EntityNeighbor(points.Entities[popularityOwner], r + 1, points.Entities[j], distances[r], null, popularity[j])).ToList();
    }

    private static int Lookup(EntityIds ids, object entity)
    {
        int index = ids.IndexOf(entity);
        if (index < 0) throw new EmbedPSException("EntityNotFound", EmbedPSErrorKind.ObjectNotFound, $"Entity '{entity}' is not in the input ({ids}).") { Value = entity?.ToString() };
        return index;
    }
}
