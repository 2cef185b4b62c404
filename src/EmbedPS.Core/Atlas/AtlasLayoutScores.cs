using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Common;
using EmbedPS.Core.Mde;
using EmbedPS.Core.Projection;
using EmbedPS.Core.Quality;
using ProjectionResult = EmbedPS.Core.Projection.Projection;

namespace EmbedPS.Core.Atlas;

/// <summary>
/// The scores the layout picker shows beside each layout's name, so a user comparing a sweep's layouts (as in Emblaze) sees
/// which keeps its embedding best: recall@10 (as ConvertTo-Projection measured it), and, for several layouts of up to
/// <see cref="MaxMeasuredPoints"/> entities, trustworthiness and continuity against the layout's own embedding (by provenance,
/// else the atlas' embedding) and the 10-NN accuracy of the colour field when it is categorical.
/// </summary>
public static class AtlasLayoutScores
{
    /// <summary>Above this many entities only the free scores (recall@10 from the projection) are shown.</summary>
    public const int MaxMeasuredPoints = 200_000;

    /// <summary>Per layout, score name → value (recall@10, trust, cont, acc), in the layouts' order.</summary>
    public static List<SortedDictionary<string, double>> Compute(IReadOnlyList<ProjectionResult> projections, Embedding? embedding, AtlasField? colour,
        EntityIds entities, IStageLog log, CancellationToken cancellation)
    {
        var scores = new List<SortedDictionary<string, double>>();
        bool measure = projections.Count > 1 && entities.Count <= MaxMeasuredPoints && entities.Count > 12;
        Dictionary<string, string>? labels = null;
        if (measure && colour is { Kind: AtlasFieldKind.Category, Codes: { } codes })
        {
            labels = new Dictionary<string, string>(StringComparer.Ordinal);
            for (int i = 0; i < codes.Length && i < entities.Count; i++)
                if (codes[i] != colour.MissingCode && codes[i] >= 0 && codes[i] < colour.Categories.Length) labels[entities.GetText(i)] = colour.Categories[codes[i]];
        }
        var files = new Dictionary<string, object>(StringComparer.Ordinal);
        for (int l = 0; l < projections.Count; l++)
        {
            cancellation.ThrowIfCancellationRequested();
            var p = projections[l];
            var s = new SortedDictionary<string, double>(StringComparer.Ordinal);
            if (p.Quality.TryGetValue("recall@10", out var recall)) s["recall@10"] = recall;
            if (measure)
            {
                log.Progress(0.5, $"Scoring layout {l + 1} of {projections.Count}");
                object? reference = null;
                try
                {
                    reference = QualityReference.Upstream(p, path => files.TryGetValue(path, out var read) ? read : files[path] = ArtifactStore.Read(path, cancellation), log) as Embedding ?? embedding;
                }
                catch (EmbedPSException ex) { log.Warning($"Layout {l + 1}: its embedding could not be read for its scores ({ex.Message})."); reference = embedding; }
                if (reference is not null)
                {
                    var report = EmbeddingQuality.Measure(p, reference, 10, labels, null, EmbeddingQuality.DefaultRankQueries, StageLog.Null, cancellation);
                    if (report.NeighborRecall is { } r) s["recall@10"] = r;
                    if (report.Trustworthiness is { } t) s["trust"] = t;
                    if (report.Continuity is { } c) s["cont"] = c;
                    if (report.LabelAccuracy is { } a) s["acc"] = a;
                }
                else if (labels is not null && EmbeddingQuality.LabelAccuracy(PointSet.From(p), labels, 10, cancellation).Accuracy is { } a) s["acc"] = a;
            }
            scores.Add(s);
        }
        return scores;
    }
}
