using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using EmbedPS.Core.Common;

namespace EmbedPS.Commands.Infrastructure;

/// <summary>Tab completion of -Encoding names (code page numbers are accepted too).</summary>
public sealed class EncodingCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        TextDecoding.Names.Where(n => n.StartsWith(wordToComplete, StringComparison.OrdinalIgnoreCase)).Select(n => new CompletionResult(n));
}
