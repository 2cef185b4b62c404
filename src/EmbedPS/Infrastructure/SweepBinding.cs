using System.Management.Automation;
using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Common;
using EmbedPS.Core.Projection;

namespace EmbedPS.Commands.Infrastructure;

/// <summary>
/// A stage cmdlet's parameter sweep: the combinations of the values bound to its sweepable settings (<c>-MinDistance 0.05,0.5</c>),
/// each combination's seed, and the -OutFile name of each result (<c>map.md0.05.parquet</c>), never the same file twice in one run.
/// </summary>
public sealed class SweepBinding
{
    private readonly HashSet<string> _written = new(StringComparer.Ordinal);

    /// <summary>The options bound on the command line, with arrays for the swept ones.</summary>
    public Dictionary<string, object?> Given { get; private set; } = new();
    /// <summary>The settings given more than one value.</summary>
    public IReadOnlyList<string> Swept { get; private set; } = Array.Empty<string>();
    public IReadOnlyList<SweepCombination> Combinations { get; private set; } = Array.Empty<SweepCombination>();

    /// <summary>Reads the bound values of <paramref name="specs"/> and expands them; <paramref name="seed"/> is the cmdlet's -Seed.</summary>
    public SweepBinding Bind(PSCmdlet cmdlet, IReadOnlyList<SettingSpec> specs, SettingSpec seedSetting, int seed)
    {
        Given = SettingBinding.Given(cmdlet, specs);
        Swept = SettingSweep.Swept(specs, Given);
        Combinations = SettingSweep.Expand(specs, Given, seedSetting.Name, seed);
        return this;
    }

    /// <summary>Whether this input is part of a sweep (its stage swept a setting, or one upstream did).</summary>
    public bool IsSweep(Provenance upstream) => Swept.Count > 0 || upstream.Swept.Count > 0;

    /// <summary>
    /// The file a combination's result goes to: -OutFile tagged with the swept settings (upstream first), or -OutFile itself
    /// when nothing was swept. A name this run already wrote gets a counter (".2"), so no result overwrites another.
    /// </summary>
    public string OutFileFor(string outFile, Provenance result)
    {
        bool sweep = result.Swept.Count > 0;
        var name = SweepLabels.FileName(outFile, result);
        if (!sweep) return name;
        var candidate = name;
        for (int n = 2; !_written.Add(candidate); n++)
            candidate = Path.ChangeExtension(name, null) + "." + n.ToString(System.Globalization.CultureInfo.InvariantCulture) + Path.GetExtension(name);
        return candidate;
    }

    /// <summary>"combination 2 of 6 (k 15 · min_dist 0.05)", for progress and verbose lines.</summary>
    public static string Describe(SweepCombination combination, IEnumerable<string> swept) =>
        $"combination {combination.Index + 1} of {combination.Count} (" +
        SettingSweep.Caption(null, swept.Select(name => (SweepLabels.Spec(name)?.Label ?? name, combination.Values.GetValueOrDefault(name)))) + $", seed {combination.Seed})";
}
