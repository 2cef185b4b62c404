using System.Numerics;

namespace EmbedPS.Core.Mde;

/// <summary>
/// One distortion penalty p(d) with its parameters, as in pymde.penalties: the distortion of an edge of weight w at
/// embedding distance d is w·p(d). <see cref="Exponent"/> is used by Log1p and Log, <see cref="Threshold"/> by Huber.
/// </summary>
public readonly record struct MdePenalty(PenaltyKind Kind, double Exponent = 1.0, double Threshold = 0.5)
{
    public static MdePenalty Log1p(double exponent = 1.5) => new(PenaltyKind.Log1p, exponent);
    public static MdePenalty Log(double exponent = 1.0) => new(PenaltyKind.Log, exponent);
    public static MdePenalty Quadratic() => new(PenaltyKind.Quadratic);
    public static MdePenalty Huber(double threshold = 0.5) => new(PenaltyKind.Huber, 1.0, threshold);

    /// <summary>p(d), in double precision (the reference implementation).</summary>
    public double Value(double d) => Kind switch
    {
        PenaltyKind.Log1p => Math.Log(1 + Math.Pow(d, Exponent)),
        // log(1 − e^{−t}) = log(−expm1(−t)); for small t use the series of −expm1(−t) to keep precision.
        PenaltyKind.Log => Math.Log(NegExpm1Neg(Math.Pow(d, Exponent))),
        PenaltyKind.Quadratic => d * d,
        PenaltyKind.Huber => d < Threshold ? 0.5 * d * d : Threshold * (d - 0.5 * Threshold),
        _ => throw new ArgumentOutOfRangeException(nameof(Kind)),
    };

    /// <summary>p′(d), in double precision.</summary>
    public double Derivative(double d)
    {
        switch (Kind)
        {
            case PenaltyKind.Log1p:
            {
                if (d <= 0) return 0;
                double t = Math.Pow(d, Exponent);
                return Exponent * t / (d * (1 + t));
            }
            case PenaltyKind.Log:
            {
                if (d <= 0) return double.PositiveInfinity;
                double t = Math.Pow(d, Exponent);
                // d/dd log(1 − e^{−t}) = γ t / (d (e^t − 1))
                return Exponent * t / (d * Math.Exp(t) * NegExpm1Neg(t));
            }
            case PenaltyKind.Quadratic: return 2 * d;
            case PenaltyKind.Huber: return d < Threshold ? d : Threshold;
            default: throw new ArgumentOutOfRangeException(nameof(Kind));
        }
    }

    /// <summary>1 − e^{−t} accurately for small t.</summary>
    internal static double NegExpm1Neg(double t) => t < 1e-4 ? t * (1 - t * (0.5 - t / 6)) : 1 - Math.Exp(-t);

    public override string ToString() => Kind switch
    {
        PenaltyKind.Log1p or PenaltyKind.Log => $"{Kind}(exponent {Exponent})",
        PenaltyKind.Huber => $"Huber(threshold {Threshold})",
        _ => Kind.ToString(),
    };
}
