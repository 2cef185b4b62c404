using System.Runtime.CompilerServices;
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
    /// <summary>Registers this kind's codec (one row group at a time) with <see cref="ArtifactCodecs"/> when EmbedPS.Core loads.</summary>
    [ModuleInitializer]
    internal static void RegisterCodec() => ArtifactCodecs.Register<NeighborGraph>(ArtifactKind.NeighborGraph, FromTable, Write, Read);

    public const int Schema = 1;
    public const string ConfigurationKey = "embedps.configuration";

    public static void Write(NeighborGraph graph, string path, CancellationToken cancellation = default) =>
        Write(graph, path, cancellation, ParquetArtifact.RowGroupSize);

    internal static void Write(NeighborGraph graph, string path, CancellationToken cancellation, int rowGroupSize)
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
        ParquetArtifact.Write(path, ArtifactKind.NeighborGraph, Schema, graph.Provenance, columns, new Dictionary<string, string>(), cancellation, rowGroupSize);
    }

    /// <summary>
    /// Reads the artifact one row group at a time (after the content hash is verified in one streaming pass): each group is
    /// checked and its edges appended into arrays sized, at the first edge, for every row left in the file (self rows found
    /// later are trimmed once). Peak memory is the graph plus one row group.
    /// </summary>
    public static NeighborGraph Read(string path, CancellationToken cancellation = default)
    {
        using var file = ParquetArtifact.Open(path, ArtifactKind.NeighborGraph, cancellation);
        return Read(file, cancellation);
    }

    /// <summary>As <see cref="Read(string, CancellationToken)"/>, from an artifact already opened (and verified).</summary>
    public static NeighborGraph Read(ArtifactRowGroups file, CancellationToken cancellation = default)
    {
        var stream = new Cooccurrence.EdgeArtifactStream(file);
        int[] popularity = [];
        int[] src = [], dst = [];
        float[] ws = [], ds = [];
        int m = 0;
        stream.Pass(check: true, null, (group, a, b, count) =>
        {
            int n = stream.EntityCount;
            if (popularity.Length < n) Array.Resize(ref popularity, Math.Max(n, 2 * popularity.Length));
            var weight = group.Get<float>("weight");
            var distance = group.Get<float>("distance");
            for (int r = 0; r < count; r++)
            {
                int i = a[r], j = b[r];
                if (i < 0 || j < 0) continue; // an unknown entity: the pass throws at its end
                if (i == j) { popularity[i] = (int)weight[r]; continue; }
                if (m == src.Length)
                {
                    long capacity = file.RowCount - (group.FirstRow + r);
                    if (capacity > Array.MaxLength)
                        throw new EmbedPSException("ArtifactTooLarge", EmbedPSErrorKind.NotSupported, $"'{file.Path}' holds {capacity:N0} edges; a graph holds at most {Array.MaxLength:N0}.") { File = file.Path };
                    Cooccurrence.EdgeArtifactStream.EnsureFits(file.Path, capacity * 16, $"the neighbour graph ({capacity:N0} edges)");
                    src = new int[capacity]; dst = new int[capacity]; ws = new float[capacity]; ds = new float[capacity];
                }
                src[m] = Math.Min(i, j); dst[m] = Math.Max(i, j); ws[m] = weight[r]; ds[m] = distance[r];
                m++;
            }
        }, cancellation);
        if (popularity.Length != stream.EntityCount) Array.Resize(ref popularity, stream.EntityCount);
        if (m != src.Length) { Array.Resize(ref src, m); Array.Resize(ref dst, m); Array.Resize(ref ws, m); Array.Resize(ref ds, m); }
        return new NeighborGraph(stream.Entities(), popularity, src, dst, ws, ds, file.Provenance);
    }

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
