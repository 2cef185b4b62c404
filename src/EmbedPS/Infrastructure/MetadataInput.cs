using System.Globalization;
using System.Management.Automation;
using EmbedPS.Core.Common;
using EmbedPS.Core.Preview;

namespace EmbedPS.Commands.Infrastructure;

/// <summary>
/// A -Metadata argument: a CSV/TSV or Parquet path (a string or a file object), or the rows themselves — pipeline objects such
/// as Import-Csv output, or any objects that have the id property. Joined to a stage's entities by the id column.
/// </summary>
internal static class MetadataInput
{
    /// <summary>The single path the argument names, or null when it is rows of objects.</summary>
    public static string? PathOf(PSObject[]? metadata)
    {
        if (metadata is not { Length: 1 }) return null;
        return metadata[0].BaseObject switch
        {
            string s => s,
            FileInfo f => f.FullName,
            _ => null,
        };
    }

    /// <summary>Rows of objects as named text columns (the first object's properties name them; invariant culture).</summary>
    public static (List<string> Names, List<string?[]> Columns) Table(PSObject[] rows)
    {
        var names = new List<string>();
        foreach (var property in rows[0].Properties)
            if (property.MemberType is PSMemberTypes.NoteProperty or PSMemberTypes.Property or PSMemberTypes.AliasProperty or PSMemberTypes.ScriptProperty or PSMemberTypes.CodeProperty)
                names.Add(property.Name);
        var columns = names.Select(_ => new string?[rows.Length]).ToList();
        for (int r = 0; r < rows.Length; r++)
        {
            for (int c = 0; c < names.Count; c++)
            {
                var value = rows[r].Properties[names[c]]?.Value;
                if (value is PSObject ps) value = ps.BaseObject;
                columns[c][r] = value is null ? null : Convert.ToString(value, CultureInfo.InvariantCulture);
            }
        }
        return (names, columns);
    }

    /// <summary>The metadata joined to <paramref name="entities"/> (<see cref="EntityAttributes.Join"/>): <paramref name="resolvedPath"/>
    /// when the argument is a path (resolved by the caller), else the rows. The one metadata reader of every cmdlet.</summary>
    public static EntityAttributes Read(PSObject[] metadata, string? resolvedPath, string idColumn, bool allowDuplicateIds, EntityIds entities, IStageLog log, CancellationToken cancellation)
    {
        var options = new MetadataJoinOptions { IdColumn = idColumn, AllowDuplicateIds = allowDuplicateIds };
        if (resolvedPath is not null) return EntityAttributes.Read(resolvedPath, entities, options, log, cancellation);
        var (names, columns) = Table(metadata);
        return EntityAttributes.Join(MetadataTable.FromColumns(names, columns, $"({metadata.Length:N0} pipeline objects)"), entities, options, log);
    }
}
