using EmbedPS.Core.Common;
using static EmbedPS.Core.Common.Settings;

namespace EmbedPS.Core.Mde;

/// <summary>
/// Invoke-Mde's options, declared once: name, default, range and help. <see cref="EmbeddingConfiguration"/>,
/// <see cref="MdeOptions"/>, the cmdlet's parameters and the pipeline's <c>Mde</c> section take their defaults and ranges from here.
/// </summary>
public static class MdeSettings
{
    public static readonly Setting<int> Dimension = Int("Dimension", 3, "Dimensions of the embedding.", 1, 64) with { Sweepable = true, Label = "dim", Short = "d" };
    public static readonly Setting<PenaltyKind> AttractivePenalty = Enum("AttractivePenalty", PenaltyKind.Log1p, "Penalty on neighbour edges.") with { Sweepable = true, Label = "penalty", Short = "att" };
    public static readonly Setting<double> AttractiveExponent = Double("AttractiveExponent", 1.5, "Exponent of a Log1p/Log attractive penalty.", 1e-6, 100);
    public static readonly Setting<PenaltyKind> RepulsivePenalty = Enum("RepulsivePenalty", PenaltyKind.Log, "Penalty on repulsive pairs.");
    public static readonly Setting<double> RepulsiveExponent = Double("RepulsiveExponent", 1.0, "Exponent of a Log/Log1p repulsive penalty.", 1e-6, 100);
    public static readonly Setting<double> HuberThreshold = Double("HuberThreshold", 1.0, "Threshold of a Huber penalty.", 1e-9, 1e9);
    public static readonly Setting<ConstraintKind> Constraint = Enum("Constraint", ConstraintKind.Centered, "Centered or Standardized.", ConstraintKind.Centered, ConstraintKind.Standardized);
    public static readonly Setting<int> MaxIterations = Int("MaxIterations", 300, "Most L-BFGS iterations.", 0, 1_000_000);
    public static readonly Setting<double> Tolerance = Double("Tolerance", 1e-5, "Stop when the projected gradient norm is at most this.", 0, 1e6);
    public static readonly Setting<int> Seed = Int("Seed", 0, "Seed of the start.");
    public static readonly Setting<MdeDevice> Device = Enum("Device", MdeDevice.Auto, "Cpu, Gpu or Auto (the CPU until the GPU path is verified; see docs/gpu.md).");

    /// <summary>The options of a pipeline's <c>Mde</c> section and of the cmdlet, in documentation order.</summary>
    public static IReadOnlyList<SettingSpec> All { get; } = new SettingSpec[]
    {
        Dimension, AttractivePenalty, AttractiveExponent, RepulsivePenalty, RepulsiveExponent, HuberThreshold, Constraint,
        MaxIterations, Tolerance, Seed, Device,
    };

    /// <summary>The embedding problem and the optimiser settings that <paramref name="values"/> (by option name) describe.</summary>
    public static (EmbeddingConfiguration Configuration, MdeOptions Options) Resolve(IReadOnlyDictionary<string, object?> values)
    {
        int seed = Seed.From(values);
        var configuration = new EmbeddingConfiguration
        {
            Dimension = Dimension.From(values),
            AttractivePenalty = AttractivePenalty.From(values),
            AttractiveExponent = AttractiveExponent.From(values),
            RepulsivePenalty = RepulsivePenalty.From(values),
            RepulsiveExponent = RepulsiveExponent.From(values),
            HuberThreshold = HuberThreshold.From(values),
            Constraint = Constraint.From(values),
            Seed = seed,
        };
        var options = new MdeOptions
        {
            MaxIterations = MaxIterations.From(values),
            Tolerance = Tolerance.From(values),
            Seed = seed,
            Device = Device.From(values),
        };
        return (configuration, options);
    }
}
