namespace EmbedPS.Core.Mde;

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
