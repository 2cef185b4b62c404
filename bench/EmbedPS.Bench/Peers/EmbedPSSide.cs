using System.Diagnostics;
using System.Text.Json;
using EmbedPS.Core.Common;
using EmbedPS.Core.Cooccurrence;
using EmbedPS.Core.Mde;
using EmbedPS.Core.NeighborPreservation;
using EmbedPS.Core.Projection;

namespace EmbedPS.Bench.Peers;

/// <summary>
/// EmbedPS's side of a peer row, run as its own process (`EmbedPS.Bench --peer-side KIND FILES...`) so that its peak
/// resident memory is measured the same way as the peer's. Reads the shared input file, times the core call a cmdlet
/// makes, prints one `RESULT {json}` line.
/// </summary>
public static class EmbedPSSide
{
    /// <summary>Warm UMAP fits per side (bench/peers/umap_fit.py does as many).</summary>
    public const int UmapWarmFits = 3;

    /// <summary>The MDE problem PyMDE's preserve_neighbors poses when called with init="random" (the peers' call).</summary>
    public static EmbeddingConfiguration PreserveNeighborsRandom() => new()
    {
        Dimension = 3,
        AttractivePenalty = PenaltyKind.Log1p, AttractiveExponent = 1.5,
        RepulsivePenalty = PenaltyKind.Log, RepulsiveExponent = 1.0,
        Constraint = ConstraintKind.Centered,
        Init = InitKind.Random,
        Seed = 0,
    };

    public static readonly MdeOptions ThreeHundredIterations = new() { MaxIterations = 300, Tolerance = 1e-5, Seed = 0 };

    public static int Run(string[] args)
    {
        var result = new Dictionary<string, object>();
        var clock = Stopwatch.StartNew();
        double Lap() { double s = clock.Elapsed.TotalSeconds; clock.Restart(); return s; }
        switch (args[0])
        {
            case "cooccurrence":
            {
                var set = PeerFiles.ReadIncidence(args[1]);
                Lap();
                // EMBEDPS_PEER_LOG=1: the passes' verbose lines on stderr with wall and process CPU seconds (for profiling).
                var log = Environment.GetEnvironmentVariable("EMBEDPS_PEER_LOG") == "1" ? new ConsoleCpuLog() : null;
                var matrix = CooccurrenceBuilder.Build(set, log: log);
                result["seconds"] = Lap();
                result["nonzeros"] = matrix.NonZeroCount;
                break;
            }
            case "graph":
            {
                // The graph read directly, as PyMDE reads it: raw counts, lengths 1/ln(1 + count), 15 nearest by
                // shortest path within 3 × the 75th percentile of the lengths; then the same MDE problem, 300 iterations.
                var matrix = PeerFiles.ReadCounts(args[1]);
                Lap();
                var graph = NeighborPreservationBuilder.FromCooccurrence(matrix, new NeighborPreservationOptions
                {
                    NeighborCount = 15, Normalize = SimilarityNormalization.None, Transform = SimilarityTransform.InverseLog, Seed = 0,
                });
                result["neighbors_s"] = Lap();
                result["edges"] = graph.EdgeCount;
                if (!args.Contains("--no-embed"))
                {
                    var embedding = MinimumDistortionEmbedding.Run(graph, PreserveNeighborsRandom(), ThreeHundredIterations);
                    result["embed_s"] = Lap();
                    result["distortion"] = embedding.FinalDistortion ?? double.NaN;
                    result["iterations"] = embedding.Iterations;
                }
                break;
            }
            case "vectors":
            {
                var (data, rows, columns) = PeerFiles.ReadFloats(args[1]);
                Lap();
                var ids = EntityIds.FromIntegers(Enumerable.Range(0, rows).Select(i => (long)i).ToArray());
                var graph = NeighborPreservationBuilder.FromVectors(ids, new int[rows], data, columns, new NeighborPreservationOptions { NeighborCount = 15, Seed = 0 });
                result["neighbors_s"] = Lap();
                result["edges"] = graph.EdgeCount;
                var embedding = MinimumDistortionEmbedding.Run(graph, PreserveNeighborsRandom(), ThreeHundredIterations);
                result["embed_s"] = Lap();
                result["distortion"] = embedding.FinalDistortion ?? double.NaN;
                result["iterations"] = embedding.Iterations;
                if (args.Length > 2) PeerFiles.WriteGraph(args[2], graph);
                break;
            }
            case "mde":
            {
                var graph = PeerFiles.ReadGraph(args[1]);
                Lap();
                var embedding = MinimumDistortionEmbedding.Run(graph, PreserveNeighborsRandom(), ThreeHundredIterations);
                result["embed_s"] = Lap();
                result["distortion"] = embedding.FinalDistortion ?? double.NaN;
                result["iterations"] = embedding.Iterations;
                result["edges"] = graph.EdgeCount;
                break;
            }
            case "umap":
            case "tsne":
            {
                // Like the peer's process: a first run (JIT compilation included) and a warm run on the same input.
                var (data, rows, columns) = PeerFiles.ReadFloats(args[1]);
                var ids = EntityIds.FromIntegers(Enumerable.Range(0, rows).Select(i => (long)i).ToArray());
                var embedding = new Embedding(ids, new int[rows], columns, data);
                var request = new ProjectionRequest { Method = args[0] == "umap" ? ProjectionMethod.Umap : ProjectionMethod.Tsne, ComputeQuality = false };
                // EMBEDPS_PEER_UMAP_THREADS=1: UMAP's SGD on one thread (same layout), to compare kernels by CPU time on a busy machine.
                if (int.TryParse(Environment.GetEnvironmentVariable("EMBEDPS_PEER_UMAP_THREADS"), out int threads) && threads > 0)
                    request = request with { Umap = request.Umap with { MaxDegreeOfParallelism = threads } };
                Lap();
                // EMBEDPS_PEER_LOG=1: each stage's verbose lines on stderr with the wall and process CPU seconds (for profiling).
                var log = Environment.GetEnvironmentVariable("EMBEDPS_PEER_LOG") == "1" ? new ConsoleCpuLog() : null;
                var first = ProjectionBuilder.Build(embedding, request, log);
                result["first_fit_s"] = Lap();
                if (args[0] == "umap")
                {
                    // Three warm fits with seeds 42, 43, 44, like the peer's three warm fits: the median time and each
                    // layout (OUTPUT.0, .1, .2), so that the quality compared is a mean, not one draw of the SGD's noise.
                    var times = new List<double>();
                    for (int fit = 0; fit < UmapWarmFits; fit++)
                    {
                        var layout = ProjectionBuilder.Build(embedding, request with { Umap = request.Umap with { Seed = 42 + fit } }, log);
                        times.Add(Lap());
                        PeerFiles.WriteFloats($"{args[2]}.{fit}", PointSet.Interleave(layout.X, layout.Y), rows, 2);
                        Lap(); // the write is not part of the fit
                    }
                    times.Sort();
                    result["warm_fit_s"] = times[times.Count / 2];
                }
                else
                {
                    result["seconds"] = result["first_fit_s"];
                    PeerFiles.WriteFloats(args[2], PointSet.Interleave(first.X, first.Y), rows, 2);
                }
                break;
            }
            default:
                Console.Error.WriteLine($"Unknown peer side '{args[0]}'.");
                return 2;
        }
        Console.WriteLine("RESULT " + JsonSerializer.Serialize(result));
        return 0;
    }

    /// <summary>Verbose lines to stderr, each with the process's wall and CPU seconds so far.</summary>
    private sealed class ConsoleCpuLog : IStageLog
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();

        public void Progress(double fraction, string status) { }

        public void Verbose(string message) =>
            Console.Error.WriteLine($"[{_clock.Elapsed.TotalSeconds:F2} s wall, {Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds:F2} s CPU] {message}");

        public void Warning(string message) => Verbose("WARNING " + message);
    }
}
