using EmbedPS.Core.Common;
using System.Management.Automation;
using EmbedPS.Commands.Infrastructure;
using EmbedPS.Core.Artifacts;

namespace EmbedPS.Commands.Projection;

/// <summary>Turns a parameter value that may be a stage object, a PSObject wrapping one, or an artifact path into the stage object.</summary>
internal static class ProjectionInputs
{
    public static object? Resolve(EmbedPSCmdlet cmdlet, object? value, string parameterName, Func<string, object> read)
    {
        if (value is PSObject ps) value = ps.BaseObject;
        try
        {
            return ResolveCore(cmdlet, value, read);
        }
        catch (EmbedPS.Core.Common.EmbedPSException ex)
        {
            cmdlet.ThrowTerminatingError(new ErrorRecord(ex, ex.ErrorId, ErrorCategory.InvalidData, ex.File ?? value));
            return null;
        }
    }

    private static object? ResolveCore(EmbedPSCmdlet cmdlet, object? value, Func<string, object> read)
    {
        return value switch
        {
            null => null,
            string path when path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) => EmbedPS.Core.Projection.NumericTable.ReadCsv(cmdlet.GetUnresolvedProviderPathFromPSPath(path)),
            string path => read(path),
            FileInfo file when file.Extension.Equals(".csv", StringComparison.OrdinalIgnoreCase) => EmbedPS.Core.Projection.NumericTable.ReadCsv(file.FullName),
            FileInfo file => read(file.FullName),
            _ => value,
        };
    }

    public static T Require<T>(EmbedPSCmdlet cmdlet, object? value, string parameterName) where T : class
    {
        if (value is T typed) return typed;
        cmdlet.ThrowTerminatingError(new ErrorRecord(
            new ArgumentException($"-{parameterName} must be {Grammar.WithArticle(typeof(T).Name)} (or the path of its artifact), not {(value is null ? "null" : value.GetType().Name)}."),
            "Invalid" + parameterName, ErrorCategory.InvalidArgument, value));
        return null!;
    }
}
