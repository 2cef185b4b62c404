using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Compute;
using EmbedPS.Core.Mde;
using EmbedPS.Core.NeighborPreservation;
using EmbedPS.Core.Knn;

namespace EmbedPS.Bench.Cases;

/// <summary>
/// Invoke-Mde's optimiser, 300 iterations into 3 dimensions (PyMDE's preserve_neighbors problem: Log1p(1.5) on kNN edges,
/// Log(1) on as many random pairs, Centered, random start), against the same projected L-BFGS driving the plain
/// single-threaded per-edge evaluation (<see cref="ScalarMdeBackend"/>). The graph is built once with exact kNN and cached
/// as a neighbor-graph artifact under bench-results/cache/.
/// </summary>
public abstract class MdeBenchBase : BenchCase
{
    private NeighborGraph? _graph;

    public override string Stage => "mde";
    public override string? Baseline => "same L-BFGS, single-threaded per-edge loop (scalar reference)";

    protected abstract string CacheName { get; }
    protected abstract NeighborGraph BuildGraph();

    public override void Prepare()
    {
        var path = Path.Combine("bench-results", "cache", CacheName + ".parquet");
        if (File.Exists(path))
        {
            _graph = NeighborGraphArtifact.Read(path);
            Console.WriteLine($"   graph from cache {path}: {_graph}");
            return;
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        _graph = BuildGraph();
        Console.WriteLine($"   built {_graph} in {clock.Elapsed.TotalSeconds:F1} s; caching it in {path}");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        NeighborGraphArtifact.Write(_graph, path);
    }

    protected static EmbeddingConfiguration PyMdeDefaults() => new()
    {
        Dimension = 3,
        AttractivePenalty = PenaltyKind.Log1p, AttractiveExponent = 1.5,
        RepulsivePenalty = PenaltyKind.Log, RepulsiveExponent = 1.0,
        Constraint = ConstraintKind.Centered, // PyMDE's choice when a repulsive penalty is given
        Init = InitKind.Random,
        Seed = 0,
    };

    private static readonly MdeOptions Options = new() { MaxIterations = 300, Tolerance = 1e-5, Device = MdeDevice.Cpu, Seed = 0 };

    public override BenchOutcome RunCandidate()
    {
        var embedding = MinimumDistortionEmbedding.Run(_graph!, PyMdeDefaults(), Options);
        return new BenchOutcome
        {
            ["edges"] = _graph!.EdgeCount,
            ["distortion"] = embedding.FinalDistortion ?? double.NaN,
            ["iterations"] = embedding.Iterations,
        };
    }

    public override BenchOutcome RunBaseline()
    {
        var graph = _graph!;
        var configuration = PyMdeDefaults();
        var problem = MdeProblem.FromGraph(graph, configuration);
        var constraint = MinimumDistortionEmbedding.CreateConstraint(configuration, graph.EntityCount, configuration.Dimension);
        var start = MinimumDistortionEmbedding.StartingPoint(graph, problem, constraint, null, configuration.Init, 0, Core.Common.StageLog.Null);
        using var backend = new ScalarMdeBackend(problem);
        var result = MinimumDistortionEmbedding.Optimize(problem, backend, constraint, start, Options);
        return new BenchOutcome { ["distortion"] = result.FinalDistortion, ["iterations"] = result.Iterations };
    }

    public override void Cleanup() => _graph = null;
}

/// <summary>Fashion-MNIST (70,000 × 784), exact kNN k = 15 on raw pixels, ≈1.7 M edges with the repulsive pairs.</summary>
public sealed class MdeFashionMnistBench : MdeBenchBase
{
    public override string Dataset => "Fashion-MNIST k=15, dim 3, 300 it";
    protected override string CacheName => "fashion-mnist-k15.neighbor-graph";

    protected override NeighborGraph BuildGraph()
    {
        var (pixels, _, count) = FashionMnist.Load();
        var knn = VectorKnn.Exact(pixels, count, 784, 15);
        return MdeSampleGraphs.FromKnn(knn, 1.0, 0);
    }
}

/// <summary>
/// Atlas scale, the real pipeline: the synthetic atlas sample (50,000 entities, 300,000 collections) through
/// New-CooccurrenceMatrix and Invoke-NeighborPreservation defaults (k = 15, graph distances, repulsive fraction 1),
/// random start so the row measures the optimiser alone.
/// </summary>
public sealed class MdeAtlasBench : MdeBenchBase
{
    public override string Dataset => "atlas pipeline graph 50k k=15, dim 3, 300 it";
    protected override string CacheName => "atlas-pipeline-k15.neighbor-graph";

    protected override NeighborGraph BuildGraph() =>
        NeighborPreservationBuilder.FromCooccurrence(BenchData.AtlasCooccurrence,
            new NeighborPreservationOptions { NeighborCount = 15, Seed = 0 });
}
