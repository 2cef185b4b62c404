using System.Text.RegularExpressions;

namespace EmbedPS.Tests.Architecture;

/// <summary>
/// Forbidden-code tests in the spirit of ScottPlot's: the folders of src/EmbedPS.Core form layers (docs/architecture.md draws
/// them), each folder using only folders below it, and the core never references PowerShell.
/// </summary>
[Trait("Category", "Unit")]
public sealed partial class LayeringTests
{
    private static readonly string Root = FindRoot();
    private static readonly string CoreDir = Path.Combine(Root, "src", "EmbedPS.Core");

    [Fact]
    public void Every_core_file_declares_the_namespace_of_its_folder()
    {
        var wrong = CoreFiles()
            .Select(f => (f.Path, f.Folder, Declared: NamespacePattern().Matches(f.Code).Select(m => m.Groups[1].Value).ToList()))
            .Where(f => f.Declared.Count != 1 || f.Declared[0] != "EmbedPS.Core." + f.Folder)
            .Select(f => $"{f.Path}: namespace {string.Join(", ", f.Declared)} (expected EmbedPS.Core.{f.Folder})")
            .ToList();
        Assert.True(wrong.Count == 0, "A file's namespace must match its folder (the layer test reads folders from namespaces):\n" + string.Join("\n", wrong));
    }

    [Fact]
    public void Every_core_file_is_named_after_a_type_it_declares()
    {
        // Umap.cs holds Umap; a partial class may add a concern after a dot (ParquetArtifact.Read.cs).
        var wrong = CoreFiles()
            .Where(f => !TypePattern().Matches(f.Code).Any(m => m.Groups[1].Value == Path.GetFileNameWithoutExtension(f.Path).Split('.')[0]))
            .Select(f => $"{f.Path}: declares {string.Join(", ", TypePattern().Matches(f.Code).Select(m => m.Groups[1].Value).Distinct())}")
            .ToList();
        Assert.True(wrong.Count == 0, "Name each file after a type it declares (or split it):\n" + string.Join("\n", wrong));
    }

    [Fact]
    public void The_core_folders_form_no_cycle()
    {
        var graph = FolderGraph();
        var cycle = FindCycle(graph.Keys.ToList(), folder => graph[folder].Keys);
        Assert.True(cycle is null, cycle is null ? "" :
            "The folders of src/EmbedPS.Core form a cycle: " + string.Join(" -> ", cycle) + "\n" +
            string.Join("\n", cycle.Zip(cycle.Skip(1)).Select(e => $"  {e.First} -> {e.Second}: {string.Join(", ", graph[e.First][e.Second])}")));
    }

    [Fact]
    public void Each_core_folder_uses_only_folders_below_it_in_the_documented_layers()
    {
        var layers = DocumentedLayers();
        var graph = FolderGraph();
        var missing = graph.Keys.Where(f => !layers.ContainsKey(f)).ToList();
        var stale = layers.Keys.Where(f => !graph.ContainsKey(f)).ToList();
        Assert.True(missing.Count == 0 && stale.Count == 0,
            $"docs/architecture.md lists the layers: add {string.Join(", ", missing)}; remove {string.Join(", ", stale)}.");
        var upward = (from user in graph
                      from used in user.Value
                      where layers[used.Key] >= layers[user.Key]
                      select $"{user.Key} (layer {layers[user.Key]}) uses {used.Key} (layer {layers[used.Key]}): {string.Join(", ", used.Value)}").ToList();
        Assert.True(upward.Count == 0, "A folder may use only folders on lower layers (docs/architecture.md):\n" + string.Join("\n", upward));
    }

    [Fact]
    public void The_core_never_references_powershell()
    {
        var hits = CoreFiles().Where(f => PowerShellPattern().IsMatch(f.Code)).Select(f => f.Path).ToList();
        foreach (var project in Directory.GetFiles(CoreDir, "*.csproj"))
        {
            if (File.ReadAllText(project).Contains("PowerShell", StringComparison.OrdinalIgnoreCase)) hits.Add(Path.GetRelativePath(Root, project));
        }
        var assemblies = typeof(EmbedPS.Core.Artifacts.ArtifactStore).Assembly.GetReferencedAssemblies()
            .Where(a => a.Name!.StartsWith("System.Management.Automation", StringComparison.Ordinal) || a.Name.Contains("PowerShell", StringComparison.Ordinal))
            .Select(a => "EmbedPS.Core.dll references " + a.Name);
        hits.AddRange(assemblies);
        Assert.True(hits.Count == 0, "EmbedPS.Core must build and run without PowerShell:\n" + string.Join("\n", hits));
    }

    /// <summary>Folder -> folder it uses -> the files that use it.</summary>
    internal static Dictionary<string, SortedDictionary<string, SortedSet<string>>> FolderGraph()
    {
        var files = CoreFiles();
        var folders = files.Select(f => f.Folder).ToHashSet(StringComparer.Ordinal);
        // The types each folder declares: a partly qualified name (Mde.Embedding, from inside EmbedPS.Core) is a use too.
        var types = files.GroupBy(f => f.Folder).ToDictionary(g => g.Key,
            g => g.SelectMany(f => TypePattern().Matches(f.Code).Select(m => m.Groups[1].Value)).ToHashSet(StringComparer.Ordinal));
        var graph = folders.ToDictionary(f => f, _ => new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal));
        foreach (var file in files)
        {
            var used = new HashSet<string>(StringComparer.Ordinal);
            foreach (Match m in QualifiedPattern().Matches(file.Code)) used.Add(m.Groups[1].Value);
            foreach (Match m in PartialPattern().Matches(file.Code))
            {
                if (types.TryGetValue(m.Groups[1].Value, out var declared) && declared.Contains(m.Groups[2].Value)) used.Add(m.Groups[1].Value);
            }
            foreach (var target in used.Where(u => u != file.Folder))
            {
                if (!folders.Contains(target)) continue;
                if (!graph[file.Folder].TryGetValue(target, out var by)) graph[file.Folder][target] = by = new SortedSet<string>(StringComparer.Ordinal);
                by.Add(Path.GetFileName(file.Path));
            }
        }
        return graph;
    }

    /// <summary>The layer of each folder from docs/architecture.md's block between the layer markers (top line = highest layer).</summary>
    internal static Dictionary<string, int> DocumentedLayers()
    {
        var text = File.ReadAllText(Path.Combine(Root, "docs", "architecture.md"));
        int start = text.IndexOf("<!-- layers -->", StringComparison.Ordinal), end = text.IndexOf("<!-- /layers -->", StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "docs/architecture.md has no <!-- layers --> … <!-- /layers --> block.");
        var lines = text[start..end].Split('\n').Skip(1)
            .Select(l => l.Split('#')[0].Trim()).Where(l => l.Length > 0 && !l.StartsWith("```", StringComparison.Ordinal)).ToList();
        var layers = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < lines.Count; i++)
        {
            foreach (var folder in Regex.Split(lines[i], @"[\s,/|+]+").Where(s => s.Length > 0)) layers[folder.TrimEnd('/')] = lines.Count - i;
        }
        return layers;
    }

    internal static List<string>? FindCycle(IReadOnlyList<string> nodes, Func<string, IEnumerable<string>> next)
    {
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1 on the stack, 2 done
        var stack = new List<string>();
        List<string>? Visit(string node)
        {
            state[node] = 1; stack.Add(node);
            foreach (var n in next(node).OrderBy(n => n, StringComparer.Ordinal))
            {
                if (state.GetValueOrDefault(n) == 1) return [.. stack.Skip(stack.IndexOf(n)), n];
                if (state.GetValueOrDefault(n) == 0 && Visit(n) is { } found) return found;
            }
            state[node] = 2; stack.RemoveAt(stack.Count - 1);
            return null;
        }
        foreach (var node in nodes.OrderBy(n => n, StringComparer.Ordinal))
        {
            if (state.GetValueOrDefault(node) == 0 && Visit(node) is { } cycle) return cycle;
        }
        return null;
    }

    private static List<(string Path, string Folder, string Code)> CoreFiles() =>
        Directory.EnumerateFiles(CoreDir, "*.cs", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(CoreDir, p).Replace('\\', '/'))
            .Where(p => !p.StartsWith("bin/", StringComparison.Ordinal) && !p.StartsWith("obj/", StringComparison.Ordinal))
            .OrderBy(p => p, StringComparer.Ordinal)
            .Select(p => ("src/EmbedPS.Core/" + p, p.Contains('/') ? p[..p.IndexOf('/')] : "(root)", StripComments(File.ReadAllText(Path.Combine(CoreDir, p)))))
            .ToList();

    /// <summary>The code without comments (a name in a comment is no use of it; a cref is, but the code around it says so too).</summary>
    private static string StripComments(string code) => CommentPattern().Replace(code, m => m.Value.StartsWith('"') ? m.Value : "");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EmbedPS.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("The repository root (EmbedPS.sln) is not above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"^\s*namespace\s+([\w.]+)", RegexOptions.Multiline)]
    private static partial Regex NamespacePattern();

    [GeneratedRegex(@"\bEmbedPS\.Core\.([A-Z]\w*)")]
    private static partial Regex QualifiedPattern();

    [GeneratedRegex(@"(?<![\w.])([A-Z]\w*)\.([A-Z]\w*)")]
    private static partial Regex PartialPattern();

    [GeneratedRegex(@"\b(?:class|record|struct|interface|enum)\s+(?:class\s+|struct\s+)?([A-Z]\w*)")]
    private static partial Regex TypePattern();

    [GeneratedRegex(@"System\.Management\.Automation|Microsoft\.PowerShell|\bPSObject\b|\bPSCmdlet\b")]
    private static partial Regex PowerShellPattern();

    // String literals are matched (and kept) first so that "//" inside a string starts no comment.
    [GeneratedRegex(@"""(?:[^""\\\n]|\\.)*""|//[^\n]*|/\*[\s\S]*?\*/")]
    private static partial Regex CommentPattern();
}
