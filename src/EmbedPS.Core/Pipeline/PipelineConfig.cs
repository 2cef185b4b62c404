using System.Collections;
using System.Globalization;
using EmbedPS.Core.Common;
using EmbedPS.Core.Projection;

namespace EmbedPS.Core.Pipeline;

/// <summary>One validated section of a pipeline data file: canonical key names → normalised values (int, double, bool, string, string[]).</summary>
public sealed class PipelineSection : SortedDictionary<string, object?>
{
    public PipelineSection() : base(StringComparer.Ordinal) { }

    public T Get<T>(string name, T fallback) => TryGetValue(name, out var v) && v is T t ? t : fallback;
    public string? Text(string name) => TryGetValue(name, out var v) ? v as string : null;
    public string[] List(string name) => TryGetValue(name, out var v) && v is string[] s ? s : Array.Empty<string>();
    public int? IntOrNull(string name) => TryGetValue(name, out var v) && v is int i ? i : null;
    public double? DoubleOrNull(string name) => TryGetValue(name, out var v) && v is double d ? d : null;
    public TEnum Enum<TEnum>(string name, TEnum fallback) where TEnum : struct, Enum =>
        TryGetValue(name, out var v) && v is string s ? System.Enum.Parse<TEnum>(s, ignoreCase: true) : fallback;
}

/// <summary>
/// A validated pipeline data file. Every problem (an unknown key, a wrong type, a value out of range, a missing input file) is
/// found before any work starts and reported together, each naming its key (<c>Mde.MaxIterations</c>) or file.
/// </summary>
public sealed class PipelineConfig
{
    public required string SourcePath { get; init; }
    public required string BaseDirectory { get; init; }
    public required string Name { get; init; }
    public required string OutputPath { get; init; }
    public PipelineSection? Input { get; init; }
    public PipelineSection? EdgeList { get; init; }
    public PipelineSection? Filter { get; init; }
    public PipelineSection Cooccurrence { get; init; } = new();
    public PipelineSection Neighbors { get; init; } = new();
    public PipelineSection Mde { get; init; } = new();
    public IReadOnlyList<PipelineSection> Projections { get; init; } = Array.Empty<PipelineSection>();
    /// <summary>Per projection (after sweeps are expanded), the settings its entry swept (given several values).</summary>
    public IReadOnlyList<string[]> ProjectionSwept { get; init; } = Array.Empty<string[]>();
    public PipelineSection? Metadata { get; init; }
    public PipelineSection Preview { get; init; } = new();
    public PipelineSection Atlas { get; init; } = new();
    public PipelineSection Quality { get; init; } = new();
    /// <summary>The Gates section (empty: the default drop gates only).</summary>
    public PipelineSection Gates { get; init; } = new();
    public bool AlignToLatest { get; init; }
    public int KeepRuns { get; init; } = 7;

    /// <summary>Every input file or folder the pipeline reads (collections or edge list, then metadata), resolved.</summary>
    public IReadOnlyList<string> InputPaths => Input is not null ? Input.List("Path") : new[] { EdgeList!.Text("Path")! };
    public string? MetadataPath => Metadata?.Text("Path");

    /// <summary>Validates <paramref name="values"/> (the hashtable of a .psd1, nested hashtables and arrays) against <see cref="PipelineSchema"/>.</summary>
    public static PipelineConfig FromDictionary(IDictionary values, string sourcePath, string baseDirectory)
    {
        var problems = new List<string>();
        var root = Validate(values, PipelineSchema.Root, "", baseDirectory, problems);
        bool hasInput = root.ContainsKey("Input"), hasEdges = root.ContainsKey("EdgeList");
        if (hasInput == hasEdges)
            problems.Add(hasInput ? "Input, EdgeList: give one of them, not both." : "Input: missing; give Input = @{ Path = '…' } (collections) or EdgeList = @{ Path = '…' } (a precomputed edge list).");
        if (hasEdges)
        {
            foreach (var key in new[] { "Filter", "Cooccurrence" })
                if (root.ContainsKey(key)) problems.Add($"{key}: applies to Input (collections), not to EdgeList (the co-occurrence is precomputed).");
        }
        var entries = root.TryGetValue("Projections", out var p) && p is PipelineSection[] list ? list : new[] { new PipelineSection { ["Method"] = "Umap" } };
        if (entries.Length == 0) problems.Add("Projections: give at least one projection, e.g. @( @{ Method = 'Umap' } ).");
        var (projections, swept) = ExpandSweeps(entries, problems);
        CheckMetadataColumns(root, problems);
        if (problems.Count > 0)
        {
            throw new EmbedPSException("PipelineConfigInvalid", EmbedPSErrorKind.InvalidArgument,
                $"The pipeline data file '{sourcePath}' is not valid ({problems.Count} problem{(problems.Count == 1 ? "" : "s")}; nothing was run):{Environment.NewLine}  " +
                string.Join(Environment.NewLine + "  ", problems)) { File = sourcePath };
        }
        PipelineSection? Sec(string name) => root.TryGetValue(name, out var v) ? v as PipelineSection : null;
        return new PipelineConfig
        {
            SourcePath = sourcePath,
            BaseDirectory = baseDirectory,
            Name = root.Text("Name") ?? Path.GetFileNameWithoutExtension(sourcePath),
            OutputPath = root.Text("OutputPath")!,
            Input = Sec("Input"),
            EdgeList = Sec("EdgeList"),
            Filter = Sec("Filter"),
            Cooccurrence = Sec("Cooccurrence") ?? new(),
            Neighbors = Sec("Neighbors") ?? new(),
            Mde = Sec("Mde") ?? new(),
            Projections = projections,
            ProjectionSwept = swept,
            Metadata = Sec("Metadata"),
            Preview = Sec("Preview") ?? new(),
            Atlas = Sec("Atlas") ?? new(),
            Quality = Sec("Quality") ?? new(),
            Gates = Sec("Gates") ?? new(),
            AlignToLatest = string.Equals(root.Text("AlignTo"), "latest", StringComparison.OrdinalIgnoreCase),
            KeepRuns = root.IntOrNull("KeepRuns") ?? 7,
        };
    }

    /// <summary>
    /// A Projections entry may give several values for its method's sweepable settings (UMAP: Neighbors, MinDistance; t-SNE:
    /// Perplexity): it becomes one projection per combination, as ConvertTo-Projection's sweep does — the same seeds (the
    /// entry's Seed with one combination, else derived from it and the combination), each named by its settings (after the
    /// entry's Name when it has one). Arrays of another method's settings are a problem.
    /// </summary>
    private static (PipelineSection[] Projections, string[][] Swept) ExpandSweeps(PipelineSection[] entries, List<string> problems)
    {
        var projections = new List<PipelineSection>();
        var swept = new List<string[]>();
        for (int i = 0; i < entries.Length; i++)
        {
            var entry = entries[i];
            var method = entry.TryGetValue("Method", out var m) && m is string text && Enum.TryParse<ProjectionMethod>(text, true, out var parsed) ? parsed : ProjectionSettings.Method.Default;
            var own = ProjectionSettings.All.Where(s => !s.Sweepable || method switch
            {
                ProjectionMethod.Umap => s == ProjectionSettings.Neighbors || s == ProjectionSettings.MinDistance,
                ProjectionMethod.Tsne => s == ProjectionSettings.Perplexity,
                _ => false,
            }).ToList();
            foreach (var spec in ProjectionSettings.All.Where(s => s.Sweepable && !own.Contains(s)))
                if (entry.TryGetValue(spec.Name, out var v) && v is object[])
                    problems.Add($"Projections[{i}].{spec.Name}: several values sweep a setting of the projection's own method only; {spec.Name} does not apply to Method '{method}'.");
            var values = new Dictionary<string, object?>(entry, StringComparer.OrdinalIgnoreCase);
            var names = SettingSweep.Swept(own, values).ToArray();
            int seed = ProjectionSettings.Seed.From(values);
            foreach (var combination in SettingSweep.Expand(own, values, ProjectionSettings.Seed.Name, seed))
            {
                var section = new PipelineSection();
                foreach (var (key, value) in combination.Values) if (value is not object[]) section[key] = value;
                if (!entry.ContainsKey(ProjectionSettings.Seed.Name) && !combination.IsSweep) section.Remove(ProjectionSettings.Seed.Name);
                if (combination.IsSweep && entry.Text("Name") is { } name)
                    section["Name"] = SettingSweep.Caption(name, names.Select(n => (ProjectionSettings.All.First(s => s.Name == n).Label ?? n, combination.Values[n])));
                projections.Add(section);
                swept.Add(names);
            }
        }
        return (projections.ToArray(), swept.ToArray());
    }

    /// <summary>
    /// The settings that name metadata columns must name columns the metadata file has: its header is read here, with the
    /// rest of the validation, so that a misspelt column fails before any stage runs (not at the preview, after the expensive
    /// stages). Besides metadata columns, the atlas knows 'popularity' and the preview 'popularity', 'entity' (or 'id'), 'x' and 'y'.
    /// </summary>
    private static void CheckMetadataColumns(PipelineSection root, List<string> problems)
    {
        var metadata = root.TryGetValue("Metadata", out var m) ? m as PipelineSection : null;
        var path = metadata?.Text("Path");
        List<string>? columns = null;
        string? idColumn = null;
        if (path is not null && !problems.Any(p => p.StartsWith("Metadata.Path:", StringComparison.Ordinal)))
        {
            try
            {
                var header = EmbedPS.Core.Preview.MetadataTable.ReadHeader(path);
                var id = metadata!.Text("IdProperty") ?? "entity";
                idColumn = header.FirstOrDefault(h => string.Equals(h, id, StringComparison.OrdinalIgnoreCase));
                if (idColumn is null)
                    problems.Add($"Metadata.IdProperty: '{id}' is not a column of '{path}'{(metadata.ContainsKey("IdProperty") ? "" : " (the default id column)")}; its columns are: {string.Join(", ", header)}. Set Metadata.IdProperty to the id column.");
                columns = header.Where(h => !string.Equals(h, idColumn, StringComparison.OrdinalIgnoreCase)).ToList();
            }
            catch (EmbedPSException ex)
            {
                problems.Add($"Metadata.Path: {ex.Message}");
                return;
            }
        }
        void Check(string sectionName, string key, string[] builtIn)
        {
            if (!root.TryGetValue(sectionName, out var s) || s is not PipelineSection section || !section.TryGetValue(key, out var value)) return;
            var names = value is string one ? new[] { one } : value as string[] ?? Array.Empty<string>();
            foreach (var name in names)
            {
                if (builtIn.Contains(name, StringComparer.OrdinalIgnoreCase)) continue;
                if (path is null)
                    problems.Add($"{sectionName}.{key}: '{name}' names a metadata column, but there is no Metadata section{(builtIn.Length > 0 ? $" (without metadata: {string.Join(", ", builtIn)})" : "")}.");
                else if (columns is not null && !columns.Contains(name, StringComparer.OrdinalIgnoreCase))
                {
                    var close = columns.Where(c => c.StartsWith(name[..Math.Min(2, name.Length)], StringComparison.OrdinalIgnoreCase)).ToList();
                    problems.Add($"{sectionName}.{key}: '{name}' is not a column of the metadata '{path}'{(close.Count > 0 ? $" (did you mean '{string.Join("' or '", close)}'?)" : "")}; " +
                                 $"it has: {string.Join(", ", columns.Concat(builtIn.Where(b => !columns.Contains(b, StringComparer.OrdinalIgnoreCase))))}.");
                }
            }
        }
        string[] atlas = ["popularity"], preview = ["popularity", "entity", "id", "x", "y"];
        foreach (var key in new[] { "ColorProperty", "LabelProperty", "SizeProperty", "SearchProperty", "TooltipProperty", "CategoryProperty" }) Check("Atlas", key, atlas);
        Check("Preview", "ColorProperty", preview);
        Check("Quality", "LabelProperty", []);
    }

    private static PipelineSection Validate(IDictionary values, IReadOnlyList<SettingSpec> specs, string prefix, string baseDirectory, List<string> problems)
    {
        var section = new PipelineSection();
        foreach (DictionaryEntry entry in values)
        {
            var key = System.Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? "";
            var spec = specs.FirstOrDefault(s => string.Equals(s.Name, key, StringComparison.OrdinalIgnoreCase));
            var where = prefix + key;
            if (spec is null)
            {
                var close = specs.Where(s => s.Name.StartsWith(key[..Math.Min(3, key.Length)], StringComparison.OrdinalIgnoreCase)).Select(s => s.Name).ToList();
                problems.Add($"{where}: unknown key{(close.Count > 0 ? $" (did you mean {string.Join(" or ", close.Select(c => prefix + c))}?)" : "")}. " +
                             $"{(prefix.Length == 0 ? "Top-level keys" : prefix.TrimEnd('.') + " takes")}: {string.Join(", ", specs.Select(s => s.Name))}.");
                continue;
            }
            where = prefix + spec.Name;
            // A sweep: several values of a sweepable setting of a Projections entry, each checked as one value would be.
            if (spec.Sweepable && prefix.StartsWith("Projections[", StringComparison.Ordinal) && entry.Value is IList sweep && sweep.Count > 0)
            {
                var checkedValues = new List<object?>();
                bool all = true;
                for (int v = 0; v < sweep.Count; v++)
                {
                    var one = ConvertValue(sweep[v], spec, $"{where}[{v}]", baseDirectory, problems, out bool good);
                    all &= good;
                    checkedValues.Add(one);
                }
                if (all) section[spec.Name] = checkedValues.Count == 1 ? checkedValues[0] : checkedValues.ToArray();
                continue;
            }
            var value = ConvertValue(entry.Value, spec, where, baseDirectory, problems, out bool ok);
            if (ok) section[spec.Name] = value;
        }
        foreach (var spec in specs.Where(s => s.Required && !section.ContainsKey(s.Name)))
        {
            if (!problems.Any(p => p.StartsWith(prefix + spec.Name + ":", StringComparison.Ordinal)))
                problems.Add($"{prefix}{spec.Name}: missing; it is required ({spec.Help})");
        }
        return section;
    }

    private static object? ConvertValue(object? value, SettingSpec spec, string where, string baseDirectory, List<string> problems, out bool ok)
    {
        ok = false;
        string Describe(object? v) => v is null ? "$null" : v is string s ? $"'{s}' (String)" : $"{System.Convert.ToString(v, CultureInfo.InvariantCulture)} ({v.GetType().Name})";
        void Wrong() => problems.Add($"{where}: must be {spec.TypeName}, not {Describe(value)}.");
        switch (spec.Type)
        {
            case SettingType.Section:
                if (value is not IDictionary d) { Wrong(); return null; }
                ok = true;
                return Validate(d, spec.Children!, where + ".", baseDirectory, problems);
            case SettingType.SectionList:
            {
                var items = value is IDictionary single ? new object?[] { single } : value is IList l ? l.Cast<object?>().ToArray() : null;
                if (items is null || items.Any(i => i is not IDictionary)) { Wrong(); return null; }
                ok = true;
                return items.Select((item, i) => Validate((IDictionary)item!, spec.Children!, $"{where}[{i}].", baseDirectory, problems)).ToArray();
            }
            case SettingType.Int:
                if (value is int or long or short or byte && System.Convert.ToInt64(value, CultureInfo.InvariantCulture) is var n && n >= spec.Min && n <= spec.Max)
                { ok = true; return (int)n; }
                if (value is int or long or short or byte) { problems.Add($"{where}: {value} is out of range [{spec.Min:G}, {spec.Max:G}]."); return null; }
                Wrong(); return null;
            case SettingType.Double:
                if (value is int or long or double or float or decimal)
                {
                    double x = System.Convert.ToDouble(value, CultureInfo.InvariantCulture);
                    if (double.IsFinite(x) && x >= spec.Min && x <= spec.Max) { ok = true; return x; }
                    problems.Add($"{where}: {x.ToString(CultureInfo.InvariantCulture)} is out of range [{spec.Min:G}, {spec.Max:G}]."); return null;
                }
                Wrong(); return null;
            case SettingType.Bool:
                if (value is bool b) { ok = true; return b; }
                Wrong(); return null;
            case SettingType.Enum:
            {
                var name = value as string;
                var match = name is null ? null : spec.AllowedNames.FirstOrDefault(a => string.Equals(a, name, StringComparison.OrdinalIgnoreCase));
                if (match is null) { Wrong(); return null; }
                ok = true; return match;
            }
            case SettingType.String:
                if (value is string s && s.Length > 0) { ok = true; return s; }
                Wrong(); return null;
            case SettingType.OutputPath:
                if (value is string o && o.Length > 0) { ok = true; return Path.GetFullPath(Path.Combine(baseDirectory, o)); }
                Wrong(); return null;
            case SettingType.StringList:
            case SettingType.InputPathList:
            case SettingType.InputPath:
            {
                string[]? texts = value switch
                {
                    string one when one.Length > 0 => new[] { one },
                    IList many when spec.Type != SettingType.InputPath && many.Count > 0 && many.Cast<object?>().All(i => i is string t && t.Length > 0) => many.Cast<string>().ToArray(),
                    _ => null,
                };
                if (texts is null) { Wrong(); return null; }
                if (spec.Type == SettingType.StringList) { ok = true; return texts; }
                var resolved = new List<string>();
                foreach (var text in texts)
                {
                    var full = Path.GetFullPath(Path.Combine(baseDirectory, text));
                    if (!File.Exists(full) && !Directory.Exists(full))
                        problems.Add($"{where}: cannot find the input '{text}' (looked for '{full}').");
                    resolved.Add(full);
                }
                ok = true;
                return spec.Type == SettingType.InputPath ? resolved[0] : resolved.ToArray();
            }
            default:
                Wrong(); return null;
        }
    }
}
