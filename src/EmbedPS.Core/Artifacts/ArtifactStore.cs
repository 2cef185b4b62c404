using EmbedPS.Core.Collections;
using EmbedPS.Core.Cooccurrence;
using EmbedPS.Core.Mde;
using EmbedPS.Core.NeighborPreservation;

namespace EmbedPS.Core.Artifacts;

/// <summary>Reads any artifact back as its typed object, and writes any stage object.</summary>
public static class ArtifactStore
{
    /// <summary>Reads any artifact as its typed object; co-occurrence matrices and neighbour graphs are read one row group at a time.</summary>
    public static object Read(string path, CancellationToken cancellation = default)
    {
        using var file = ParquetArtifact.Open(path, null, cancellation);
        return file.Kind switch
        {
            ArtifactKind.Cooccurrence => CooccurrenceArtifact.Read(file, cancellation),
            ArtifactKind.NeighborGraph => NeighborGraphArtifact.Read(file, cancellation),
            _ => FromTable(file.ReadAll(cancellation)),
        };
    }

    /// <summary>
    /// Every check an import makes, without stopping at the first problem: the file and its footer, the columns, then the typed
    /// object's own checks (edges to unknown entities, the neighbour graph's configuration). Empty when the artifact would import.
    /// </summary>
    public static List<ArtifactProblem> Test(string path, ArtifactKind? expectedKind = null, CancellationToken cancellation = default) =>
        TestKind(path, expectedKind, cancellation).Problems;

    /// <summary>As <see cref="Test"/>, with the artifact's kind when its footer could be read.</summary>
    public static (List<ArtifactProblem> Problems, ArtifactKind? Kind) TestKind(string path, ArtifactKind? expectedKind = null, CancellationToken cancellation = default)
    {
        var problems = new List<ArtifactProblem>();
        var table = ParquetArtifact.Inspect(path, problems, expectedKind, cancellation);
        if (table is not null && problems.Count == 0)
        {
            try { FromTable(table); }
            catch (Common.EmbedPSException ex)
            {
                problems.Add(new ArtifactProblem(ex.ErrorId, ex.Message, ex.File ?? table.Path, Column: ex.Column, Row: ex.Row, Value: ex.Value));
            }
        }
        return (problems, table?.Kind);
    }

    public static object FromTable(ArtifactTable table)
    {
        return table.Kind switch
        {
            ArtifactKind.Collections => CollectionsArtifact.FromTable(table),
            ArtifactKind.Cooccurrence => CooccurrenceArtifact.FromTable(table),
            ArtifactKind.NeighborGraph => NeighborGraphArtifact.FromTable(table),
            ArtifactKind.Embedding => EmbeddingArtifact.FromTable(table),
            ArtifactKind.Projection => Projection.ProjectionArtifact.FromTable(table),
            _ => throw new NotSupportedException(table.Kind.ToString()),
        };
    }

    public static ArtifactKind KindOf(object stageObject) => stageObject switch
    {
        EntityCollectionSet => ArtifactKind.Collections,
        CooccurrenceMatrix => ArtifactKind.Cooccurrence,
        NeighborGraph => ArtifactKind.NeighborGraph,
        Embedding => ArtifactKind.Embedding,
        Projection.Projection => ArtifactKind.Projection,
        _ => throw new ArgumentException($"{stageObject.GetType().Name} is not an EmbedPS stage object."),
    };

    public static void Write(object stageObject, string path, CancellationToken cancellation = default)
    {
        switch (stageObject)
        {
            case EntityCollectionSet s: CollectionsArtifact.Write(s, path, cancellation); break;
            case CooccurrenceMatrix m: CooccurrenceArtifact.Write(m, path, cancellation); break;
            case NeighborGraph g: NeighborGraphArtifact.Write(g, path, cancellation); break;
            case Embedding e: EmbeddingArtifact.Write(e, path, cancellation); break;
            case Projection.Projection p: Projection.ProjectionArtifact.Write(p, path, cancellation); break;
            default: throw new ArgumentException($"{stageObject.GetType().Name} is not an EmbedPS stage object.");
        }
    }
}
