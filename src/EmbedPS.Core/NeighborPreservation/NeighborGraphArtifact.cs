using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Common;

namespace EmbedPS.Core.NeighborPreservation;

/// <summary>
/// Persists a <see cref="NeighborGraph"/> as a 'neighbor-graph' artifact: columns
/// <c>entity_a, entity_b, weight, distance</c>. First one row per entity with entity_a = entity_b,
/// weight = popularity and distance 0 (these rows keep isolated entities and fix the order); then the edges.
/// The graph is data only. Artifacts written before the embedding settings moved to <c>Invoke-Mde</c> carry them in the
/// footer key <c>embedps.configuration</c>; it is ignored on reading (Invoke-Mde's parameters decide), so those files keep working.
/// </summary>
public static class NeighborGraphArtifact
{
    public const int Schema = 1;
    public const string ConfigurationKey = "embedps.configuration";

    public static void Write(NeighborGraph graph, string path, CancellationToken cancellation = default)
    {
        int n = graph.EntityCount, m = graph.EdgeCount;
        var a = new int[n + m];
        var b = new int[n + m];
        var w = new float[n + m];
        var d = new float[n + m];
        for (int i = 0; i < n; i++) { a[i] = i; b[i] = i; w[i] = graph.Popularity[i]; }
        graph.EdgeSource.CopyTo(a, n);
        graph.EdgeTarget.CopyTo(b, n);
        graph.Weights.CopyTo(w, n);
        graph.Distances.CopyTo(d, n);
        var columns = new List<ArtifactColumn>
        {
            ArtifactColumn.EntityIds("entity_a", graph.Entities, a),
            ArtifactColumn.EntityIds("entity_b", graph.Entities, b),
            new("weight", w),
            new("distance", d),
        };
        ParquetArtifact.Write(path, ArtifactKind.NeighborGraph, Schema, graph.Provenance, columns, new Dictionary<string, string>(), cancellation);
    }

    public static NeighborGraph Read(string path, CancellationToken cancellation = default) =>
        FromTable(ParquetArtifact.Read(path, ArtifactKind.NeighborGraph, cancellation));

    public static NeighborGraph FromTable(ArtifactTable table)
    {
        var edges = Cooccurrence.EdgeListReader.Index(table.GetEntityIdColumn("entity_a"), table.GetEntityIdColumn("entity_b"), table.Path);
        Cooccurrence.EdgeListReader.CheckKnownEntities(edges, table.Path);
        var weight = table.Get<float>("weight");
        var distance = table.Get<float>("distance");
        int n = edges.Entities.Count;
        var popularity = new int[n];
        var src = new List<int>(); var dst = new List<int>(); var ws = new List<float>(); var ds = new List<float>();
        for (int r = 0; r < edges.A.Length; r++)
        {
            if (edges.A[r] == edges.B[r]) { popularity[edges.A[r]] = (int)weight[r]; continue; }
            int i = Math.Min(edges.A[r], edges.B[r]), j = Math.Max(edges.A[r], edges.B[r]);
            src.Add(i); dst.Add(j); ws.Add(weight[r]); ds.Add(distance[r]);
        }
        return new NeighborGraph(edges.Entities, popularity, src.ToArray(), dst.ToArray(), ws.ToArray(), ds.ToArray(), table.Provenance);
    }
}
