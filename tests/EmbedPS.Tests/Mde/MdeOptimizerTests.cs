using EmbedPS.Core.Common;
using EmbedPS.Core.Compute;
using EmbedPS.Core.Mde;
using EmbedPS.Core.NeighborPreservation;
using MathNet.Numerics.LinearAlgebra;
using EmbedPS.Core.Knn;

namespace EmbedPS.Tests.Mde;

[Trait("Category", "Unit")]
public class MdeOptimizerTests
{
    [Fact]
    public void Standardized_constraint_holds_after_every_iteration()
    {
        var graph = MdeTestData.Small(150, ConstraintKind.Standardized);
        int n = graph.EntityCount, checkedIterations = 0;
        var embedding = MinimumDistortionEmbedding.Run(graph.Graph, graph.Configuration, new MdeOptions
        {
            MaxIterations = 40,
            AfterIteration = (_, x) =>
            {
                Assert.True(MdeTestData.StandardizationError(x, n, 3) <= 1e-4, $"XᵀX/n − I = {MdeTestData.StandardizationError(x, n, 3)}");
                Assert.True(MdeTestData.ColumnMeanMax(x, n, 3) <= 1e-4);
                checkedIterations++;
            },
        });
        Assert.Equal(embedding.Iterations, checkedIterations);
        Assert.True(checkedIterations > 10);
    }

    [Fact]
    public void Centered_constraint_holds_and_distortion_decreases()
    {
        var graph = MdeTestData.Small(200);
        int n = graph.EntityCount;
        var embedding = MinimumDistortionEmbedding.Run(graph.Graph, graph.Configuration, new MdeOptions
        {
            MaxIterations = 60,
            AfterIteration = (_, x) => Assert.True(MdeTestData.ColumnMeanMax(x, n, 3) <= 1e-4),
        });
        var history = embedding.DistortionHistory;
        Assert.Equal(60, history.Length);
        for (int i = 1; i < history.Length; i++) Assert.True(history[i] <= history[i - 1] + 1e-9, $"iteration {i + 1}: {history[i]} > {history[i - 1]}");
        // The start (random, centred) has a much larger distortion than the result.
        var problem = MdeProblem.FromGraph(graph.Graph, graph.Configuration);
        var constraint = MdeConstraint.Centered(n, 3);
        double start = new ScalarMdeBackend(problem).Evaluate(constraint.RandomInitialization(graph.Configuration.Seed), new float[n * 3]);
        Assert.True(embedding.FinalDistortion < 0.7 * start, $"final {embedding.FinalDistortion} vs start {start}");
        Assert.Equal(history[^1], embedding.FinalDistortion);
    }

    [Fact]
    public void Planted_two_clusters_come_out_separated()
    {
        var (graph, labels) = MdeTestData.TwoClusters(300);
        var embedding = MinimumDistortionEmbedding.Run(graph.Graph, graph.Configuration, new MdeOptions { MaxIterations = 150 });
        int n = graph.EntityCount, m = embedding.Dimension;
        // Nearest-centroid classification in the embedding recovers the planted clusters, and the centroids are far apart
        // compared with the spread inside the clusters.
        var centroid = new double[2, m];
        var size = new int[2];
        for (int i = 0; i < n; i++) { size[labels[i]]++; for (int a = 0; a < m; a++) centroid[labels[i], a] += embedding.Coordinates[i * m + a]; }
        for (int c = 0; c < 2; c++) for (int a = 0; a < m; a++) centroid[c, a] /= size[c];
        double spread = 0; int correct = 0;
        for (int i = 0; i < n; i++)
        {
            double own = 0, other = 0;
            for (int a = 0; a < m; a++)
            {
                own += Math.Pow(embedding.Coordinates[i * m + a] - centroid[labels[i], a], 2);
                other += Math.Pow(embedding.Coordinates[i * m + a] - centroid[1 - labels[i], a], 2);
            }
            spread += own;
            if (own < other) correct++;
        }
        spread = Math.Sqrt(spread / n);
        double gap = 0;
        for (int a = 0; a < m; a++) gap += Math.Pow(centroid[0, a] - centroid[1, a], 2);
        gap = Math.Sqrt(gap);
        Assert.Equal(n, correct);
        Assert.True(gap > 2 * spread, $"centroid gap {gap}, RMS spread {spread}");
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void Quadratic_standardized_reaches_the_spectral_optimum()
    {
        // Σ w d² subject to XᵀX = nI, 1ᵀX = 0 is minimised by the Laplacian eigenvectors: optimum n·(λ₂ + … + λ_{m+1}).
        // One blob, so the kNN graph is connected and λ₂ > 0.
        var (data, _) = MdeSampleGraphs.GaussianBlobs(80, 4, 1, spread: 0, seed: 8);
        var graph = MdeSampleGraphs.FromKnn(VectorKnn.Exact(data, 80, 4, 6), 1.0, 8);
        var configuration = new EmbeddingConfiguration { Dimension = 2, Constraint = ConstraintKind.Standardized, Init = InitKind.Random, Seed = 8 };
        configuration.AttractivePenalty = PenaltyKind.Quadratic;
        int n = graph.EntityCount;
        var attractive = Enumerable.Range(0, graph.EdgeCount).Where(k => graph.Weights[k] > 0).ToArray();
        var neighbours = new NeighborGraph(graph.Entities, graph.Popularity, attractive.Select(k => graph.EdgeSource[k]).ToArray(),
            attractive.Select(k => graph.EdgeTarget[k]).ToArray(), attractive.Select(k => graph.Weights[k]).ToArray(), new float[attractive.Length]);
        var laplacian = Matrix<double>.Build.Dense(n, n);
        for (int k = 0; k < neighbours.EdgeCount; k++)
        {
            int i = neighbours.EdgeSource[k], j = neighbours.EdgeTarget[k];
            double w = neighbours.Weights[k];
            laplacian[i, j] -= w; laplacian[j, i] -= w; laplacian[i, i] += w; laplacian[j, j] += w;
        }
        var eigenvalues = laplacian.Evd(Symmetricity.Symmetric).EigenValues.Select(v => v.Real).OrderBy(v => v).ToArray();
        Assert.True(eigenvalues[1] > 1e-6, "the test graph must be connected");
        double optimum = n * (eigenvalues[1] + eigenvalues[2]) / neighbours.EdgeCount;
        var embedding = MinimumDistortionEmbedding.Run(neighbours, configuration, new MdeOptions { MaxIterations = 500, Tolerance = 1e-7 });
        Assert.True(embedding.FinalDistortion >= optimum * (1 - 1e-4), $"below the optimum? {embedding.FinalDistortion} < {optimum}");
        Assert.True(embedding.FinalDistortion <= optimum * 1.002, $"MDE {embedding.FinalDistortion} vs spectral optimum {optimum}");
    }

    [Fact]
    public void Same_seed_gives_same_result_and_thread_count_does_not_matter()
    {
        var graph = MdeTestData.Small(200);
        var a = MinimumDistortionEmbedding.Run(graph.Graph, graph.Configuration, new MdeOptions { MaxIterations = 30, Seed = 9 });
        var b = MinimumDistortionEmbedding.Run(graph.Graph, graph.Configuration, new MdeOptions { MaxIterations = 30, Seed = 9, MaxDegreeOfParallelism = 1 });
        var c = MinimumDistortionEmbedding.Run(graph.Graph, graph.Configuration, new MdeOptions { MaxIterations = 30, Seed = 9, MaxDegreeOfParallelism = 3 });
        var other = MinimumDistortionEmbedding.Run(graph.Graph, graph.Configuration, new MdeOptions { MaxIterations = 30, Seed = 10 });
        Assert.Equal(a.Coordinates, b.Coordinates);
        Assert.Equal(a.Coordinates, c.Coordinates);
        Assert.Equal(a.DistortionHistory, c.DistortionHistory);
        Assert.NotEqual(a.Coordinates, other.Coordinates);
    }

    [Fact]
    public void Anchored_keeps_anchors_exactly_and_moves_the_rest()
    {
        var graph = MdeTestData.Small(150);
        var configuration = graph.Configuration;
        configuration.Constraint = ConstraintKind.Anchored;
        var anchors = new[] { 0, 7, 19, 42, 99 };
        var pinned = new float[anchors.Length * 3];
        for (int t = 0; t < pinned.Length; t++) pinned[t] = (t % 5) - 2.5f + t * 0.125f;
        configuration.AnchorIndices = anchors;
        configuration.AnchorCoordinates = pinned;
        int checkedIterations = 0;
        var embedding = MinimumDistortionEmbedding.Run(graph.Graph, graph.Configuration, new MdeOptions
        {
            MaxIterations = 50,
            AfterIteration = (_, x) =>
            {
                for (int t = 0; t < anchors.Length; t++)
                    for (int a = 0; a < 3; a++) Assert.Equal(pinned[t * 3 + a], x[anchors[t] * 3 + a]);
                checkedIterations++;
            },
        });
        Assert.True(checkedIterations > 0);
        for (int t = 0; t < anchors.Length; t++)
            for (int a = 0; a < 3; a++) Assert.Equal(pinned[t * 3 + a], embedding.Coordinates[anchors[t] * 3 + a]);
        Assert.True(embedding.DistortionHistory[^1] < embedding.DistortionHistory[0]);
    }

    [Fact]
    public void Starts_from_given_coordinates_projected_onto_the_constraint()
    {
        var graph = MdeTestData.Small(100, ConstraintKind.Standardized);
        int n = graph.EntityCount;
        var start = new float[n * 3];
        var random = new DeterministicRandom(3, 0);
        for (int t = 0; t < start.Length; t++) start[t] = (float)(5 + 3 * random.NextGaussian());
        graph.Configuration.InitialCoordinates = start;
        var zero = MinimumDistortionEmbedding.Run(graph.Graph, graph.Configuration, new MdeOptions { MaxIterations = 0 });
        Assert.True(MdeTestData.StandardizationError(zero.Coordinates, n, 3) <= 1e-4);
        // The projection of the start is the polar factor: it keeps the centred start's directions, so it correlates with it.
        double dot = 0;
        for (int t = 0; t < start.Length; t++) dot += (start[t] - 5) * zero.Coordinates[t];
        Assert.True(dot > 0);
        Assert.NotEqual(zero.Coordinates, MinimumDistortionEmbedding.Run(graph.Graph, graph.Configuration, new MdeOptions { MaxIterations = 0, Seed = 99 }).Coordinates.Select(v => v + 1).ToArray());
        var seeded = MinimumDistortionEmbedding.Run(graph.Graph, graph.Configuration, new MdeOptions { MaxIterations = 0, Seed = 99 });
        Assert.Equal(zero.Coordinates, seeded.Coordinates); // a given start does not depend on the seed
    }

    [Fact]
    public void Stops_on_tolerance_and_records_why()
    {
        var graph = MdeTestData.Small(60);
        var loose = MinimumDistortionEmbedding.Run(graph.Graph, graph.Configuration, new MdeOptions { MaxIterations = 300, Tolerance = 1e-2 });
        Assert.StartsWith("Converged", loose.StopReason);
        Assert.True(loose.Iterations < 300);
        var capped = MinimumDistortionEmbedding.Run(graph.Graph, graph.Configuration, new MdeOptions { MaxIterations = 5, Tolerance = 0 });
        Assert.Equal(5, capped.Iterations);
        Assert.StartsWith("MaxIterations", capped.StopReason);
    }

    [Fact]
    public void Snapshots_and_verbose_lines()
    {
        var graph = MdeTestData.Small(60);
        var log = new RecordingStageLog();
        var embedding = MinimumDistortionEmbedding.Run(graph.Graph, graph.Configuration, new MdeOptions { MaxIterations = 20, Tolerance = 0, SnapshotEvery = 5, VerboseEvery = 4 }, log);
        Assert.Equal(new[] { 0, 5, 10, 15 }, embedding.Snapshots.Select(s => s.Iteration).ToArray());
        Assert.Equal(5, log.Verbose.Count(line => line.StartsWith("iteration ")));
        Assert.Contains(log.Verbose, line => line.StartsWith("Finished fitting"));
        Assert.Equal(20, log.ProgressCount);
    }

    [Fact]
    public void Cancellation_stops_without_a_result()
    {
        var graph = MdeTestData.Small(100);
        using var source = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => MinimumDistortionEmbedding.Run(graph.Graph, graph.Configuration,
            new MdeOptions { MaxIterations = 100, Tolerance = 0, AfterIteration = (it, _) => { if (it == 3) source.Cancel(); } }, null, source.Token));
    }

    [Fact]
    public void Bad_inputs_give_specific_errors()
    {
        var graph = MdeTestData.Small(50);
        graph.Configuration.InitialCoordinates = new float[7];
        var error = Assert.Throws<EmbedPSException>(() => MinimumDistortionEmbedding.Run(graph.Graph, graph.Configuration, new MdeOptions()));
        Assert.Equal("BadInitialCoordinates", error.ErrorId);
        graph.Configuration.InitialCoordinates = null;
        graph.Configuration.Constraint = ConstraintKind.Anchored;
        graph.Configuration.AnchorIndices = new[] { 3, 500 };
        graph.Configuration.AnchorCoordinates = new float[6];
        Assert.Equal("AnchorOutOfRange", Assert.Throws<EmbedPSException>(() => MinimumDistortionEmbedding.Run(graph.Graph, graph.Configuration, new MdeOptions())).ErrorId);
        Assert.Equal("BadPenaltyExponent", Assert.Throws<EmbedPSException>(() => MdeProblem.Penalty(PenaltyKind.Log1p, -1, 1)).ErrorId);
    }
}
