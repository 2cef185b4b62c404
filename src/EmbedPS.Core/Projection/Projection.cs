using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Common;

namespace EmbedPS.Core.Projection;

/// <summary>Entities placed on the plane: the atlas layout.</summary>
public sealed class Projection
{
    public Projection(EntityIds entities, int[] popularity, float[] x, float[] y, string method, Provenance? provenance = null)
    {
        if (popularity.Length != entities.Count || x.Length != entities.Count || y.Length != entities.Count)
            throw new ArgumentException("popularity, x and y must have one entry per entity.");
        Entities = entities;
        Popularity = popularity;
        X = x;
        Y = y;
        Method = method;
        Provenance = provenance ?? new Provenance();
    }

    public EntityIds Entities { get; }
    public int[] Popularity { get; }
    public float[] X { get; }
    public float[] Y { get; }
    /// <summary>Umap, Tsne or Pca.</summary>
    public string Method { get; }
    public Provenance Provenance { get; }
    /// <summary>The sweepable settings this object and its upstream stages were made with (<see cref="Provenance.Settings"/>): a sweep tells its results apart by them.</summary>
    public OrderedDictionary<string, object?> Settings => Provenance.Settings;
    /// <summary>Quality measures computed with the projection (recall@k, ...), by name.</summary>
    public SortedDictionary<string, double> Quality { get; init; } = new(StringComparer.Ordinal);

    public int EntityCount => Entities.Count;

    public override string ToString() => $"Projection ({Method}): {EntityCount:N0} entities";
}
