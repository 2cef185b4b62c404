using System.Collections;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace EmbedPS.Core.Common;

/// <summary>One combination of a parameter sweep: the values of every setting, and the seed it runs with.</summary>
public sealed record SweepCombination(Dictionary<string, object?> Values, int Seed, int Index, int Count)
{
    /// <summary>True when the sweep has more than one combination.</summary>
    public bool IsSweep => Count > 1;
}

/// <summary>
/// Parameter sweeps: a sweepable setting (<see cref="SettingSpec.Sweepable"/>) may be given several values; a stage then runs
/// once per combination of the given values (their Cartesian product, the first swept setting varying slowest), each with
/// its own seed, and names its files and captions by the combination's settings.
/// <para>Seeds: with one combination the user's seed as it is (a single value behaves exactly as without sweeps); with
/// several, a SHA-256 derivation of the seed and the values of every sweepable setting of the stage (given or default), so a
/// combination's result does not depend on which other values the sweep holds or in which order they were given.</para>
/// </summary>
public static class SettingSweep
{
    /// <summary>The values given for one setting: the elements of an array (duplicates dropped, order kept), or the one value.</summary>
    public static IReadOnlyList<object?> ValuesOf(object? given)
    {
        if (given is IList list)
        {
            var values = new List<object?>();
            foreach (var item in list)
            {
                var plain = item;
                if (!values.Any(v => string.Equals(Format(v), Format(plain), StringComparison.OrdinalIgnoreCase))) values.Add(plain);
            }
            return values;
        }
        return new[] { given };
    }

    /// <summary>
    /// Every combination of the values given for <paramref name="specs"/>' sweepable settings; other settings pass through as
    /// given. <paramref name="seedSetting"/> names the seed setting whose value each combination's seed derives from.
    /// </summary>
    public static IReadOnlyList<SweepCombination> Expand(IReadOnlyList<SettingSpec> specs, IReadOnlyDictionary<string, object?> given, string seedSetting, int seed)
    {
        var axes = new List<(SettingSpec Spec, string Key, IReadOnlyList<object?> Values)>();
        foreach (var spec in specs.Where(s => s.Sweepable))
        {
            var key = given.Keys.FirstOrDefault(k => string.Equals(k, spec.Name, StringComparison.OrdinalIgnoreCase));
            if (key is not null && given[key] is IList) axes.Add((spec, key, ValuesOf(given[key])));
        }
        int count = axes.Aggregate(1, (product, axis) => product * Math.Max(1, axis.Values.Count));
        var result = new List<SweepCombination>(count);
        for (int c = 0; c < count; c++)
        {
            var values = new Dictionary<string, object?>(given, StringComparer.OrdinalIgnoreCase);
            int rest = c;
            for (int a = axes.Count - 1; a >= 0; a--)
            {
                var axis = axes[a];
                values[axis.Key] = axis.Values[rest % axis.Values.Count];
                rest /= axis.Values.Count;
            }
            int combinationSeed = count == 1 ? seed : DerivedSeed(seed, specs.Where(s => s.Sweepable).Select(s => new KeyValuePair<string, object?>(s.Name, Lookup(values, s))));
            values[seedSetting] = combinationSeed;
            result.Add(new SweepCombination(values, combinationSeed, c, count));
        }
        return result;
    }

    /// <summary>The names of the settings in <paramref name="given"/> that hold more than one value.</summary>
    public static IReadOnlyList<string> Swept(IReadOnlyList<SettingSpec> specs, IReadOnlyDictionary<string, object?> given) =>
        specs.Where(s => s.Sweepable)
            .Where(s => given.FirstOrDefault(kv => string.Equals(kv.Key, s.Name, StringComparison.OrdinalIgnoreCase)).Value is IList l && ValuesOf(l).Count > 1)
            .Select(s => s.Name).ToList();

    private static object? Lookup(IReadOnlyDictionary<string, object?> values, SettingSpec spec)
    {
        foreach (var (key, value) in values)
            if (string.Equals(key, spec.Name, StringComparison.OrdinalIgnoreCase) && value is not null) return value;
        return spec.DefaultValue;
    }

    /// <summary>
    /// A seed derived from <paramref name="seed"/> and the named values: the first four bytes of SHA-256 over
    /// "seed|name=value|…" (names sorted, values in invariant form), as a non-negative int. The same on every platform.
    /// </summary>
    public static int DerivedSeed(int seed, IEnumerable<KeyValuePair<string, object?>> values)
    {
        var text = new StringBuilder(seed.ToString(CultureInfo.InvariantCulture));
        foreach (var (name, value) in values.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            text.Append('|').Append(name).Append('=').Append(Format(value));
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
        return BitConverter.ToInt32(hash, 0) & int.MaxValue;
    }

    /// <summary>A setting's value as captions and file names show it: invariant numbers (0.05, 15), enum names.</summary>
    public static string Format(object? value) => value switch
    {
        null => "",
        double d => d.ToString("0.######", CultureInfo.InvariantCulture),
        float f => f.ToString("0.######", CultureInfo.InvariantCulture),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>
    /// <paramref name="path"/> with the tags before its extension: <c>map.parquet</c> with (k, 15), (md, 0.05) →
    /// <c>map.k15.md0.05.parquet</c>. Characters a file name cannot hold become '_'.
    /// </summary>
    public static string FileName(string path, IEnumerable<(string Tag, object? Value)> tags)
    {
        var suffix = string.Concat(tags.Select(t => "." + t.Tag + Format(t.Value)));
        if (suffix.Length == 0) return path;
        var invalid = Path.GetInvalidFileNameChars();
        suffix = new string(suffix.Select(ch => invalid.Contains(ch) || ch == ' ' ? '_' : ch).ToArray());
        var directory = Path.GetDirectoryName(path);
        var name = Path.GetFileNameWithoutExtension(path) + suffix + Path.GetExtension(path);
        return string.IsNullOrEmpty(directory) ? name : Path.Combine(directory, name);
    }

    /// <summary>"UMAP · k 15 · min_dist 0.05": a head and each (label, value), joined by middle dots.</summary>
    public static string Caption(string? head, IEnumerable<(string Label, object? Value)> parts) =>
        string.Join(" · ", new[] { head }.Concat(parts.Select(p => $"{p.Label} {Format(p.Value)}")).Where(s => !string.IsNullOrEmpty(s)));
}
