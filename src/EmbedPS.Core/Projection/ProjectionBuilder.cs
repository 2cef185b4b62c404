using System.Diagnostics;
using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Common;
using EmbedPS.Core.Mde;

namespace EmbedPS.Core.Projection;

public enum ProjectionMethod { Umap, Tsne, Pca }

/// <summary>Everything ConvertTo-Projection asks for.</summary>
public sealed record ProjectionRequest
{
    public ProjectionMethod Method { get; init; } = ProjectionMethod.Umap;
    public UmapOptions Umap { get; init; } = new();
    public TsneOptions Tsne { get; init; } = new();
    /// <summary>Rotate/reflect/scale the result onto this earlier projection (Procrustes on shared ids).</summary>
    public Projection? AlignTo { get; init; }
    /// <summary>Start UMAP/t-SNE from this projection (matched by id; new entities start at the mean of their placed neighbours).</summary>
    public Projection? InitialProjection { get; init; }
    /// <summary>Compute recall@10 against the input and store it in <see cref="Projection.Quality"/>.</summary>
    public bool ComputeQuality { get; init; } = true;
    public SortedDictionary<string, object?> Parameters { get; init; } = new(StringComparer.Ordinal);
    /// <summary>UMAP graphs shared by the combinations of a sweep (null: computed for this projection alone).</summary>
    public UmapGraphCache? GraphCache { get; init; }
}

/// <summary>Runs the chosen method on an Embedding, then optional alignment and quality, and wraps the result as a Projection.</summary>
public static class ProjectionBuilder
{
    public static Projection Build(Embedding input, ProjectionRequest request, IStageLog? log = null, CancellationToken cancellation = default)
    {
        log ??= StageLog.Null;
        int n = input.EntityCount, d = input.Dimension;
        var data = input.Coordinates;
        for (int t = 0; t < data.Length; t++)
        {
            if (!float.IsFinite(data[t]))
                throw new EmbedPSException("NonFiniteCoordinate", EmbedPSErrorKind.InvalidData,
                    $"Embedding row {t / d + 1} (entity '{input.Entities.GetText(t / d)}'), dimension {t % d + 1}: coordinate is {data[t]}.")
                { Row = t / d + 1, Column = $"dim{t % d + 1}", Value = data[t].ToString() };
        }
        var clock = Stopwatch.StartNew();
        float[]? initial = request.InitialProjection is { } start ? MatchInitial(input, start, log, cancellation) : null;
        float[] xy;
        var quality = new SortedDictionary<string, double>(StringComparer.Ordinal);
        switch (request.Method)
        {
            case ProjectionMethod.Pca:
                if (d < 2)
                    log.Warning($"PCA to 2-D of a {d}-D embedding: there is no second component, so Y is 0 for every entity (the map is a line). " +
                                "Embed in 2 or more dimensions (Invoke-Mde -Dimension 2) or use the 1-D coordinates as they are.");
                var (scores, variances) = PrincipalComponents.Project(data, n, d, 2, cancellation);
                xy = scores;
                double total = TotalVariance(data, n, d);
                if (total > 0) quality["explained_variance"] = variances.Sum() / total;
                break;
            case ProjectionMethod.Umap:
            {
                var umap = request.Umap with { InitialCoordinates = initial ?? request.Umap.InitialCoordinates };
                Umap.Validate(n, umap);
                var graph = request.GraphCache?.GraphFor(data, n, d, umap, log, cancellation);
                xy = Umap.Run(data, n, d, umap, log, cancellation, graph: graph);
            }
                break;
            case ProjectionMethod.Tsne:
                xy = Tsne.Run(data, n, d, request.Tsne with { InitialCoordinates = initial ?? request.Tsne.InitialCoordinates }, log, cancellation, out var kl);
                quality["kl_divergence"] = kl;
                break;
            default:
                throw new EmbedPSException("UnknownMethod", EmbedPSErrorKind.InvalidArgument, $"Unknown projection method {request.Method}.");
        }
        log.Verbose($"{request.Method}: {n:N0} entities projected in {clock.Elapsed.TotalSeconds:F2} s.");
        var x = new float[n]; var y = new float[n];
        for (int i = 0; i < n; i++) { x[i] = xy[2 * i]; y[i] = xy[2 * i + 1]; }
        if (request.AlignTo is { } previous)
        {
            var fit = ProcrustesAlignment.AlignInPlace(input.Entities, x, y, previous);
            quality["alignment_median_displacement"] = fit.MedianDisplacement;
            quality["alignment_scale"] = fit.Scale;
            quality["alignment_shared"] = fit.SharedCount;
            log.Verbose($"Aligned onto the previous projection on {fit.SharedCount:N0} shared entities: scale {fit.Scale:G4}, " +
                $"rotation {fit.AngleDegrees:F1}°{(fit.Reflected ? " with reflection" : "")}, median displacement {fit.MedianDisplacement:G4}.");
        }
        if (request.ComputeQuality && n > 11)
        {
            var subject = new PointSet(input.Entities, PointSet.Interleave(x, y), 2);
            var reference = new PointSet(input.Entities, data, d);
            quality["recall@10"] = LayoutRecall.NeighborRecall(subject, reference, 10, null, cancellation);
            log.Verbose($"Recall@10 against the {d}-D input: {quality["recall@10"]:F4}.");
        }
        var parameters = new SortedDictionary<string, object?>(request.Parameters, StringComparer.Ordinal) { ["Method"] = request.Method.ToString() };
        var provenance = Provenance.Derived(input.Provenance, ArtifactKind.Embedding, parameters, input)
            .WithSettings(SweepLabels.ProjectionSettingsOf(request.Method, request.Umap, request.Tsne), []);
        return new Projection(input.Entities, input.Popularity, x, y, request.Method.ToString(), provenance) { Quality = quality };
    }

    private static double TotalVariance(float[] data, int n, int d)
    {
        double total = 0;
        for (int c = 0; c < d; c++)
        {
            double mean = 0, sq = 0;
            for (int i = 0; i < n; i++) mean += data[i * d + c];
            mean /= n;
            for (int i = 0; i < n; i++) { double t = data[i * d + c] - mean; sq += t * t; }
            total += sq / (n - 1);
        }
        return total;
    }

    /// <summary>
    /// Start coordinates from an earlier projection, matched by id. Entities it lacks start at the mean position of their
    /// (up to 15) nearest input-space neighbours that it has, or at its centroid when none of those is placed.
    /// </summary>
    public static float[] MatchInitial(Embedding input, Projection start, IStageLog log, CancellationToken cancellation)
    {
        int n = input.EntityCount;
        var xy = new float[2 * n];
        var placed = new bool[n];
        int matched = 0;
        double cx = 0, cy = 0;
        for (int i = 0; i < n; i++)
        {
            int j = start.Entities.IndexOf(input.Entities[i]);
            if (j < 0) continue;
            xy[2 * i] = start.X[j]; xy[2 * i + 1] = start.Y[j]; placed[i] = true; matched++;
            cx += start.X[j]; cy += start.Y[j];
        }
        if (matched == 0)
            throw new EmbedPSException("InitialProjectionNoOverlap", EmbedPSErrorKind.InvalidData, "-InitialProjection shares no entity with the input.");
        cx /= matched; cy /= matched;
        if (matched < n)
        {
            int k = Math.Min(15, n - 1);
            var knn = LowDimensionalKnn.Search(input.Coordinates, n, input.Dimension, k, null, cancellation);
            for (int i = 0; i < n; i++)
            {
                if (placed[i]) continue;
                double sx = 0, sy = 0; int m = 0;
                foreach (var j in knn.NeighborsOf(i)) if (placed[j]) { sx += xy[2 * j]; sy += xy[2 * j + 1]; m++; }
                xy[2 * i] = (float)(m > 0 ? sx / m : cx);
                xy[2 * i + 1] = (float)(m > 0 ? sy / m : cy);
            }
        }
        log.Verbose($"Initial projection: {matched:N0} of {n:N0} entities matched by id; {n - matched:N0} placed from their neighbours.");
        return xy;
    }
}
