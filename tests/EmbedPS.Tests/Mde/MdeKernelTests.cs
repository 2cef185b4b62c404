using EmbedPS.Core.Common;
using EmbedPS.Core.Mde;

namespace EmbedPS.Tests.Mde;

/// <summary>The packed AVX2 kernel (dimensions 1–4), its log/exp, and the renumbered solve.</summary>
[Trait("Category", "Unit")]
public class MdeKernelTests
{
    [Fact]
    public void FastMath_log_and_exp_are_accurate_to_a_few_ulp()
    {
        if (!CpuMdeBackend.PackedKernelSupported) return;
        var random = new Random(4);
        double worstLog = 0, worstExp = 0;
        for (int trial = 0; trial < 20_000; trial++)
        {
            var x = new float[8];
            var e = new float[8];
            for (int k = 0; k < 8; k++)
            {
                x[k] = (float)Math.Exp(random.NextDouble() * 170 - 85); // 1e-37 … 1e37
                e[k] = (float)(random.NextDouble() * 170 - 85);
            }
            var log = FastMath.Log(System.Runtime.Intrinsics.Vector256.Create(x));
            var exp = FastMath.Exp(System.Runtime.Intrinsics.Vector256.Create(e));
            for (int k = 0; k < 8; k++)
            {
                double exactLog = Math.Log(x[k]);
                worstLog = Math.Max(worstLog, Math.Abs(log[k] - exactLog) / Math.Max(Math.Abs(exactLog), 1e-3));
                double exactExp = Math.Exp(e[k]);
                worstExp = Math.Max(worstExp, Math.Abs(exp[k] - exactExp) / exactExp);
            }
        }
        Assert.True(worstLog < 1e-6, $"log relative error {worstLog}");
        Assert.True(worstExp < 1e-6, $"exp relative error {worstExp}");
        var special = FastMath.LogOrMinusInfinity(System.Runtime.Intrinsics.Vector256.Create(0f, 1f, 1e-39f, 2f, 0.5f, 1e30f, 3f, 1e-30f));
        Assert.Equal(float.NegativeInfinity, special[0]);
        Assert.Equal(0f, special[1]);
        Assert.Equal(float.NegativeInfinity, special[2]);
        Assert.Equal(Math.Log(2), special[3], 6);
    }

    public static TheoryData<int, string, string> DimensionsAndPenalties => new()
    {
        { 1, "Log1p1.5", "Log1" }, { 2, "Log1p1.5", "Log1" }, { 3, "Log1p1.5", "Log1" }, { 4, "Log1p1.5", "Log1" },
        { 3, "Log1p2", "Log0.7" }, { 2, "Quadratic", "Log1" }, { 4, "Huber", "Huber" }, { 3, "Log1p1.5", "Quadratic" },
    };

    private static MdePenalty Parse(string text) => MdeObjectiveTests.Parse(text);

    [Theory]
    [MemberData(nameof(DimensionsAndPenalties))]
    public void Packed_kernel_agrees_with_the_scalar_reference(int dimension, string attractive, string repulsive)
    {
        var graph = MdeTestData.Small(300, dimension: dimension);
        var problem = new MdeProblem(graph.EntityCount, dimension, graph.EdgeSource, graph.EdgeTarget, graph.Weights, Parse(attractive), Parse(repulsive));
        var x = MdeConstraint.Centered(graph.EntityCount, dimension).RandomInitialization(6);
        var reference = new float[x.Length];
        double referenceValue = new ScalarMdeBackend(problem).Evaluate(x, reference);
        double scale = reference.Max(v => Math.Abs(v));
        float[]? first = null;
        foreach (var (threads, prefetch) in new[] { (1, false), (2, true), (3, false), (8, true) })
        {
            var gradient = new float[x.Length];
            double value = new CpuMdeBackend(problem, threads, prefetch).Evaluate(x, gradient);
            Assert.Equal(referenceValue, value, 2e-5 * Math.Abs(referenceValue) + 1e-7);
            for (int t = 0; t < x.Length; t++) Assert.True(Math.Abs(reference[t] - gradient[t]) <= 1e-4 * scale, $"coordinate {t}: {gradient[t]} vs {reference[t]}");
            if (first is null) first = gradient;
            else Assert.Equal(first, gradient); // neither the thread count nor prefetching changes a bit
        }
    }

    [Fact]
    public void Zero_length_repulsive_pair_gives_infinite_distortion_and_finite_gradient()
    {
        // Entities 0 and 1 coincide and are a repulsive pair: the distortion is +∞ (the line search backs off from such
        // points); the gradient stays finite.
        var problem = new MdeProblem(3, 3, new[] { 0, 0, 1 }, new[] { 1, 2, 2 }, new[] { -1f, 1f, 2f }, MdePenalty.Log1p(1.5), MdePenalty.Log(1));
        var x = new float[] { 1, 2, 3, 1, 2, 3, 0, 0, 1 };
        var gradient = new float[9];
        Assert.Equal(double.PositiveInfinity, new CpuMdeBackend(problem).Evaluate(x, gradient));
        Assert.All(gradient, v => Assert.True(float.IsFinite(v)));
        x[0] = float.NaN;
        Assert.True(double.IsNaN(new CpuMdeBackend(problem).Evaluate(x, gradient)));
    }

    [Fact]
    public void Breadth_first_order_is_a_permutation_that_keeps_neighbours_close()
    {
        // A path 0–1–…–n−1 numbered at random: the order must put path neighbours next to each other.
        int n = 500;
        var random = new Random(2);
        var label = Enumerable.Range(0, n).OrderBy(_ => random.Next()).ToArray();
        var source = Enumerable.Range(0, n - 1).Select(i => label[i]).ToArray();
        var target = Enumerable.Range(1, n - 1).Select(i => label[i]).ToArray();
        var order = MdeOrdering.BreadthFirst(n, source, target, n - 1);
        Assert.Equal(Enumerable.Range(0, n), order.OrderBy(v => v));
        var position = MdeOrdering.Inverse(order);
        for (int k = 0; k < n - 1; k++) Assert.Equal(1, Math.Abs(position[source[k]] - position[target[k]]));
        Assert.Equal(order, MdeOrdering.BreadthFirst(n, source, target, n - 1));
    }

    [Fact]
    public void Renumbered_solve_matches_the_plain_one_and_does_not_depend_on_threads()
    {
        var graph = MdeTestData.Small(400);
        var plain = MinimumDistortionEmbedding.Run(graph.Graph, graph.Configuration, new MdeOptions { MaxIterations = 40, Seed = 3, ReorderFrom = int.MaxValue });
        var options = new MdeOptions { MaxIterations = 40, Seed = 3, ReorderFrom = 0 };
        var renumbered = MinimumDistortionEmbedding.Run(graph.Graph, graph.Configuration, options);
        var oneThread = MinimumDistortionEmbedding.Run(graph.Graph, graph.Configuration, options with { MaxDegreeOfParallelism = 1 });
        var threeThreads = MinimumDistortionEmbedding.Run(graph.Graph, graph.Configuration, options with { MaxDegreeOfParallelism = 3 });
        Assert.Equal(renumbered.Coordinates, oneThread.Coordinates);
        Assert.Equal(renumbered.Coordinates, threeThreads.Coordinates);
        // Same start, same problem: only rounding differs, so after 40 iterations the two are close.
        Assert.Equal(plain.DistortionHistory[0], renumbered.DistortionHistory[0], 1e-4 * plain.DistortionHistory[0]);
        Assert.Equal(plain.FinalDistortion!.Value, renumbered.FinalDistortion!.Value, 1e-2 * plain.FinalDistortion.Value);
        // The coordinates come back in the graph's order: the reported distortion is the graph's distortion of them.
        var problem = MdeProblem.FromGraph(graph.Graph, graph.Configuration);
        Assert.Equal(renumbered.FinalDistortion.Value, problem.AverageDistortion(renumbered.Coordinates), 1e-4 * renumbered.FinalDistortion.Value);
    }

    [Fact]
    public void Renumbered_solve_keeps_anchors_snapshots_and_callbacks_in_graph_order()
    {
        var graph = MdeTestData.Small(150);
        var configuration = graph.Configuration;
        configuration.Constraint = ConstraintKind.Anchored;
        var anchors = new[] { 0, 7, 19, 42, 99 };
        var pinned = new float[anchors.Length * 3];
        for (int t = 0; t < pinned.Length; t++) pinned[t] = (t % 5) - 2.5f + t * 0.125f;
        configuration.AnchorIndices = anchors;
        configuration.AnchorCoordinates = pinned;
        int calls = 0;
        var embedding = MinimumDistortionEmbedding.Run(graph.Graph, configuration, new MdeOptions
        {
            MaxIterations = 20,
            SnapshotEvery = 5,
            ReorderFrom = 0,
            AfterIteration = (_, x) =>
            {
                for (int t = 0; t < anchors.Length; t++)
                    for (int a = 0; a < 3; a++) Assert.Equal(pinned[t * 3 + a], x[anchors[t] * 3 + a]);
                calls++;
            },
        });
        Assert.True(calls > 0);
        foreach (var snapshot in embedding.Snapshots)
            for (int t = 0; t < anchors.Length; t++)
                for (int a = 0; a < 3; a++) Assert.Equal(pinned[t * 3 + a], snapshot.Coordinates[anchors[t] * 3 + a]);
        for (int t = 0; t < anchors.Length; t++)
            for (int a = 0; a < 3; a++) Assert.Equal(pinned[t * 3 + a], embedding.Coordinates[anchors[t] * 3 + a]);
    }

    [Fact]
    public void Renumbered_spectral_start_reaches_the_same_quality()
    {
        var graph = MdeTestData.Small(300);
        var configuration = graph.Configuration;
        configuration.Init = InitKind.Quadratic;
        var plain = MinimumDistortionEmbedding.Run(graph.Graph, configuration, new MdeOptions { MaxIterations = 60, ReorderFrom = int.MaxValue });
        var renumbered = MinimumDistortionEmbedding.Run(graph.Graph, configuration, new MdeOptions { MaxIterations = 60, ReorderFrom = 0 });
        Assert.Equal(plain.DistortionHistory[0], renumbered.DistortionHistory[0], 2e-3 * plain.DistortionHistory[0]);
        Assert.Equal(plain.FinalDistortion!.Value, renumbered.FinalDistortion!.Value, 1e-2 * plain.FinalDistortion.Value);
    }
}
