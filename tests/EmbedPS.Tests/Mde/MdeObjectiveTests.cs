using EmbedPS.Core.Common;
using EmbedPS.Core.Compute;
using EmbedPS.Core.Mde;

namespace EmbedPS.Tests.Mde;

[Trait("Category", "Unit")]
public class MdeObjectiveTests
{
    /// <summary>The objective written out from the reference's formulas, in double: (1/p) Σ w p(‖x_i − x_j‖).</summary>
    private static double ReferenceObjective(MdeProblem problem, double[] x)
    {
        int m = problem.Dimension;
        double total = 0;
        for (int k = 0; k < problem.EdgeCount; k++)
        {
            double sq = 0;
            for (int a = 0; a < m; a++) { double diff = x[problem.Source[k] * m + a] - x[problem.Target[k] * m + a]; sq += diff * diff; }
            double d = Math.Sqrt(sq), w = problem.Weights[k];
            var pen = problem.PenaltyOf(k);
            double value = pen.Kind switch
            {
                PenaltyKind.Log1p => Math.Log(1 + Math.Pow(d, pen.Exponent)),
                PenaltyKind.Log => Math.Log(-(Math.Exp(-Math.Pow(d, pen.Exponent)) - 1)),
                PenaltyKind.Quadratic => d * d,
                _ => d <= pen.Threshold ? d * d / 2 : pen.Threshold * (d - pen.Threshold / 2),
            };
            total += w * value;
        }
        return total / problem.EdgeCount;
    }

    private static (MdeProblem Problem, float[] X) Setup(MdePenalty attractive, MdePenalty repulsive, int seed = 11)
    {
        var graph = MdeTestData.Small(60);
        var problem = new MdeProblem(graph.EntityCount, 3, graph.EdgeSource, graph.EdgeTarget, graph.Weights, attractive, repulsive);
        var x = MdeConstraint.Centered(graph.EntityCount, 3).RandomInitialization(seed);
        return (problem, x);
    }

    public static TheoryData<string, string> PenaltyPairs => new()
    {
        { "Log1p1.5", "Log1" },
        { "Log1p2", "Log0.7" },
        { "Quadratic", "Log1" },
        { "Huber", "Huber" },
        { "Log1p1.5", "Quadratic" },
    };

    /// <summary>The penalty a test case names ("Log1p1.5", "Log1", "Huber", …); shared with the kernel tests.</summary>
    internal static MdePenalty Parse(string text) => text switch
    {
        "Log1p1.5" => MdePenalty.Log1p(1.5),
        "Log1p2" => MdePenalty.Log1p(2.0),
        "Log1" => MdePenalty.Log(1.0),
        "Log0.7" => MdePenalty.Log(0.7),
        "Quadratic" => MdePenalty.Quadratic(),
        "Huber" => MdePenalty.Huber(0.8),
        _ => throw new ArgumentException(text),
    };

    [Theory]
    [MemberData(nameof(PenaltyPairs))]
    public void Gradient_matches_finite_differences_for_every_penalty(string attractive, string repulsive)
    {
        var (problem, x) = Setup(Parse(attractive), Parse(repulsive));
        var xd = x.Select(v => (double)v).ToArray();
        foreach (IMdeBackend backend in new IMdeBackend[] { new CpuMdeBackend(problem), new ScalarMdeBackend(problem) })
        {
            var gradient = new float[x.Length];
            double value = backend.Evaluate(x, gradient);
            Assert.Equal(ReferenceObjective(problem, xd), value, 5e-5 * Math.Abs(value) + 1e-7);
            double gradientScale = gradient.Max(v => Math.Abs(v));
            Assert.True(gradientScale > 0);
            // Central differences of the double-precision reference, at every coordinate of 20 entities.
            for (int t = 0; t < 60; t++)
            {
                const double h = 1e-5;
                double saved = xd[t];
                xd[t] = saved + h; double plus = ReferenceObjective(problem, xd);
                xd[t] = saved - h; double minus = ReferenceObjective(problem, xd);
                xd[t] = saved;
                double numeric = (plus - minus) / (2 * h);
                Assert.True(Math.Abs(numeric - gradient[t]) <= 2e-3 * gradientScale,
                    $"{backend.DeviceName} {attractive}/{repulsive}: coordinate {t}: analytic {gradient[t]}, numeric {numeric}");
            }
        }
    }

    [Fact]
    public void Penalty_values_match_hand_computed_numbers()
    {
        // log(1 + 2^1.5) = log(3.828427…); −log(1 − e^{−1}) is the repulsive distortion at d = 1 with w = −1.
        Assert.Equal(Math.Log(1 + 2 * Math.Sqrt(2)), MdePenalty.Log1p(1.5).Value(2), 12);
        Assert.Equal(1.5 * Math.Sqrt(2) / (1 + 2 * Math.Sqrt(2)), MdePenalty.Log1p(1.5).Derivative(2), 12);
        Assert.Equal(Math.Log(1 - Math.Exp(-1)), MdePenalty.Log(1).Value(1), 12);
        Assert.Equal(1 / (Math.E - 1), MdePenalty.Log(1).Derivative(1), 12);
        Assert.Equal(0.5 * 0.25, MdePenalty.Huber(1).Value(0.5), 12);
        Assert.Equal(1 * (3 - 0.5), MdePenalty.Huber(1).Value(3), 12);
        Assert.Equal(9, MdePenalty.Quadratic().Value(3), 12);
        // Small-argument branch of log(1 − e^{−t}) stays accurate.
        Assert.Equal(Math.Log(1e-6) - 0.5e-6, MdePenalty.Log(1).Value(1e-6), 9);
    }

    [Fact]
    public void Three_edge_average_distortion_by_hand()
    {
        // Points 0:(0,0) 1:(3,4) 2:(0,1); edges (0,1) w=2 Log1p(1.5), (0,2) w=1 Log1p(1.5), (1,2) w=−1 Log(1).
        var problem = new MdeProblem(3, 2, new[] { 0, 0, 1 }, new[] { 1, 2, 2 }, new[] { 2f, 1f, -1f }, MdePenalty.Log1p(1.5), MdePenalty.Log(1));
        var x = new float[] { 0, 0, 3, 4, 0, 1 };
        double d12 = Math.Sqrt(9 + 9);
        double expected = (2 * Math.Log(1 + Math.Pow(5, 1.5)) + Math.Log(2) - Math.Log(1 - Math.Exp(-d12))) / 3;
        var gradient = new float[6];
        Assert.Equal(expected, new CpuMdeBackend(problem).Evaluate(x, gradient), 5);
        Assert.Equal(expected, new ScalarMdeBackend(problem).Evaluate(x, gradient), 9);
    }

    [Fact]
    public void CPU_backend_agrees_with_scalar_reference_and_ignores_thread_count()
    {
        var graph = MdeTestData.Small(400);
        var problem = MdeProblem.FromGraph(graph.Graph, graph.Configuration);
        var x = MdeConstraint.Centered(graph.EntityCount, 3).RandomInitialization(2);
        var reference = new float[x.Length];
        double referenceValue = new ScalarMdeBackend(problem).Evaluate(x, reference);
        float[]? first = null;
        double firstValue = 0;
        foreach (var threads in new[] { 1, 2, 3, 8 })
        {
            var gradient = new float[x.Length];
            double value = new CpuMdeBackend(problem, threads).Evaluate(x, gradient);
            Assert.Equal(referenceValue, value, 1e-5 * referenceValue);
            double scale = reference.Max(v => Math.Abs(v));
            for (int t = 0; t < x.Length; t++) Assert.True(Math.Abs(reference[t] - gradient[t]) <= 1e-4 * scale, $"coordinate {t}");
            if (first is null) { first = gradient; firstValue = value; }
            else
            {
                Assert.Equal(firstValue, value); // bit-identical whatever the thread count
                Assert.Equal(first, gradient);
            }
        }
    }

    [Fact]
    public void ILGPU_kernels_on_CPU_accelerator_agree_with_CPU_path()
    {
        foreach (var (attractive, repulsive) in new[] { (MdePenalty.Log1p(1.5), MdePenalty.Log(1)), (MdePenalty.Huber(0.7), MdePenalty.Log1p(2)), (MdePenalty.Quadratic(), MdePenalty.Log(0.8)) })
        {
            var graph = MdeTestData.Small(80);
            var problem = new MdeProblem(graph.EntityCount, 3, graph.EdgeSource, graph.EdgeTarget, graph.Weights, attractive, repulsive);
            var x = MdeConstraint.Centered(graph.EntityCount, 3).RandomInitialization(4);
            var cpu = new float[x.Length];
            var gpu = new float[x.Length];
            double cpuValue = new CpuMdeBackend(problem).Evaluate(x, cpu);
            using var emulated = GpuMdeBackend.CreateCpuEmulated(problem);
            double gpuValue = emulated.Evaluate(x, gpu);
            Assert.Equal(cpuValue, gpuValue, 1e-5 * Math.Abs(cpuValue) + 1e-7);
            double scale = cpu.Max(v => Math.Abs(v));
            for (int t = 0; t < x.Length; t++) Assert.True(Math.Abs(cpu[t] - gpu[t]) <= 1e-4 * scale, $"{attractive}: coordinate {t}: cpu {cpu[t]} gpu {gpu[t]}");
        }
    }

    [Fact]
    public void ILGPU_backend_runs_the_whole_optimisation_like_the_CPU_path()
    {
        var graph = MdeTestData.Small(60);
        var problem = MdeProblem.FromGraph(graph.Graph, graph.Configuration);
        var constraint = MdeConstraint.Centered(graph.EntityCount, 3);
        var options = new MdeOptions { MaxIterations = 15 };
        var cpu = MinimumDistortionEmbedding.Optimize(problem, new CpuMdeBackend(problem), constraint, constraint.RandomInitialization(1), options);
        using var emulated = GpuMdeBackend.CreateCpuEmulated(problem);
        var gpu = MinimumDistortionEmbedding.Optimize(problem, emulated, constraint, constraint.RandomInitialization(1), options);
        Assert.Equal(cpu.FinalDistortion, gpu.FinalDistortion, 1e-3 * cpu.FinalDistortion);
        Assert.True(gpu.FinalDistortion < gpu.DistortionHistory[0]);
    }
}
