using System.Runtime.CompilerServices;
using System.Text.Json;
using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Common;

namespace EmbedPS.Core.Mde;

/// <summary>
/// Persists an <see cref="Embedding"/> as an 'embedding' artifact: columns <c>entity, x0 … x{d-1}, popularity</c>.
/// Optimiser results go in the footer: <c>embedps.distortion</c>, <c>embedps.iterations</c>, <c>embedps.history</c> (JSON array).
/// </summary>
public static class EmbeddingArtifact
{
    /// <summary>Registers this kind's codec (read whole) with <see cref="ArtifactCodecs"/> when EmbedPS.Core loads.</summary>
    [ModuleInitializer]
    internal static void RegisterCodec() => ArtifactCodecs.Register<Embedding>(ArtifactKind.Embedding, FromTable, Write);

    public const int Schema = 1;

    public static void Write(Embedding embedding, string path, CancellationToken cancellation = default)
    {
        int n = embedding.EntityCount, d = embedding.Dimension;
        var columns = new List<ArtifactColumn> { ArtifactColumn.AllEntityIds("entity", embedding.Entities) };
        for (int k = 0; k < d; k++)
        {
            var axis = new float[n];
            for (int i = 0; i < n; i++) axis[i] = embedding.Coordinates[i * d + k];
            columns.Add(new ArtifactColumn("x" + k, axis));
        }
        columns.Add(new ArtifactColumn("popularity", embedding.Popularity));
        var extra = new Dictionary<string, string>
        {
            ["embedps.iterations"] = embedding.Iterations.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["embedps.history"] = JsonSerializer.Serialize(embedding.DistortionHistory),
        };
        if (embedding.FinalDistortion is { } distortion) extra["embedps.distortion"] = distortion.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        if (embedding.StopReason is { } reason) extra["embedps.stop-reason"] = reason;
        if (embedding.Device is { } device) extra["embedps.device"] = device;
        ParquetArtifact.Write(path, ArtifactKind.Embedding, Schema, embedding.Provenance, columns, extra, cancellation);
    }

    public static Embedding Read(string path, CancellationToken cancellation = default) =>
        FromTable(ParquetArtifact.Read(path, ArtifactKind.Embedding, cancellation));

    public static Embedding FromTable(ArtifactTable table)
    {
        var idColumn = table.GetEntityIdColumn("entity");
        var ids = idColumn is long[] l ? EntityIds.FromIntegers(l) : EntityIds.FromStrings((string[])idColumn);
        int d = 0;
        while (table.Has("x" + d)) d++;
        if (d == 0) throw new EmbedPSException("NoCoordinates", EmbedPSErrorKind.InvalidData, $"'{table.Path}' has no coordinate columns x0, x1, ….") { File = table.Path };
        int n = ids.Count;
        var coordinates = new float[n * d];
        for (int k = 0; k < d; k++)
        {
            var axis = table.Get<float>("x" + k);
            for (int i = 0; i < n; i++) coordinates[i * d + k] = axis[i];
        }
        var popularity = table.Get<int>("popularity");
        var history = table.MetadataValue("embedps.history") is { } h
            ? ParquetArtifact.ParseFooter(table.Path, "embedps.history", () => JsonSerializer.Deserialize<double[]>(h) ?? Array.Empty<double>()) : Array.Empty<double>();
        return new Embedding(ids, popularity, d, coordinates, table.Provenance)
        {
            FinalDistortion = double.TryParse(table.MetadataValue("embedps.distortion"), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var dist) ? dist : null,
            Iterations = int.TryParse(table.MetadataValue("embedps.iterations"), out var it) ? it : 0,
            DistortionHistory = history,
            StopReason = table.MetadataValue("embedps.stop-reason"),
            Device = table.MetadataValue("embedps.device"),
        };
    }
}
