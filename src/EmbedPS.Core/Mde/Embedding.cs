using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Common;

namespace EmbedPS.Core.Mde;

/// <summary>
/// Entities placed in <see cref="Dimension"/> dimensions: row-major <see cref="Coordinates"/> (n × d).
/// Produced by Invoke-Mde; also any numeric table read as vectors.
/// </summary>
public sealed class Embedding
{
    public Embedding(EntityIds entities, int[] popularity, int dimension, float[] coordinates, Provenance? provenance = null)
    {
        if (dimension < 1) throw new ArgumentOutOfRangeException(nameof(dimension));
        if (popularity.Length != entities.Count) throw new ArgumentException("popularity must have one entry per entity.");
        if (coordinates.Length != (long)entities.Count * dimension) throw new ArgumentException($"coordinates must have {entities.Count} × {dimension} values.");
        Entities = entities;
        Popularity = popularity;
        Dimension = dimension;
        Coordinates = coordinates;
        Provenance = provenance ?? new Provenance();
    }

    public EntityIds Entities { get; }
    public int[] Popularity { get; }
    public int Dimension { get; }
    public float[] Coordinates { get; }
    public Provenance Provenance { get; }
    /// <summary>The sweepable settings this object and its upstream stages were made with (<see cref="Provenance.Settings"/>): a sweep tells its results apart by them.</summary>
    public OrderedDictionary<string, object?> Settings => Provenance.Settings;

    /// <summary>Average distortion of the final embedding (PyMDE's definition), when an optimiser produced it.</summary>
    public double? FinalDistortion { get; init; }
    public int Iterations { get; init; }
    /// <summary>Average distortion after each iteration.</summary>
    public double[] DistortionHistory { get; init; } = Array.Empty<double>();
    /// <summary>Intermediate coordinates kept with -SnapshotEvery (iteration, coordinates).</summary>
    public IReadOnlyList<EmbeddingSnapshot> Snapshots { get; init; } = Array.Empty<EmbeddingSnapshot>();
    /// <summary>Why the optimiser stopped (tolerance, max iterations...).</summary>
    public string? StopReason { get; init; }
    /// <summary>Where the optimiser ran (CPU, CUDA device name...).</summary>
    public string? Device { get; init; }

    public int EntityCount => Entities.Count;
    public ReadOnlySpan<float> Row(int i) => Coordinates.AsSpan(i * Dimension, Dimension);

    public override string ToString() =>
        $"Embedding: {EntityCount:N0} entities × {Dimension} dims" + (FinalDistortion is { } d ? $", distortion {d:G4} after {Iterations} iterations" : "");
}

public sealed record EmbeddingSnapshot(int Iteration, float[] Coordinates);
