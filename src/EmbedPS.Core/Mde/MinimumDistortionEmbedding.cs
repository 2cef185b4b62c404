using System.Diagnostics;
using System.Globalization;
using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Common;
using EmbedPS.Core.Compute;
using EmbedPS.Core.NeighborPreservation;

namespace EmbedPS.Core.Mde;

/// <summary>
/// Minimum-distortion embedding of a <see cref="NeighborGraph"/> (Agrawal, Ali and Boyd, "Minimum-Distortion Embedding";
/// PyMDE's MDE.embed): minimise the average distortion (1/p) Σ_k w_k p(d_k) over the constraint set by projected L-BFGS.
/// </summary>
public static class MinimumDistortionEmbedding
{
    /// <summary>Embeds the graph as the configuration describes (dimension, penalties, constraint, start) and returns the
    /// embedding with its optimiser record.</summary>
    public static Embedding Run(NeighborGraph graph, EmbeddingConfiguration configuration, MdeOptions options, IStageLog? log = null, CancellationToken cancellation = default)
    {
        log ??= StageLog.Null;
        int n = graph.EntityCount, m = configuration.Dimension;
        if (options.MaxIterations < 0) throw new EmbedPSException("BadMaxIterations", EmbedPSErrorKind.InvalidArgument, $"MaxIterations must be ≥ 0, not {options.MaxIterations}.");
        // Large problems are solved in a renumbering that keeps graph neighbours close in memory (MdeOrdering); the start
        // is built in the graph's order and renumbered, and every result is put back in the graph's order.
        var orderClock = Stopwatch.StartNew();
        var problem = MdeProblem.FromGraph(graph, configuration, reorder: n >= options.ReorderFrom);
        var order = problem.Order;
        if (order is not null) log.Verbose($"Solving in breadth-first vertex order (built in {orderClock.Elapsed.TotalSeconds:F2} s).");
        if (problem.AttractiveCount == 0)
            throw new EmbedPSException("DegenerateInput", EmbedPSErrorKind.InvalidData,
                $"The neighbour graph ({graph.EntityCount:N0} entities) has no neighbour edges{(problem.EdgeCount > 0 ? $", only {problem.EdgeCount:N0} repulsive pairs" : "")}: " +
                "there is nothing to preserve, and the embedding would only spread the points apart (or collapse them). Check the co-occurrence matrix: no pair co-occurs.")
            { File = graph.Provenance.ArtifactPath };
        var constraint = CreateConstraint(configuration, n, m, options.MaxDegreeOfParallelism, order is null ? null : MdeOrdering.Inverse(order));
        int seed = options.Seed ?? configuration.Seed;
        var startConfiguration = configuration.Seed == seed ? configuration : Reseeded(configuration, seed);
        float[]? initial;
        bool initialInProblemOrder = false;
        if (order is not null && startConfiguration.InitialCoordinates is null && startConfiguration.Init == InitKind.Quadratic)
        {
            // The spectral start on the renumbered edges: its sparse products get the same locality as the solve.
            initial = MdeStart.Spectral(n, problem.Source, problem.Target, problem.Weights, graph.Popularity, order, m, seed, log, cancellation);
            initialInProblemOrder = true;
        }
        else initial = MdeStart.Coordinates(graph, startConfiguration, log, cancellation);
        var start = StartingPoint(graph, problem, constraint, initial, configuration.Init, seed, log, initialInProblemOrder);
        using var backend = CreateBackend(problem, options, log);
        var solveOptions = order is null || options.AfterIteration is not { } after ? options
            : options with { AfterIteration = (iteration, x) => after(iteration, ToGraphOrder(x, order, m)) };
        var result = Optimize(problem, backend, constraint, start, solveOptions, log, cancellation);
        if (order is not null)
        {
            result = result with
            {
                Coordinates = ToGraphOrder(result.Coordinates, order, m),
                Snapshots = result.Snapshots.Select(s => s with { Coordinates = ToGraphOrder(s.Coordinates, order, m) }).ToList(),
            };
        }
        var parameters = new Dictionary<string, object?>
        {
            ["MaxIterations"] = options.MaxIterations,
            ["Tolerance"] = options.Tolerance,
            ["Memory"] = options.Memory,
            ["Seed"] = seed,
            ["Device"] = options.Device.ToString(),
            ["Dimension"] = m,
            ["Constraint"] = configuration.Constraint.ToString(),
            ["AttractivePenalty"] = configuration.AttractivePenalty.ToString(),
            ["RepulsivePenalty"] = configuration.RepulsivePenalty.ToString(),
            ["AttractiveExponent"] = configuration.AttractiveExponent,
            ["RepulsiveExponent"] = configuration.RepulsiveExponent,
            ["HuberThreshold"] = configuration.HuberThreshold,
            ["Init"] = initial is null ? "Random" : configuration.Init.ToString(),
        };
        // The graph stays reachable from its embedding (Measure-Embedding's reference when none is given); the sweepable
        // settings go beside the graph's, for a sweep's table and names.
        var provenance = Provenance.Derived(graph.Provenance, ArtifactKind.NeighborGraph, parameters, graph)
            .WithSettings([new(MdeSettings.Dimension.Name, m), new(MdeSettings.AttractivePenalty.Name, configuration.AttractivePenalty.ToString())], []);
        return new Embedding(graph.Entities, graph.Popularity, m, result.Coordinates, provenance)
        {
            FinalDistortion = result.FinalDistortion,
            Iterations = result.Iterations,
            DistortionHistory = result.DistortionHistory,
            Snapshots = result.Snapshots,
            StopReason = result.StopReason,
            Device = backend.DeviceName,
        };
    }

    private static EmbeddingConfiguration Reseeded(EmbeddingConfiguration configuration, int seed)
    {
        var copy = configuration.Clone();
        copy.Seed = seed;
        return copy;
    }

    /// <summary>The constraint the configuration names; with <paramref name="position"/> (graph index → problem index of a
    /// renumbered problem) the anchors are renumbered too.</summary>
    public static MdeConstraint CreateConstraint(EmbeddingConfiguration configuration, int n, int m, int maxDegreeOfParallelism = -1, int[]? position = null) => configuration.Constraint switch
    {
        ConstraintKind.Standardized => MdeConstraint.Standardized(n, m, maxDegreeOfParallelism),
        ConstraintKind.Centered => MdeConstraint.Centered(n, m, maxDegreeOfParallelism),
        ConstraintKind.Anchored => MdeConstraint.Anchored(n, m, Renumbered(configuration.AnchorIndices ?? Array.Empty<int>(), n, position),
            configuration.AnchorCoordinates ?? Array.Empty<float>(), maxDegreeOfParallelism),
        _ => throw new EmbedPSException("BadConstraint", EmbedPSErrorKind.InvalidArgument, $"Unknown constraint {configuration.Constraint}."),
    };

    // Invalid anchor lists (out of range, duplicated) are passed as given, so that Anchored's error names the graph's index.
    private static int[] Renumbered(int[] indices, int n, int[]? position) =>
        position is null || indices.Any(a => (uint)a >= (uint)n) || indices.Distinct().Count() != indices.Length ? indices : indices.Select(a => position[a]).ToArray();

    /// <summary>Rows of a problem-order matrix put back in the graph's order: <c>result[order[v]] = x[v]</c>.</summary>
    internal static float[] ToGraphOrder(float[] x, int[] order, int m)
    {
        var result = new float[x.Length];
        for (int v = 0; v < order.Length; v++) Array.Copy(x, v * m, result, order[v] * m, m);
        return result;
    }

    /// <summary>Rows of a graph-order matrix in the problem's order: <c>result[v] = x[order[v]]</c>.</summary>
    internal static float[] ToProblemOrder(float[] x, int[] order, int m)
    {
        var result = new float[x.Length];
        for (int v = 0; v < order.Length; v++) Array.Copy(x, order[v] * m, result, v * m, m);
        return result;
    }

    /// <summary>
    /// The start: the given initial coordinates (spectral start or a previous embedding, see <see cref="MdeStart"/>) projected
    /// onto the constraint, else PyMDE's seeded random start for the constraint. Like PyMDE, if an edge has zero length the start is perturbed by
    /// 1e-4·N(0, 1) noise (the penalties are not differentiable at d = 0).
    /// </summary>
    /// <remarks>For a renumbered problem (<see cref="MdeProblem.Order"/>), <paramref name="initial"/> is in the graph's order
    /// unless <paramref name="initialInProblemOrder"/>, the random draws are made in the graph's order, and the result is in
    /// the problem's order: the start does not depend on the renumbering.</remarks>
    public static float[] StartingPoint(NeighborGraph graph, MdeProblem problem, MdeConstraint constraint, float[]? initial, InitKind init, int seed, IStageLog log,
        bool initialInProblemOrder = false)
    {
        int n = problem.EntityCount, m = problem.Dimension;
        var order = problem.Order;
        int GraphRow(int row) => order is not null && initialInProblemOrder ? order[row] : row;
        float[] x;
        if (initial is not null)
        {
            if (initial.Length != (long)n * m)
                throw new EmbedPSException("BadInitialCoordinates", EmbedPSErrorKind.InvalidData,
                    $"The initial coordinates hold {initial.Length:N0} values; {n:N0} entities × {m} dimensions need {(long)n * m:N0}.");
            for (int t = 0; t < initial.Length; t++)
                if (!float.IsFinite(initial[t]))
                    throw new EmbedPSException("BadInitialCoordinates", EmbedPSErrorKind.InvalidData,
                        $"Initial coordinate {t % m} of entity {graph.Entities.GetText(GraphRow(t / m))} is {initial[t]}.") { Row = GraphRow(t / m) + 1, Value = initial[t].ToString(CultureInfo.InvariantCulture) };
            x = order is null || initialInProblemOrder ? (float[])initial.Clone() : ToProblemOrder(initial, order, m);
            constraint.Project(x);
            log.Verbose($"Starting from the {init} coordinates, projected onto the {constraint} constraint.");
        }
        else if (order is null)
        {
            x = constraint.RandomInitialization(seed);
            log.Verbose($"Starting from a random {constraint} embedding (seed {seed}).");
        }
        else
        {
            var draws = new float[n * m];
            constraint.FillGaussian(draws, seed, stream: 1, scale: 1.0);
            x = ToProblemOrder(draws, order, m);
            constraint.Project(x);
            log.Verbose($"Starting from a random {constraint} embedding (seed {seed}).");
        }
        if (HasZeroLengthEdge(problem, x))
        {
            if (order is null) constraint.FillGaussian(x, seed, stream: 2, scale: 1e-4, add: true);
            else
            {
                var noise = new float[n * m];
                constraint.FillGaussian(noise, seed, stream: 2, scale: 1e-4);
                noise = ToProblemOrder(noise, order, m);
                for (int t = 0; t < x.Length; t++) x[t] += noise[t];
            }
            constraint.Project(x);
            log.Verbose("Some edges had zero length at the start; perturbed the start by 1e-4·N(0, 1).");
        }
        return x;
    }

    private static bool HasZeroLengthEdge(MdeProblem problem, float[] x)
    {
        int m = problem.Dimension;
        for (int k = 0; k < problem.EdgeCount; k++)
        {
            int i = problem.Source[k] * m, j = problem.Target[k] * m;
            bool same = true;
            for (int a = 0; a < m && same; a++) same = x[i + a] == x[j + a];
            if (same) return true;
        }
        return false;
    }

    /// <summary>
    /// The back-end the options ask for. Auto picks the CPU and the CUDA path is opt-in (-Device Gpu): docs/gpu.md says why,
    /// and when Auto may start to prefer a GPU.
    /// </summary>
    public static IMdeBackend CreateBackend(MdeProblem problem, MdeOptions options, IStageLog log)
    {
        switch (options.Device)
        {
            case MdeDevice.Cpu:
                return new CpuMdeBackend(problem, options.MaxDegreeOfParallelism);
            case MdeDevice.Gpu:
            {
                var gpu = GpuMdeBackend.TryCreateCuda(problem, log, out var why);
                if (gpu is null) throw new EmbedPSException("NoGpu", EmbedPSErrorKind.ResourceUnavailable, $"-Device Gpu: no usable CUDA device ({why}). Use -Device Cpu or Auto.");
                log.Verbose($"Using {gpu.DeviceName}.");
                return gpu;
            }
            default:
            {
                var cpu = new CpuMdeBackend(problem, options.MaxDegreeOfParallelism);
                log.Verbose($"Device Auto: using {cpu.DeviceName} (the CUDA path is unverified on real GPUs; -Device Gpu opts in).");
                return cpu;
            }
        }
    }

    /// <summary>The optimisation loop (PyMDE's optim.lbfgs): L-BFGS steps until the residual norm is ≤ the tolerance or
    /// MaxIterations is reached. Cancellation is checked at every objective evaluation; it throws and returns nothing.</summary>
    public static MdeResult Optimize(MdeProblem problem, IMdeBackend backend, MdeConstraint constraint, float[] start, MdeOptions options,
        IStageLog? log = null, CancellationToken cancellation = default)
    {
        log ??= StageLog.Null;
        int maxIterations = options.MaxIterations;
        int verboseEvery = options.VerboseEvery > 0 ? options.VerboseEvery : Math.Max(1, maxIterations / 10);
        var ops = new DeterministicVectorOps(options.MaxDegreeOfParallelism);
        var clock = Stopwatch.StartNew();
        log.Verbose($"Fitting a {constraint} embedding into R^{problem.Dimension}, for a graph with {problem.EntityCount:N0} items and {problem.EdgeCount:N0} edges " +
                    $"({problem.AttractiveCount:N0} attractive {problem.Attractive}, {problem.RepulsiveCount:N0} repulsive {problem.Repulsive}) on {backend.DeviceName}.");
        log.Verbose($"eps={options.Tolerance:G3}, max_iter={maxIterations}, memory_size={options.Memory}");
        var solver = new ProjectedLbfgs(backend, constraint, start, options.Memory, ops, cancellation);
        var history = new List<double>(maxIterations);
        var snapshots = new List<EmbeddingSnapshot>();
        string stopReason = $"MaxIterations ({maxIterations})";
        int iteration = 0;
        if (solver.ResidualNorm <= options.Tolerance)
        {
            stopReason = $"Converged: residual norm {solver.ResidualNorm:G3} ≤ {options.Tolerance:G3}";
        }
        else
        {
            while (iteration < maxIterations)
            {
                cancellation.ThrowIfCancellationRequested();
                if (options.SnapshotEvery > 0 && iteration % options.SnapshotEvery == 0) snapshots.Add(new EmbeddingSnapshot(iteration, (float[])solver.X.Clone()));
                double normBefore = ops.Norm(solver.X);
                var (step, directionNorm) = solver.Step();
                iteration++;
                history.Add(solver.Value);
                options.AfterIteration?.Invoke(iteration, solver.X);
                double percentChange = normBefore > 0 ? 100 * step * directionNorm / normBefore : 0;
                log.Progress((double)iteration / Math.Max(1, maxIterations), $"iteration {iteration}/{maxIterations}, distortion {solver.Value:G5}");
                bool converged = solver.ResidualNorm <= options.Tolerance;
                if (iteration % verboseEvery == 0 || iteration == maxIterations || converged)
                {
                    log.Verbose(string.Create(CultureInfo.InvariantCulture,
                        $"iteration {iteration:D4} | distortion {solver.Value:F6} | residual norm {solver.ResidualNorm:G5} | step length {step:G5} | percent change {percentChange:G5}"));
                }
                if (!double.IsFinite(solver.Value))
                    throw new EmbedPSException("DistortionNotFinite", EmbedPSErrorKind.InvalidData, $"The average distortion became {solver.Value} at iteration {iteration}; check the graph's weights and the start coordinates.");
                if (converged)
                {
                    stopReason = $"Converged: residual norm {solver.ResidualNorm:G3} ≤ {options.Tolerance:G3}";
                    log.Verbose($"Converged in {iteration} iterations, with residual norm {solver.ResidualNorm:G5}.");
                    break;
                }
            }
        }
        clock.Stop();
        log.Verbose(string.Create(CultureInfo.InvariantCulture,
            $"Finished fitting in {clock.Elapsed.TotalSeconds:F3} seconds and {iteration} iterations ({solver.Evaluations} evaluations); average distortion {solver.Value:G6} | residual norm {solver.ResidualNorm:G5}."));
        return new MdeResult(solver.X, solver.Value, iteration, history.ToArray(), snapshots, stopReason, solver.ResidualNorm, solver.Evaluations);
    }
}

/// <summary>What the optimiser produced.</summary>
public sealed record MdeResult(float[] Coordinates, double FinalDistortion, int Iterations, double[] DistortionHistory,
    IReadOnlyList<EmbeddingSnapshot> Snapshots, string StopReason, double ResidualNorm, int Evaluations);
