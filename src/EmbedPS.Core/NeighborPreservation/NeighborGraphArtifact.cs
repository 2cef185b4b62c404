using System.Text.Json;
using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Common;
using EmbedPS.Core.Mde;

namespace EmbedPS.Core.NeighborPreservation;

/// <summary>
/// Persists a <see cref="NeighborGraph"/> as a 'neighbor-graph' artifact: columns
/// <c>entity_a, entity_b, weight, distance</c>. First one row per entity with entity_a = entity_b,
/// weight = popularity and distance 0 (these rows keep isolated entities and fix the order); then the edges.
/// The embedding configuration is in the footer key <c>embedps.configuration</c>.
/// </summary>
public static class NeighborGraphArtifact
{
    public const int Schema = 1;
    public const string ConfigurationKey = "embedps.configuration";

    private sealed record ConfigurationDto(int Dimension, string AttractivePenalty, double AttractiveExponent, string RepulsivePenalty,
        double RepulsiveExponent, double HuberThreshold, string Constraint, string Init, int Seed, float[]? InitialCoordinates, int[]? AnchorIndices, float[]? AnchorCoordinates);

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
        var c = graph.Configuration;
        var dto = new ConfigurationDto(c.Dimension, c.AttractivePenalty.ToString(), c.AttractiveExponent, c.RepulsivePenalty.ToString(),
            c.RepulsiveExponent, c.HuberThreshold, c.Constraint.ToString(), c.Init.ToString(), c.Seed, c.InitialCoordinates, c.AnchorIndices, c.AnchorCoordinates);
        var columns = new List<ArtifactColumn>
        {
            ArtifactColumn.EntityIds("entity_a", graph.Entities, a),
            ArtifactColumn.EntityIds("entity_b", graph.Entities, b),
            new("weight", w),
            new("distance", d),
        };
        ParquetArtifact.Write(path, ArtifactKind.NeighborGraph, Schema, graph.Provenance, columns,
            new Dictionary<string, string> { [ConfigurationKey] = JsonSerializer.Serialize(dto, Provenance.Json) }, cancellation);
    }

    private static T ParseName<T>(string text) where T : struct, Enum =>
        Enum.TryParse<T>(text, ignoreCase: false, out var value) && Enum.IsDefined(value) && !char.IsAsciiDigit(text[0]) && text[0] != '-'
            ? value : throw new FormatException($"'{text}' is not one of {string.Join(", ", Enum.GetNames<T>())}");

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
        var json = table.MetadataValue(ConfigurationKey)
            ?? throw new EmbedPSException("FooterKeyMissing", EmbedPSErrorKind.InvalidData, $"'{table.Path}': the footer has no '{ConfigurationKey}' key, which holds the embedding problem; nothing is assumed in its place.") { File = table.Path, Column = ConfigurationKey };
        var configuration = ParquetArtifact.ParseFooter(table.Path, ConfigurationKey, () =>
        {
            var dto = JsonSerializer.Deserialize<ConfigurationDto>(json, Provenance.Json)
                ?? throw new EmbedPSException("BadConfiguration", EmbedPSErrorKind.InvalidData, $"'{table.Path}': footer '{ConfigurationKey}' is empty.") { File = table.Path, Column = ConfigurationKey };
            if (dto.AttractivePenalty is null || dto.RepulsivePenalty is null || dto.Constraint is null || dto.Init is null)
                throw new FormatException("it lacks one of attractivePenalty, repulsivePenalty, constraint, init");
            if (dto.Dimension < 1 || dto.Dimension > 64) throw new FormatException($"dimension {dto.Dimension} is outside [1, 64]");
            if (dto.InitialCoordinates is { } init && (init.LongLength != (long)n * dto.Dimension || init.Any(v => !float.IsFinite(v))))
                throw new FormatException($"initialCoordinates must hold {(long)n * dto.Dimension:N0} finite values ({n:N0} entities × {dto.Dimension})");
            if (dto.AnchorIndices is { } anchors && anchors.Any(i => (uint)i >= (uint)n))
                throw new FormatException($"an anchor index is outside [0, {n})");
            return new EmbeddingConfiguration
            {
                Dimension = dto.Dimension,
                AttractivePenalty = ParseName<PenaltyKind>(dto.AttractivePenalty),
                AttractiveExponent = dto.AttractiveExponent,
                RepulsivePenalty = ParseName<PenaltyKind>(dto.RepulsivePenalty),
                RepulsiveExponent = dto.RepulsiveExponent,
                HuberThreshold = dto.HuberThreshold,
                Constraint = ParseName<ConstraintKind>(dto.Constraint),
                Init = ParseName<InitKind>(dto.Init),
                Seed = dto.Seed,
                InitialCoordinates = dto.InitialCoordinates,
                AnchorIndices = dto.AnchorIndices,
                AnchorCoordinates = dto.AnchorCoordinates,
            };
        });
        return new NeighborGraph(edges.Entities, popularity, src.ToArray(), dst.ToArray(), ws.ToArray(), ds.ToArray(), configuration, table.Provenance);
    }
}
