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
