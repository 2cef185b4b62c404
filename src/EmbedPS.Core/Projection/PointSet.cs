using EmbedPS.Core.Common;
using EmbedPS.Core.Mde;

namespace EmbedPS.Core.Projection;

/// <summary>Points with ids: an Embedding's or a Projection's coordinates, row-major n × Dimension.</summary>
public sealed record PointSet(EntityIds Entities, float[] Coordinates, int Dimension)
{
    public int Count => Entities.Count;

    public static PointSet From(object stageObject) => stageObject switch
    {
        Embedding e => new PointSet(e.Entities, e.Coordinates, e.Dimension),
        Projection p => new PointSet(p.Entities, Interleave(p.X, p.Y), 2),
        _ => throw new EmbedPSException("NotAPointSet", EmbedPSErrorKind.InvalidArgument,
            $"Expected an Embedding or a Projection, got {stageObject?.GetType().Name ?? "null"}."),
    };

    public static float[] Interleave(float[] x, float[] y)
    {
        var result = new float[x.Length * 2];
        for (int i = 0; i < x.Length; i++) { result[2 * i] = x[i]; result[2 * i + 1] = y[i]; }
        return result;
    }

    /// <summary>The rows at the given indices, in that order.</summary>
    public PointSet Subset(int[] indices)
    {
        var coords = new float[indices.Length * Dimension];
        for (int t = 0; t < indices.Length; t++) Array.Copy(Coordinates, indices[t] * Dimension, coords, t * Dimension, Dimension);
        return new PointSet(Entities.Subset(indices), coords, Dimension);
    }
}
