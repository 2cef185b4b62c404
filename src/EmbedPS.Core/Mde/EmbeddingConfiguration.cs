namespace EmbedPS.Core.Mde;

/// <summary>
/// How <c>Invoke-Mde</c> embeds a neighbour graph: dimension, penalties, constraint and start. Defaults are the
/// neighbour-preservation recipe of PyMDE: 3 dimensions, Log1p (exponent 1.5) on neighbour edges, Log (exponent 1) on
/// repulsive pairs, Centered constraint, spectral (quadratic) start.
/// </summary>
public sealed class EmbeddingConfiguration
{
    public int Dimension { get; set; } = MdeSettings.Dimension.Default;
    public PenaltyKind AttractivePenalty { get; set; } = MdeSettings.AttractivePenalty.Default;
    public double AttractiveExponent { get; set; } = MdeSettings.AttractiveExponent.Default;
    public PenaltyKind RepulsivePenalty { get; set; } = MdeSettings.RepulsivePenalty.Default;
    public double RepulsiveExponent { get; set; } = MdeSettings.RepulsiveExponent.Default;
    /// <summary>Huber threshold δ when a Huber penalty is chosen.</summary>
    public double HuberThreshold { get; set; } = MdeSettings.HuberThreshold.Default;
    public ConstraintKind Constraint { get; set; } = MdeSettings.Constraint.Default;
    public InitKind Init { get; set; } = InitKind.Quadratic;
    /// <summary>Seed of the random start, of the spectral start's LOBPCG block and of the positions of entities missing from an initial embedding.</summary>
    public int Seed { get; set; }
    /// <summary>
    /// Row-major n × Dimension start coordinates aligned to the graph's entities; when set they are used whatever
    /// <see cref="Init"/> says. When null the start is computed from <see cref="Init"/>.
    /// </summary>
    public float[]? InitialCoordinates { get; set; }
    /// <summary>The previous embedding to start from when <see cref="Init"/> is Embedding (entities matched by id).</summary>
    public Embedding? InitialEmbedding { get; set; }
    /// <summary>Dense indices of anchored entities (Anchored constraint).</summary>
    public int[]? AnchorIndices { get; set; }
    /// <summary>Row-major anchors × Dimension pinned coordinates.</summary>
    public float[]? AnchorCoordinates { get; set; }

    public EmbeddingConfiguration Clone() => (EmbeddingConfiguration)MemberwiseClone();

    public override string ToString() => $"dim {Dimension}, {AttractivePenalty}/{RepulsivePenalty}, {Constraint}, init {Init}";
}
