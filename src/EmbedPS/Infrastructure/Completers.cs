using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Common;
using EmbedPS.Core.Mde;
using EmbedPS.Core.NeighborPreservation;
using ProjectionResult = EmbedPS.Core.Projection.Projection;

namespace EmbedPS.Commands.Infrastructure;

/// <summary>Shared pieces of the argument completers: the session's current folder and the value a parameter was given.</summary>
internal static class CompletionContext
{
    /// <summary>Runs a command in the session being completed (a nested pipeline of the current runspace).</summary>
    private static object? InSession(Action<PowerShell> build)
    {
        try
        {
            using var ps = PowerShell.Create(RunspaceMode.CurrentRunspace);
            build(ps);
            var result = ps.Invoke();
            return result.Count > 0 ? result[0]?.BaseObject : null;
        }
        catch (Exception) { return null; }
    }

    public static string CurrentDirectory() =>
        (InSession(ps => ps.AddCommand("Microsoft.PowerShell.Management\\Get-Location").AddParameter("PSProvider", "FileSystem")) as PathInfo)?.ProviderPath
        ?? Directory.GetCurrentDirectory();

    public static string ResolvePath(string path) => Path.GetFullPath(Path.Combine(CurrentDirectory(), path));

    /// <summary>The value of the variable piped into the command being completed (<c>$projection | Get-EntityNeighbor -Entity …</c>).</summary>
    public static object? PipedVariable(CommandAst commandAst)
    {
        if (commandAst.Parent is not PipelineAst pipeline) return null;
        int index = pipeline.PipelineElements.IndexOf(commandAst);
        if (index < 1 || pipeline.PipelineElements[index - 1] is not CommandExpressionAst { Expression: VariableExpressionAst variable }) return null;
        return InSession(ps => ps.AddCommand("Microsoft.PowerShell.Utility\\Get-Variable").AddParameter("Name", variable.VariablePath.UserPath)
            .AddParameter("ValueOnly").AddParameter("ErrorAction", "Ignore"));
    }

    public static IEnumerable<CompletionResult> Matching(IEnumerable<string> candidates, string wordToComplete)
    {
        var prefix = wordToComplete.Trim('\'', '"');
        foreach (var candidate in candidates.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (!candidate.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) continue;
            var text = candidate.Any(c => char.IsWhiteSpace(c) || c is '\'' or '"' or ',' or ';' or '$' or '(' or ')' or '{' or '}' or '#' or '|') ? "'" + candidate.Replace("'", "''") + "'" : candidate;
            yield return new CompletionResult(text, candidate, CompletionResultType.ParameterValue, candidate);
        }
    }
}

/// <summary>Completes -ColorProperty and -LabelProperty with the columns of -Metadata (a CSV/TSV path's header, or the
/// properties of the objects given) and the built-in properties of a stage.</summary>
public sealed class MetadataColumnCompleter : IArgumentCompleter
{
    private static readonly string[] BuiltIn = { "popularity", "entity", "x", "y" };

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var columns = new List<string>();
        var metadata = fakeBoundParameters.Contains("Metadata") ? fakeBoundParameters["Metadata"] : null;
        if (metadata is PSObject ps) metadata = ps.BaseObject;
        try
        {
            switch (metadata)
            {
                case string path when File.Exists(CompletionContext.ResolvePath(path)) && !path.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase):
                    // The header as the cmdlets read it (one metadata reader: separator, quotes, encoding).
                    columns.AddRange(EmbedPS.Core.Preview.MetadataTable.ReadHeader(CompletionContext.ResolvePath(path)).Where(c => c.Length > 0));
                    break;
                case IEnumerable rows when metadata is not string:
                    foreach (var row in rows)
                    {
                        columns.AddRange(PSObject.AsPSObject(row).Properties.Select(p => p.Name));
                        break;
                    }
                    break;
            }
        }
        catch (Exception) { /* a completer never fails the prompt */ }
        // The id column joins, it does not label; the stage's own properties can colour and label too (not Measure-Embedding's labels).
        var id = fakeBoundParameters.Contains("IdProperty") && fakeBoundParameters["IdProperty"] is string given ? given : "entity";
        columns.RemoveAll(c => string.Equals(c, id, StringComparison.OrdinalIgnoreCase));
        if (parameterName != "LabelProperty" || commandName != "Measure-Embedding") columns.AddRange(BuiltIn);
        return CompletionContext.Matching(columns, wordToComplete);
    }
}

/// <summary>Completes -Entity with the entity ids of the piped variable's stage object or of the -InputPath artifact
/// (most popular first; artifacts up to 256 MB).</summary>
public sealed class EntityCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        object? stage = CompletionContext.PipedVariable(commandAst);
        try
        {
            if (stage is null && fakeBoundParameters.Contains("InputPath") && fakeBoundParameters["InputPath"] is string path)
            {
                var full = CompletionContext.ResolvePath(path);
                if (File.Exists(full) && new FileInfo(full).Length <= 256L << 20) stage = ArtifactStore.Read(full);
            }
        }
        catch (Exception) { return Array.Empty<CompletionResult>(); }
        var (entities, popularity) = stage switch
        {
            ProjectionResult p => (p.Entities, p.Popularity),
            Embedding e => (e.Entities, e.Popularity),
            NeighborGraph g => (g.Entities, g.Popularity),
            Core.Cooccurrence.CooccurrenceMatrix m => (m.Entities, m.Popularity),
            _ => ((EntityIds?)null, (int[]?)null),
        };
        if (entities is null || popularity is null) return Array.Empty<CompletionResult>();
        var order = Enumerable.Range(0, entities.Count).OrderByDescending(i => popularity[i]).ThenBy(i => i);
        return CompletionContext.Matching(order.Select(i => entities.GetText(i)), wordToComplete).Take(200);
    }
}
