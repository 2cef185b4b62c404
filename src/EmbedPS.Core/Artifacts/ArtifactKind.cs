namespace EmbedPS.Core.Artifacts;

/// <summary>The five kinds of artifact; the footer key <c>embedps.kind</c> holds <see cref="ArtifactKinds.Name"/>.</summary>
public enum ArtifactKind
{
    Collections,
    Cooccurrence,
    NeighborGraph,
    Embedding,
    Projection,
}

public static class ArtifactKinds
{
    public static string Name(ArtifactKind kind) => kind switch
    {
        ArtifactKind.Collections => "collections",
        ArtifactKind.Cooccurrence => "cooccurrence",
        ArtifactKind.NeighborGraph => "neighbor-graph",
        ArtifactKind.Embedding => "embedding",
        ArtifactKind.Projection => "projection",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static bool TryParse(string? name, out ArtifactKind kind)
    {
        foreach (ArtifactKind k in Enum.GetValues<ArtifactKind>())
        {
            if (string.Equals(Name(k), name, StringComparison.Ordinal)) { kind = k; return true; }
        }
        kind = default;
        return false;
    }
}
