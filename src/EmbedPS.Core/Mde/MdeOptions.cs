namespace EmbedPS.Core.Mde;

/// <summary>Distortion penalties, as PyMDE names them (pymde.penalties).</summary>
public enum PenaltyKind
{
    /// <summary>Attractive: f(d) = w · log(1 + d^α), α = exponent (PyMDE default 1.5).</summary>
    Log1p,
    /// <summary>Repulsive: f(d) = w · log(1 − exp(−d^α)), α = exponent (PyMDE default 1).</summary>
    Log,
    /// <summary>f(d) = w · d².</summary>
    Quadratic,
    /// <summary>f(d) = w · (d² / 2 when d ≤ δ, else δ(d − δ/2)).</summary>
    Huber,
}

/// <summary>Constraint on the embedding (pymde.constraints).</summary>
public enum ConstraintKind
{
    /// <summary>Zero mean and XᵀX = n·I.</summary>
    Standardized,
    /// <summary>Zero mean only.</summary>
    Centered,
    /// <summary>Given entities pinned to given coordinates; the rest are free.</summary>
    Anchored,
}

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
