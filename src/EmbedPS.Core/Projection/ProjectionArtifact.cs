using System.Runtime.CompilerServices;
using System.Text.Json;
using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Common;

namespace EmbedPS.Core.Projection;

/// <summary>
/// Persists a <see cref="Projection"/> as a 'projection' artifact: columns <c>entity, x, y, popularity</c>;
/// footer <c>embedps.method</c> and <c>embedps.quality</c> (JSON object).
/// </summary>
public static class ProjectionArtifact
{
    /// <summary>Registers this kind's codec (read whole) with <see cref="ArtifactCodecs"/> when EmbedPS.Core loads.</summary>
    [ModuleInitializer]
    internal static void RegisterCodec() => ArtifactCodecs.Register<Projection>(ArtifactKind.Projection, FromTable, Write);

    public const int Schema = 1;

    public static void Write(Projection projection, string path, CancellationToken cancellation = default)
    {
        var columns = new List<ArtifactColumn>
        {
            ArtifactColumn.AllEntityIds("entity", projection.Entities),
            new("x", projection.X),
            new("y", projection.Y),
            new("popularity", projection.Popularity),
        };
        var extra = new Dictionary<string, string>
        {
            ["embedps.method"] = projection.Method,
            ["embedps.quality"] = JsonSerializer.Serialize(projection.Quality),
        };
        ParquetArtifact.Write(path, ArtifactKind.Projection, Schema, projection.Provenance, columns, extra, cancellation);
    }

    public static Projection Read(string path, CancellationToken cancellation = default) =>
        FromTable(ParquetArtifact.Read(path, ArtifactKind.Projection, cancellation));

    public static Projection FromTable(ArtifactTable table)
    {
        var idColumn = table.GetEntityIdColumn("entity");
        var ids = idColumn is long[] l ? EntityIds.FromIntegers(l) : EntityIds.FromStrings((string[])idColumn);
        var quality = table.MetadataValue("embedps.quality") is { } q
            ? ParquetArtifact.ParseFooter(table.Path, "embedps.quality", () => JsonSerializer.Deserialize<SortedDictionary<string, double>>(q) ?? new()) : new SortedDictionary<string, double>();
        return new Projection(ids, table.Has("popularity") ? table.Get<int>("popularity") : new int[ids.Count],
            table.Get<float>("x"), table.Get<float>("y"), table.MetadataValue("embedps.method") ?? "unknown", table.Provenance)
        {
            Quality = new SortedDictionary<string, double>(quality, StringComparer.Ordinal),
        };
    }
}
