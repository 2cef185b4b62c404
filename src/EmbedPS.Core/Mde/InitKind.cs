namespace EmbedPS.Core.Mde;

/// <summary>How the optimiser starts.</summary>
public enum InitKind
{
    /// <summary>Spectral: the smallest non-trivial eigenvectors of the neighbour graph's Laplacian.</summary>
    Quadratic,
    /// <summary>Gaussian random coordinates, seeded.</summary>
    Random,
    /// <summary>Coordinates of a previous embedding, matched by entity id.</summary>
    Embedding,
}
