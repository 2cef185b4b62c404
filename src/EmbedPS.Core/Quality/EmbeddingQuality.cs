using System.Globalization;
using EmbedPS.Core.Common;
using EmbedPS.Core.Mde;
using EmbedPS.Core.NeighborPreservation;
using EmbedPS.Core.Knn;
using EmbedPS.Core.Projection;

namespace EmbedPS.Core.Quality;

/// <summary>What <c>Measure-Embedding</c> reports. Null properties were not applicable or not requested.</summary>
public sealed class EmbeddingQualityReport
{
    public string Subject { get; init; } = "";
    public string Reference { get; init; } = "";
    public int EntityCount { get; init; }
    /// <summary>Entities present in both the subject and the reference (the metrics use these).</summary>
    public int SharedCount { get; init; }
    public int K { get; init; }
    /// <summary>Mean share of each entity's k reference neighbours found among its k nearest in the subject.</summary>
    public double? NeighborRecall { get; init; }
    /// <summary>Venna–Kaski trustworthiness at k (1 = no false neighbours).</summary>
    public double? Trustworthiness { get; init; }
    /// <summary>Venna–Kaski continuity at k (1 = no missing neighbours).</summary>
    public double? Continuity { get; init; }
    /// <summary>Query entities used for trustworthiness/continuity (all, or a deterministic sample on large inputs).</summary>
    public int? RankQueries { get; init; }
    public string? LabelProperty { get; init; }
    /// <summary>Leave-one-out majority vote of the 10 nearest labelled neighbours.</summary>
    public double? LabelAccuracy { get; init; }
    public int? LabelledCount { get; init; }
    /// <summary>PyMDE average distortion of the subject under the reference NeighborGraph's penalties.</summary>
    public double? AverageDistortion { get; init; }
    /// <summary>The subject's settings in words ("UMAP · k 15 · min_dist 0.05"): a sweep's row label.</summary>
    public string Caption { get; init; } = "";

    public override string ToString() =>
        $"recall@{K} {Format(NeighborRecall)}, trustworthiness {Format(Trustworthiness)}, continuity {Format(Continuity)}, label accuracy {Format(LabelAccuracy)}";

    private static string Format(double? v) => v is { } d ? d.ToString("F4", CultureInfo.InvariantCulture) : "n/a";
}

/// <summary>Quality measures of a layout against a reference: neighbour recall, trustworthiness, continuity, label accuracy, distortion.</summary>
public static class EmbeddingQuality
{
    /// <summary>Above this many entities, trustworthiness and continuity use a deterministic sample of query entities.</summary>
    public const int DefaultRankQueries = 2000;

    public static EmbeddingQualityReport Measure(object subject, object? reference, int k, IReadOnlyDictionary<string, string>? labels, string? labelProperty,
        int rankQueries = DefaultRankQueries, IStageLog? log = null, CancellationToken cancellation = default, EmbeddingConfiguration? configuration = null)
    {
        log ??= StageLog.Null;
        var points = PointSet.From(subject);
        // What the subject and the reference share comes first: a K out of range is only the symptom of sharing too few.
        if (reference is NeighborGraph or Embedding or Projection.Projection)
        {
            var referenceIds = reference is NeighborGraph g ? g.Entities : PointSet.From(reference).Entities;
            var (both, _) = Match(points.Entities, referenceIds);
            string Describe(EntityIds ids) => $"{ids.Count:N0} entit{(ids.Count == 1 ? "y" : "ies")}{(ids.Count > 0 ? $", first '{ids.GetText(0)}'" : "")}";
            if (both.Length == 0)
                throw new EmbedPSException("NoSharedEntities", EmbedPSErrorKind.InvalidData,
                    $"The {Kind(subject)} and the reference {Kind(reference)} share no entities (the {Kind(subject)}: {Describe(points.Entities)}; the reference: {Describe(referenceIds)}). " +
                    "Measure a layout against the embedding or graph it was made from.");
            if (reference is not NeighborGraph && (k < 1 || k + 1 >= both.Length))
                throw new EmbedPSException("TooFewShared", EmbedPSErrorKind.InvalidData,
                    $"The {Kind(subject)} and the reference {Kind(reference)} share {both.Length:N0} entities (the {Kind(subject)}: {Describe(points.Entities)}; the reference: {Describe(referenceIds)}); " +
                    $"-K {k} needs more than K + 1 = {k + 1} shared entities{(both.Length > 2 ? $" (use -K {both.Length - 2} or less)" : "")}.");
        }
        if (k < 1 || k >= points.Count) throw new EmbedPSException("InvalidK", EmbedPSErrorKind.InvalidArgument, $"-K must be in [1, {points.Count - 1}] for {points.Count:N0} entities, got {k}.");
        double? recall = null, trust = null, continuity = null, distortion = null, accuracy = null;
        int shared = points.Count, labelled = 0;
        int? queries = null;
        string referenceName = "none";
        if (reference is NeighborGraph graph)
        {
            referenceName = graph.ToString();
            var (subjectIndex, graphIndex) = Match(points.Entities, graph.Entities);
            shared = subjectIndex.Length;
            recall = GraphRecall(points, graph, subjectIndex, graphIndex, k, cancellation);
            // Distortion only means something for an embedding of the graph's own problem (not for a 2-D map of it).
            if (subject is Embedding embedding) distortion = AverageDistortion(points, graph, cancellation, configuration ?? ConfigurationOf(embedding));
        }
        else if (reference is not null)
        {
            var refPoints = PointSet.From(reference);
            referenceName = reference.ToString() ?? "reference";
            var (subjectIndex, refIndex) = Match(points.Entities, refPoints.Entities);
            shared = subjectIndex.Length;
            if (shared <= k + 1) throw new EmbedPSException("TooFewShared", EmbedPSErrorKind.InvalidData, $"Subject and reference share {shared} entities; need more than k + 1 = {k + 1}.");
            var a = points.Subset(subjectIndex); var b = refPoints.Subset(refIndex);
            recall = NeighborRecall(a, b, k, log, cancellation);
            (trust, continuity, int used) = TrustworthinessContinuity(a, b, k, rankQueries, cancellation);
            queries = used;
        }
        if (labels is not null)
        {
            (accuracy, labelled) = LabelAccuracy(points, labels, 10, cancellation);
        }
        return new EmbeddingQualityReport
        {
            Subject = subject.ToString() ?? "", Reference = referenceName, EntityCount = points.Count, SharedCount = shared, K = k,
            NeighborRecall = recall, Trustworthiness = trust, Continuity = continuity, RankQueries = queries,
            LabelProperty = labelProperty, LabelAccuracy = accuracy, LabelledCount = labels is null ? null : labelled, AverageDistortion = distortion,
            Caption = SweepLabels.Caption(subject),
        };
    }

    private static string Kind(object stageObject) => stageObject switch
    {
        Embedding => "embedding",
        Projection.Projection => "projection",
        NeighborGraph => "neighbour graph",
        _ => stageObject.GetType().Name,
    };

    private static (int[] A, int[] B) Match(EntityIds a, EntityIds b)
    {
        if (a.SequenceEqual(b)) { var all = Enumerable.Range(0, a.Count).ToArray(); return (all, all); }
        var ia = new List<int>(); var ib = new List<int>();
        for (int i = 0; i < a.Count; i++) { int j = b.IndexOf(a[i]); if (j >= 0) { ia.Add(i); ib.Add(j); } }
        return (ia.ToArray(), ib.ToArray());
    }

    /// <summary>Mean over points of |kNN_subject(i) ∩ kNN_reference(i)| / k (both exact); see <see cref="LayoutRecall.NeighborRecall"/>.</summary>
    public static double NeighborRecall(PointSet subject, PointSet reference, int k, IStageLog? log = null, CancellationToken cancellation = default) =>
        LayoutRecall.NeighborRecall(subject, reference, k, log, cancellation);

    public static double RecallOf(KnnResult subject, KnnResult reference) => LayoutRecall.RecallOf(subject, reference);

    private static double? GraphRecall(PointSet points, NeighborGraph graph, int[] subjectIndex, int[] graphIndex, int k, CancellationToken cancellation)
    {
        // Reference neighbours: each entity's positive (neighbour) edges, the k shortest by their graph distance.
        var toSubject = new int[graph.EntityCount];
        Array.Fill(toSubject, -1);
        for (int t = 0; t < graphIndex.Length; t++) toSubject[graphIndex[t]] = subjectIndex[t];
        var lists = new List<(float Distance, int Subject)>[points.Count];
        for (int e = 0; e < graph.EdgeCount; e++)
        {
            if (graph.Weights[e] <= 0) continue;
            int a = toSubject[graph.EdgeSource[e]], b = toSubject[graph.EdgeTarget[e]];
            if (a < 0 || b < 0) continue;
            (lists[a] ??= new()).Add((graph.Distances[e], b));
            (lists[b] ??= new()).Add((graph.Distances[e], a));
        }
        var knn = LowDimensionalKnn.Search(points.Coordinates, points.Count, points.Dimension, k, null, cancellation);
        double sum = 0; int counted = 0;
        for (int i = 0; i < points.Count; i++)
        {
            var list = lists[i];
            if (list is null || list.Count == 0) continue;
            list.Sort((x, y) => x.Distance != y.Distance ? x.Distance.CompareTo(y.Distance) : x.Subject.CompareTo(y.Subject));
            int take = Math.Min(k, list.Count), hits = 0;
            var found = knn.NeighborsOf(i);
            for (int t = 0; t < take; t++) if (found.Contains(list[t].Subject)) hits++;
            sum += (double)hits / take; counted++;
        }
        return counted == 0 ? null : sum / counted;
    }

    /// <summary>
    /// Trustworthiness and continuity (Venna &amp; Kaski 2001):
    /// T(k) = 1 − 2/(n·k·(2n − 3k − 1)) · Σ_i Σ_{j ∈ U_k(i)} (r(i, j) − k), U_k(i) = subject neighbours that are not reference
    /// neighbours, r = rank in the reference; continuity swaps the roles. With more than <paramref name="maxQueries"/> points (or fewer when
    /// n·(d_subject + d_reference) is large: about 10⁹ operations in all, at least 100 queries) the sum runs over an evenly spaced
    /// sample of query points and is scaled by n/|sample|.
    /// </summary>
    public static (double? Trustworthiness, double? Continuity, int Queries) TrustworthinessContinuity(PointSet subject, PointSet reference, int k,
        int maxQueries = DefaultRankQueries, CancellationToken cancellation = default)
    {
        int n = subject.Count;
        double denominator = (double)k * (2 * n - 3 * k - 1);
        if (denominator <= 0) return (null, null, 0);
        var s = LowDimensionalKnn.Search(subject.Coordinates, n, subject.Dimension, k, null, cancellation);
        var r = LowDimensionalKnn.Search(reference.Coordinates, n, reference.Dimension, k, null, cancellation);
        // Each query costs n·(d_subject + d_reference) operations: keep the total near 10⁹ on wide references.
        long perQuery = (long)n * (subject.Dimension + reference.Dimension);
        int affordable = (int)Math.Clamp(1_000_000_000L / Math.Max(1, perQuery), 100, int.MaxValue);
        int queries = Math.Min(n, Math.Max(1, Math.Min(maxQueries, affordable)));
        var trustSums = new double[queries];
        var contSums = new double[queries];
        Parallel.For(0, queries, new ParallelOptions { CancellationToken = cancellation }, () => new float[n], (q, _, distances) =>
        {
            int i = (int)((long)q * n / queries);
            var sn = s.NeighborsOf(i); var rn = r.NeighborsOf(i);
            trustSums[q] = RankExcess(reference, i, sn, rn, k, distances);
            contSums[q] = RankExcess(subject, i, rn, sn, k, distances);
            return distances;
        }, _ => { });
        double scale = (double)n / queries;
        return (1 - 2 * scale * trustSums.Sum() / (n * denominator), 1 - 2 * scale * contSums.Sum() / (n * denominator), queries);
    }

    /// <summary>Σ over j in <paramref name="candidates"/> but not in <paramref name="truth"/> of (rank of j around i in <paramref name="space"/> − k).</summary>
    private static double RankExcess(PointSet space, int i, ReadOnlySpan<int> candidates, ReadOnlySpan<int> truth, int k, float[] distances)
    {
        Span<int> missing = stackalloc int[candidates.Length];
        int m = 0;
        foreach (var j in candidates) if (!truth.Contains(j)) missing[m++] = j;
        if (m == 0) return 0;
        int n = space.Count, dim = space.Dimension;
        var query = space.Coordinates.AsSpan(i * dim, dim);
        for (int l = 0; l < n; l++)
        {
            float d = 0;
            for (int c = 0; c < dim; c++) { float t = space.Coordinates[l * dim + c] - query[c]; d += t * t; }
            distances[l] = d;
        }
        double sum = 0;
        for (int t = 0; t < m; t++)
        {
            int j = missing[t];
            float dj = distances[j];
            int rank = 1;
            for (int l = 0; l < n; l++)
            {
                if (l == i || l == j) continue;
                if (Candidates.Before(distances[l], l, dj, j)) rank++;
            }
            sum += rank - k;
        }
        return sum;
    }

    /// <summary>Leave-one-out k-NN vote: the majority label of the <paramref name="voters"/> nearest labelled points (ties: the label met first).</summary>
    public static (double? Accuracy, int Labelled) LabelAccuracy(PointSet points, IReadOnlyDictionary<string, string> labels, int voters = 10, CancellationToken cancellation = default)
    {
        int n = points.Count;
        var labelOf = new int[n];
        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        int labelled = 0;
        for (int i = 0; i < n; i++)
        {
            if (labels.TryGetValue(points.Entities.GetText(i), out var label) && !string.IsNullOrEmpty(label))
            {
                if (!names.TryGetValue(label, out var id)) names[label] = id = names.Count;
                labelOf[i] = id; labelled++;
            }
            else labelOf[i] = -1;
        }
        if (labelled < 2) return (null, labelled);
        int k = Math.Min(n - 1, voters * 2 + 10);
        var knn = LowDimensionalKnn.Search(points.Coordinates, n, points.Dimension, k, null, cancellation);
        int correct = 0;
        var counts = new int[names.Count];
        for (int i = 0; i < n; i++)
        {
            if (labelOf[i] < 0) continue;
            int used = 0, best = -1, bestCount = 0;
            var seen = new List<int>();
            foreach (var j in knn.NeighborsOf(i))
            {
                if (labelOf[j] < 0) continue;
                int c = ++counts[labelOf[j]];
                seen.Add(labelOf[j]);
                if (++used == voters) break;
            }
            foreach (var l in seen) if (counts[l] > bestCount) { bestCount = counts[l]; best = l; }
            foreach (var l in seen) counts[l] = 0;
            if (best == labelOf[i]) correct++;
        }
        return ((double)correct / labelled, labelled);
    }

    /// <summary>
    /// The penalties an embedding was optimised with, as Invoke-Mde records them in its provenance (an embedding from
    /// elsewhere: Invoke-Mde's defaults). Anchors are not recorded; pass the configuration to measure an anchored problem.
    /// </summary>
    public static EmbeddingConfiguration ConfigurationOf(Embedding embedding)
    {
        var parameters = embedding.Provenance.Parameters;
        var configuration = new EmbeddingConfiguration { Dimension = embedding.Dimension };
        if (parameters.GetValueOrDefault("AttractivePenalty") is string a && Enum.TryParse<PenaltyKind>(a, out var attractive)) configuration.AttractivePenalty = attractive;
        if (parameters.GetValueOrDefault("RepulsivePenalty") is string r && Enum.TryParse<PenaltyKind>(r, out var repulsive)) configuration.RepulsivePenalty = repulsive;
        if (parameters.GetValueOrDefault("AttractiveExponent") is { } ae) configuration.AttractiveExponent = Convert.ToDouble(ae, System.Globalization.CultureInfo.InvariantCulture);
        if (parameters.GetValueOrDefault("RepulsiveExponent") is { } re) configuration.RepulsiveExponent = Convert.ToDouble(re, System.Globalization.CultureInfo.InvariantCulture);
        if (parameters.GetValueOrDefault("HuberThreshold") is { } h) configuration.HuberThreshold = Convert.ToDouble(h, System.Globalization.CultureInfo.InvariantCulture);
        return configuration;
    }

    /// <summary>
    /// PyMDE average distortion of the points under the graph's problem — the same <see cref="MdeProblem"/> Invoke-Mde builds
    /// (anchor–anchor edges dropped under an Anchored constraint, w ≥ 0 attractive) with the penalties of
    /// <paramref name="configuration"/> (default: Invoke-Mde's defaults, Log1p 1.5 / Log 1) and the same penalty code
    /// (<see cref="MdePenalty.Value"/>), so both report the same number. Edges with an end missing from the points are left out.
    /// </summary>
    public static double AverageDistortion(PointSet points, NeighborGraph graph, CancellationToken cancellation = default, EmbeddingConfiguration? configuration = null)
    {
        if (graph.EdgeCount == 0) return 0;
        int dim = points.Dimension;
        var config = (configuration ?? new EmbeddingConfiguration()).Clone();
        config.Dimension = dim;
        var problem = MdeProblem.FromGraph(graph, config);
        var map = new int[graph.EntityCount];
        for (int t = 0; t < graph.EntityCount; t++) map[t] = points.Entities.IndexOf(graph.Entities[t]);
        var coordinates = new float[(long)graph.EntityCount * dim];
        for (int t = 0; t < graph.EntityCount; t++)
            if (map[t] >= 0) Array.Copy(points.Coordinates, (long)map[t] * dim, coordinates, (long)t * dim, dim);
        cancellation.ThrowIfCancellationRequested();
        return problem.Restrict(t => map[t] >= 0).AverageDistortion(coordinates);
    }
}
