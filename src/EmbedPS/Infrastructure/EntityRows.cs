using System.Management.Automation;
using EmbedPS.Core.Mde;
using ProjectionResult = EmbedPS.Core.Projection.Projection;

namespace EmbedPS.Commands.Infrastructure;

/// <summary>
/// The <c>Rows</c> property of an Embedding and a Projection (EmbedPS.Types.ps1xml): one object per entity with the artifact's
/// columns — Entity, X and Y (a projection) or X0 … X{d−1} (an embedding), and Popularity — for Export-Csv, Where-Object,
/// Sort-Object and Format-Table: <c>$projection.Rows | Sort-Object Popularity -Descending | Select-Object -First 10</c>.
/// </summary>
public static class EntityRows
{
    /// <summary>The rows of the stage object <paramref name="instance"/> wraps (an empty array for any other object).</summary>
    public static PSObject[] Of(PSObject instance) => instance.BaseObject switch
    {
        ProjectionResult p => Projection(p),
        Embedding e => Embedding(e),
        _ => Array.Empty<PSObject>(),
    };

    private static PSObject[] Projection(ProjectionResult p)
    {
        var rows = new PSObject[p.EntityCount];
        for (int i = 0; i < rows.Length; i++)
        {
            var row = new PSObject();
            row.Properties.Add(new PSNoteProperty("Entity", p.Entities[i]));
            row.Properties.Add(new PSNoteProperty("X", p.X[i]));
            row.Properties.Add(new PSNoteProperty("Y", p.Y[i]));
            row.Properties.Add(new PSNoteProperty("Popularity", p.Popularity[i]));
            row.TypeNames.Insert(0, "EmbedPS.ProjectionRow");
            rows[i] = row;
        }
        return rows;
    }

    private static PSObject[] Embedding(Embedding e)
    {
        var names = Enumerable.Range(0, e.Dimension).Select(a => "X" + a).ToArray();
        var rows = new PSObject[e.EntityCount];
        for (int i = 0; i < rows.Length; i++)
        {
            var row = new PSObject();
            row.Properties.Add(new PSNoteProperty("Entity", e.Entities[i]));
            for (int a = 0; a < e.Dimension; a++) row.Properties.Add(new PSNoteProperty(names[a], e.Coordinates[i * e.Dimension + a]));
            row.Properties.Add(new PSNoteProperty("Popularity", e.Popularity[i]));
            row.TypeNames.Insert(0, "EmbedPS.EmbeddingRow");
            rows[i] = row;
        }
        return rows;
    }
}
