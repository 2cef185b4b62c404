using EmbedPS.Core.Common;

namespace EmbedPS.Core.Artifacts;

/// <summary>
/// Reads any artifact back as its typed object, and writes any stage object, through the codec each stage registers with
/// <see cref="ArtifactCodecs"/> (so this store, below the stages, names none of them).
/// </summary>
public static class ArtifactStore
{
    /// <summary>Reads any artifact as its typed object; co-occurrence matrices and neighbour graphs are read one row group at a time.</summary>
    public static object Read(string path, CancellationToken cancellation = default)
    {
        using var file = ParquetArtifact.Open(path, null, cancellation);
        return ArtifactCodecs.For(file.Kind).Read(file, cancellation);
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
            catch (EmbedPSException ex)
            {
                problems.Add(new ArtifactProblem(ex.ErrorId, ex.Message, ex.File ?? table.Path, Column: ex.Column, Row: ex.Row, Value: ex.Value));
            }
        }
        return (problems, table?.Kind);
    }

    public static object FromTable(ArtifactTable table) => ArtifactCodecs.For(table.Kind).FromTable(table);

    public static ArtifactKind KindOf(object stageObject) => CodecOf(stageObject).Kind;

    public static void Write(object stageObject, string path, CancellationToken cancellation = default) =>
        CodecOf(stageObject).Write(stageObject, path, cancellation);

    private static ArtifactCodec CodecOf(object stageObject) => ArtifactCodecs.ForObject(stageObject)
        ?? throw new ArgumentException($"{stageObject.GetType().Name} is not an EmbedPS stage object.");
}
