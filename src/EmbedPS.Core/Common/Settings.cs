using System.Globalization;

namespace EmbedPS.Core.Common;

/// <summary>The type a setting must have.</summary>
public enum SettingType { String, StringList, Int, Double, Bool, Enum, InputPath, InputPathList, OutputPath, Section, SectionList }

/// <summary>
/// One documented option of a stage (or a key of a pipeline data file): name, type, default, range, allowed names, and what
/// it does. A stage's options are declared once, as <see cref="Setting{T}"/> fields of its settings class; the cmdlet's
/// parameter defaults and validation, the pipeline schema and its validation, and the pipeline's cache key all read them.
/// </summary>
public record SettingSpec(string Name, SettingType Type, string Help)
{
    public Type? EnumType { get; init; }
    public string[]? Allowed { get; init; }
    public double Min { get; init; } = double.MinValue;
    public double Max { get; init; } = double.MaxValue;
    public bool Required { get; init; }
    public IReadOnlyList<SettingSpec>? Children { get; init; }
    /// <summary>
    /// A parameter sweep may give several values (<c>-MinDistance 0.05,0.1,0.5</c>; an array in a pipeline's <c>Projections</c>
    /// entry): the stage runs once per combination of the swept settings (<see cref="SettingSweep"/>).
    /// </summary>
    public bool Sweepable { get; init; }
    /// <summary>The setting's name in captions and layout names ("min_dist"); default: the name.</summary>
    public string? Label { get; init; }
    /// <summary>The setting's tag in a sweep's file names ("md" in <c>map.k15.md0.05.parquet</c>); default: the name.</summary>
    public string? Short { get; init; }
    /// <summary>The value used when the option is not given (null: none, or one the stage works out from its input).</summary>
    public virtual object? DefaultValue => null;

    public string TypeName => Type switch
    {
        SettingType.Enum => "one of " + string.Join(", ", AllowedNames),
        SettingType.StringList or SettingType.InputPathList => "a string or an array of strings",
        SettingType.Int => "an integer",
        SettingType.Double => "a number",
        SettingType.Bool => "$true or $false",
        SettingType.Section => "a hashtable @{ … }",
        SettingType.SectionList => "an array of hashtables @( @{ … } )",
        _ => "a string",
    };

    public IEnumerable<string> AllowedNames => Allowed ?? (EnumType is null ? Array.Empty<string>() : Enum.GetNames(EnumType));

    /// <summary>The help text with the default, as the docs and error messages show it.</summary>
    public string Describe() => DefaultValue is null ? Help : $"{Help.TrimEnd('.')} (default {Format(DefaultValue)}).";

    public static string Format(object? value) => value switch
    {
        null => "none",
        bool b => b ? "$true" : "$false",
        double d => d.ToString("G", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>Null when <paramref name="value"/> is in range and allowed; otherwise why not.</summary>
    public string? Check(object? value) => value switch
    {
        null => null,
        int or long or double or float when Type is SettingType.Int or SettingType.Double =>
            Convert.ToDouble(value, CultureInfo.InvariantCulture) is var x && double.IsFinite(x) && x >= Min && x <= Max
                ? null : $"{Format(value)} is out of range [{Min:G}, {Max:G}]",
        string s when Type == SettingType.Enum && !AllowedNames.Contains(s, StringComparer.OrdinalIgnoreCase) => $"'{s}' is not {TypeName}",
        Enum e when Type == SettingType.Enum && !AllowedNames.Contains(e.ToString(), StringComparer.OrdinalIgnoreCase) => $"'{e}' is not {TypeName}",
        // A sweep: every value must pass (a single value behaves exactly as before).
        System.Collections.IList list when Sweepable && value is not string => list.Count == 0 ? "give at least one value"
            : list.Cast<object?>().Select(Check).FirstOrDefault(p => p is not null),
        _ => null,
    };
}

/// <summary>A typed option with its default; <see cref="From"/> reads it from given values (a missing one is the default).</summary>
public sealed record Setting<T>(string Name, SettingType Type, T Default, string Help) : SettingSpec(Name, Type, Help)
{
    public override object? DefaultValue => Default;

    /// <summary>
    /// The value given for this option in <paramref name="values"/> (names ignore case), converted to <typeparamref name="T"/>:
    /// an enum from its name, a number from any numeric type; the default when absent or null.
    /// </summary>
    public T From(IReadOnlyDictionary<string, object?> values)
    {
        object? raw = null;
        foreach (var (key, value) in values)
            if (string.Equals(key, Name, StringComparison.OrdinalIgnoreCase)) { raw = value; break; }
        if (raw is null) return Default;
        var target = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
        if (raw is T typed) return typed;
        if (target.IsEnum) return (T)(raw is string name ? Enum.Parse(target, name, ignoreCase: true) : Enum.ToObject(target, raw));
        if (target == typeof(bool) && raw.GetType().Name == "SwitchParameter") return (T)(object)raw.ToString()!.Equals("True", StringComparison.Ordinal);
        return (T)Convert.ChangeType(raw, target, CultureInfo.InvariantCulture);
    }
}

/// <summary>Builders for settings classes.</summary>
public static class Settings
{
    public static Setting<int> Int(string name, int @default, string help, double min = int.MinValue, double max = int.MaxValue) => new(name, SettingType.Int, @default, help) { Min = min, Max = max };
    public static Setting<int?> OptionalInt(string name, string help, double min = int.MinValue, double max = int.MaxValue) => new(name, SettingType.Int, null, help) { Min = min, Max = max };
    public static Setting<double> Double(string name, double @default, string help, double min = double.MinValue, double max = double.MaxValue) => new(name, SettingType.Double, @default, help) { Min = min, Max = max };
    public static Setting<double?> OptionalDouble(string name, string help, double min = double.MinValue, double max = double.MaxValue) => new(name, SettingType.Double, null, help) { Min = min, Max = max };
    public static Setting<bool> Bool(string name, bool @default, string help) => new(name, SettingType.Bool, @default, help);
    public static Setting<T> Enum<T>(string name, T @default, string help, params T[] allowed) where T : struct, System.Enum =>
        new(name, SettingType.Enum, @default, help) { EnumType = typeof(T), Allowed = allowed.Length == 0 ? null : allowed.Select(a => a.ToString()).ToArray() };

    /// <summary>
    /// Every option resolved (given or default), by name, in a stable order: what a cache key hashes, so that two configs
    /// that mean the same thing share a key and a changed default changes it.
    /// </summary>
    public static SortedDictionary<string, object?> Resolve(IEnumerable<SettingSpec> specs, IReadOnlyDictionary<string, object?> values)
    {
        var resolved = new SortedDictionary<string, object?>(StringComparer.Ordinal);
        foreach (var spec in specs)
        {
            object? given = null;
            foreach (var (key, value) in values)
                if (string.Equals(key, spec.Name, StringComparison.OrdinalIgnoreCase)) { given = value; break; }
            var value2 = given ?? spec.DefaultValue;
            resolved[spec.Name] = value2 is Enum e ? e.ToString() : value2 is string s && spec.Type == SettingType.Enum
                ? spec.AllowedNames.First(a => string.Equals(a, s, StringComparison.OrdinalIgnoreCase)) : value2;
        }
        return resolved;
    }
}
