using EmbedPS.Core.Common;
using EmbedPS.Core.Mde;
using EmbedPS.Core.NeighborPreservation;
using EmbedPS.Core.Projection;
using EmbedPS.Core.Quality;

namespace EmbedPS.Tests.Projections;

[Trait("Category", "Unit")]
public class ProjectionCoreTests
{
    private static (int[] I, float[] D) Brute(float[] data, int n, int dim, int k)
    {
        var indices = new int[n * k]; var distances = new float[n * k];
        for (int i = 0; i < n; i++)
        {
            var (idx, d) = LowDimensionalKnn.Query(data, n, dim, data.AsSpan(i * dim, dim), k, exclude: i);
            Array.Copy(idx, 0, indices, i * k, k); Array.Copy(d, 0, distances, i * k, k);
        }
        return (indices, distances);
    }

    [Theory]
    [InlineData(2, 15)]
    [InlineData(3, 30)]
    [InlineData(4, 7)]
    public void KD_tree_matches_brute_force_including_ties(int dim, int k)
    {
        var rng = new DeterministicRandom(1, dim);
        int n = 1500;
        var data = new float[n * dim];
        // Coordinates on a coarse grid so that many distances tie: the tie rule (smaller index first) must hold too.
        for (int t = 0; t < data.Length; t++) data[t] = rng.NextInt(12);
        var tree = LowDimensionalKnn.Search(data, n, dim, k);
        var (bi, bd) = Brute(data, n, dim, k);
        Assert.Equal(bi, tree.Indices);
        Assert.Equal(bd, tree.Distances);
    }

    [Fact]
    public void PCA_recovers_the_main_axis()
    {
        // Points along (1, 2, 2)/3 with small noise: the first component is that axis, with almost all the variance.
        var rng = new DeterministicRandom(3);
        int n = 2000;
        var data = new float[n * 3];
        for (int i = 0; i < n; i++)
        {
            double t = rng.NextGaussian() * 5;
            data[3 * i] = (float)(t / 3 + rng.NextGaussian() * 0.01);
            data[3 * i + 1] = (float)(2 * t / 3 + rng.NextGaussian() * 0.01);
            data[3 * i + 2] = (float)(2 * t / 3 + rng.NextGaussian() * 0.01 + 7);
        }
        var (scores, variances) = PrincipalComponents.Project(data, n, 3, 2);
        Assert.True(variances[0] > 1000 * variances[1]);
        // Score = projection on the axis, centred.
        double mean0 = Enumerable.Range(0, n).Average(i => (double)data[3 * i]);
        for (int i = 0; i < 20; i++)
        {
            double along = data[3 * i] / 3.0 + 2 * data[3 * i + 1] / 3.0 + 2 * (data[3 * i + 2] - 7) / 3.0;
            Assert.Equal(Math.Abs(along - 3 * mean0), Math.Abs(scores[2 * i]), 1);
        }
    }

    [Fact]
    public void PCA_separates_well_spread_clusters()
    {
        var (data, labels) = ProjectionTestData.Blobs(1000, 3, 4, seed: 21, spread: 15);
        var xy = PrincipalComponents.Project(data, 1000, 3, 2).Scores;
        Assert.True(ProjectionTestData.LabelAccuracy(xy, labels) > 0.85);
    }

    [Theory]
    [InlineData(30.0, false, 2.5)]
    [InlineData(-120.0, true, 0.4)]
    public void Alignment_recovers_a_known_rotation_reflection_and_scale(double angleDegrees, bool reflect, double scale)
    {
        var rng = new DeterministicRandom(5);
        int n = 300;
        var prevX = new float[n]; var prevY = new float[n];
        for (int i = 0; i < n; i++) { prevX[i] = (float)(rng.NextGaussian() * 4); prevY[i] = (float)(rng.NextGaussian() * 2 + 1); }
        var ids = EntityIds.FromIntegers(Enumerable.Range(0, n).Select(i => (long)i).ToArray());
        var previous = new EmbedPS.Core.Projection.Projection(ids, new int[n], prevX, prevY, "Umap");
        // The new layout = previous transformed by (scale, rotation, reflection, translation), in a shuffled entity order.
        double a = angleDegrees * Math.PI / 180;
        var order = Enumerable.Range(0, n).Reverse().ToArray();
        var x = new float[n]; var y = new float[n];
        for (int t = 0; t < n; t++)
        {
            int i = order[t];
            double px = prevX[i], py = reflect ? -prevY[i] : prevY[i];
            x[t] = (float)(scale * (Math.Cos(a) * px - Math.Sin(a) * py) + 3);
            y[t] = (float)(scale * (Math.Sin(a) * px + Math.Cos(a) * py) - 8);
        }
        var fit = ProcrustesAlignment.AlignInPlace(ids.Subset(order), x, y, previous);
        Assert.Equal(1 / scale, fit.Scale, 4);
        Assert.Equal(reflect, fit.Reflected);
        Assert.True(fit.MedianDisplacement < 1e-4);
        for (int t = 0; t < n; t++)
        {
            Assert.Equal(prevX[order[t]], x[t], 3);
            Assert.Equal(prevY[order[t]], y[t], 3);
        }
    }

    private static PointSet Line(params float[] values) =>
        new(EntityIds.FromIntegers(Enumerable.Range(0, values.Length).Select(i => (long)i).ToArray()), values, 1);

    [Fact]
    public void Metrics_on_a_hand_made_swap()
    {
        // Reference 0,1,2,3,4 on a line; the subject swaps entities 1 and 2. Worked by hand for k = 1 (ties → smaller index):
        // the rank excesses sum to 6 both ways, so T = C = 1 − 2·6/(5·1·6) = 0.6; only entity 4 keeps its nearest neighbour.
        var reference = Line(0, 1, 2, 3, 4);
        var subject = Line(0, 2, 1, 3, 4);
        var (t, c, _) = EmbeddingQuality.TrustworthinessContinuity(subject, reference, 1);
        Assert.Equal(0.6, t!.Value, 10);
        Assert.Equal(0.6, c!.Value, 10);
        Assert.Equal(0.2, EmbeddingQuality.NeighborRecall(subject, reference, 1), 10);
    }

    [Fact]
    public void Identical_embedding_scores_one()
    {
        var (data, labels) = ProjectionTestData.Blobs(600, 3, 3, seed: 8);
        var embedding = ProjectionTestData.AsEmbedding(data, 3);
        var report = EmbeddingQuality.Measure(embedding, embedding, 10, ProjectionTestData.LabelMap(labels), "group");
        Assert.Equal(1.0, report.NeighborRecall!.Value, 10);
        Assert.Equal(1.0, report.Trustworthiness!.Value, 10);
        Assert.Equal(1.0, report.Continuity!.Value, 10);
        Assert.Equal(600, report.SharedCount);
        Assert.Equal(600, report.LabelledCount);
    }

    [Fact]
    public void Label_accuracy_counts_majority_votes()
    {
        // Two tight groups of 12 on a line; entity 0 sits in group B's place but is labelled A: it is the only miss.
        var values = new float[24];
        for (int i = 0; i < 12; i++) { values[i] = i * 0.01f; values[12 + i] = 100 + i * 0.01f; }
        values[0] = 100.5f;
        var labels = Enumerable.Range(0, 24).ToDictionary(i => i.ToString(), i => i < 12 ? "A" : "B");
        var (accuracy, labelled) = EmbeddingQuality.LabelAccuracy(Line(values), labels, 10);
        Assert.Equal(24, labelled);
        Assert.Equal(23.0 / 24, accuracy!.Value, 10);
    }

    [Fact]
    public void Average_distortion_uses_the_graph_penalties()
    {
        var ids = EntityIds.FromIntegers([10, 20, 30]);
        var config = new EmbeddingConfiguration { AttractivePenalty = PenaltyKind.Log1p, AttractiveExponent = 1.5, RepulsivePenalty = PenaltyKind.Log, RepulsiveExponent = 1 };
        // Edge (10, 20) neighbour weight 2; pair (10, 30) repulsive weight −0.5.
        var graph = new NeighborGraph(ids, new int[3], [0, 0], [1, 2], [2f, -0.5f], [1f, 3f]);
        var points = new PointSet(ids, [0, 0, 2, 0, 0, 3], 2);
        double expected = (2 * Math.Log(1 + Math.Pow(2, 1.5)) + -0.5 * Math.Log(1 - Math.Exp(-3))) / 2;
        Assert.Equal(expected, EmbeddingQuality.AverageDistortion(points, graph, default, config), 10);
        Assert.Equal(expected, EmbeddingQuality.AverageDistortion(points, graph), 10); // the same as Invoke-Mde's defaults
        var quadratic = new EmbeddingConfiguration { AttractivePenalty = PenaltyKind.Quadratic, RepulsivePenalty = PenaltyKind.Quadratic };
        Assert.Equal((2 * 4.0 - 0.5 * 9.0) / 2, EmbeddingQuality.AverageDistortion(points, graph, default, quadratic), 10);
        var report = EmbeddingQuality.Measure(new Embedding(ids, new int[3], 2, [0, 0, 2, 0, 0, 3]), graph, 1, null, null);
        Assert.Equal(expected, report.AverageDistortion!.Value, 10);
        // Graph recall at k = 1: 10's shortest edge is to 20, and 20 is also its nearest point; 20 → 10 found; 30 has no neighbour edge.
        Assert.Equal(1.0, report.NeighborRecall!.Value, 10);
    }

    [Fact]
    public void Builder_aligns_and_places_new_entities_from_neighbours()
    {
        var (data, labels) = ProjectionTestData.Blobs(400, 3, 4, seed: 12);
        var embedding = ProjectionTestData.AsEmbedding(data, 3);
        var first = ProjectionBuilder.Build(embedding, new ProjectionRequest { Method = ProjectionMethod.Pca });
        Assert.True(first.Quality["recall@10"] > 0.3);
        Assert.True(first.Quality["explained_variance"] > 0.5);
        // Previous projection lacking entity 1: it starts at the mean of its placed neighbours.
        var keep = Enumerable.Range(1, 399).ToArray();
        var partial = new EmbedPS.Core.Projection.Projection(first.Entities.Subset(keep), new int[399],
            keep.Select(i => first.X[i]).ToArray(), keep.Select(i => first.Y[i]).ToArray(), "Pca");
        var start = ProjectionBuilder.MatchInitial(embedding, partial, StageLog.Null, default);
        Assert.Equal(first.X[5], start[10]);
        var knn = LowDimensionalKnn.Search(data, 400, 3, 15);
        double mx = knn.NeighborsOf(0).ToArray().Average(j => (double)first.X[j]);
        Assert.Equal(mx, start[0], 4);
        var aligned = ProjectionBuilder.Build(embedding, new ProjectionRequest { Method = ProjectionMethod.Umap, AlignTo = first, InitialProjection = partial, Umap = new UmapOptions { Epochs = 50 } });
        Assert.True(aligned.Quality.ContainsKey("alignment_median_displacement"));
        Assert.Equal(400, (int)aligned.Quality["alignment_shared"]);
    }

    [Theory]
    [InlineData(ProjectionMethod.Umap)]
    [InlineData(ProjectionMethod.Tsne)]
    [InlineData(ProjectionMethod.Pca)]
    public void Tiny_inputs_give_finite_layouts(ProjectionMethod method)
    {
        var (data, _) = ProjectionTestData.Blobs(6, 3, 2, seed: 3);
        var log = new RecordingStageLog();
        var result = ProjectionBuilder.Build(ProjectionTestData.AsEmbedding(data, 3), new ProjectionRequest { Method = method, Tsne = new TsneOptions { Iterations = 60 } }, log);
        Assert.Equal(6, result.EntityCount);
        Assert.All(result.X.Concat(result.Y), v => Assert.True(float.IsFinite(v)));
        if (method == ProjectionMethod.Tsne) Assert.Contains(log.Warnings, w => w.Contains("perplexity"));
    }

    [Fact]
    public void Non_finite_input_is_rejected_with_its_row()
    {
        var (data, _) = ProjectionTestData.Blobs(50, 3, 2, seed: 1);
        data[3 * 7 + 2] = float.NaN;
        var ex = Assert.Throws<EmbedPSException>(() => ProjectionBuilder.Build(ProjectionTestData.AsEmbedding(data, 3), new ProjectionRequest()));
        Assert.Equal("NonFiniteCoordinate", ex.ErrorId);
        Assert.Equal(8, ex.Row);
        Assert.Contains("entity '8'", ex.Message);
    }

    [Fact]
    public void Entity_neighbors_by_distance_and_by_weight()
    {
        var ids = EntityIds.FromIntegers([1, 2, 3, 4]);
        var embedding = new Embedding(ids, [5, 6, 7, 8], 1, [0, 10, 1, 3]);
        var near = EntityNeighbors.Find(embedding, 1L, 2);
        Assert.Equal([3L, 4L], near.Select(x => (long)x.Neighbor));
        Assert.Equal(1.0, near[0].Distance!.Value, 6);
        var matrix = new EmbedPS.Core.Cooccurrence.CooccurrenceMatrix(ids, new int[4], [0, 3, 4, 5, 6], [1, 2, 3, 0, 0, 0], [2f, 9f, 5f, 2f, 9f, 5f]);
        var strongest = EntityNeighbors.Find(matrix, "1", 2);
        Assert.Equal([3L, 4L], strongest.Select(x => (long)x.Neighbor));
        Assert.Equal(9.0, strongest[0].Weight!.Value);
        Assert.Throws<EmbedPSException>(() => EntityNeighbors.Find(embedding, 99L, 2));
    }
}
