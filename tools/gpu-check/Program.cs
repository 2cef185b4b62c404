using System.Diagnostics;
using EmbedPS.Core.Common;
using EmbedPS.Core.Compute;
using EmbedPS.Core.Mde;

// GPU check for Invoke-Mde's ILGPU back-end. Run on a machine with an NVIDIA GPU:
//   dotnet run -c Release --project tools/gpu-check -- [--nodes 1000000] [--iterations 300]
// 1. lists the devices ILGPU sees (after installing the libcuda.so / libcuda.so.1 resolver);
// 2. runs the distortion/gradient kernels on CUDA and compares them with the CPU path on a 20,000-node graph;
// 3. runs 50 iterations on both and compares the distortions;
// 4. times a 1,000,000-node embedding (300 iterations) on CUDA, and 10 CPU iterations for scale.
// Exit code 0 = all checks passed, 1 = a mismatch, 2 = no CUDA device.
int nodes = 1_000_000, iterations = 300;
for (int a = 0; a < args.Length - 1; a++)
{
    if (args[a] == "--nodes") nodes = int.Parse(args[a + 1]);
    if (args[a] == "--iterations") iterations = int.Parse(args[a + 1]);
}

Console.WriteLine($".NET {Environment.Version}, {Environment.ProcessorCount} cores, {Environment.OSVersion}");
Console.WriteLine("ILGPU devices:");
foreach (var device in IlgpuRuntime.DescribeDevices()) Console.WriteLine("  " + device);

var small = Graph(20_000, 15, seed: 1);
using (var probe = GpuMdeBackend.TryCreateCuda(small, StageLog.Null, out var why))
{
    if (probe is null) { Console.WriteLine($"No CUDA device: {why}"); return 2; }
    Console.WriteLine($"Using {probe.DeviceName}");
}

int failures = 0;
var constraint = MdeConstraint.Centered(small.EntityCount, small.Dimension);
var x = constraint.RandomInitialization(3);
var cpuGradient = new float[x.Length];
var gpuGradient = new float[x.Length];
double cpuValue = new CpuMdeBackend(small).Evaluate(x, cpuGradient);
double gpuValue;
using (var gpu = GpuMdeBackend.TryCreateCuda(small, StageLog.Null, out _)!)
{
    gpuValue = gpu.Evaluate(x, gpuGradient);
    var clock = Stopwatch.StartNew();
    for (int r = 0; r < 20; r++) gpu.Evaluate(x, gpuGradient);
    Console.WriteLine($"20k nodes, {small.EdgeCount:N0} edges: CUDA evaluation {clock.Elapsed.TotalMilliseconds / 20:F2} ms");
}
double scale = cpuGradient.Max(v => Math.Abs(v)), worst = 0;
for (int t = 0; t < x.Length; t++) worst = Math.Max(worst, Math.Abs(cpuGradient[t] - gpuGradient[t]) / scale);
bool kernelsAgree = Math.Abs(cpuValue - gpuValue) <= 1e-5 * Math.Abs(cpuValue) && worst <= 1e-4;
Console.WriteLine($"distortion CPU {cpuValue:R} CUDA {gpuValue:R}; max gradient difference {worst:E2} of the largest entry: {(kernelsAgree ? "PASS" : "FAIL")}");
if (!kernelsAgree) failures++;

var options = new MdeOptions { MaxIterations = 50, Tolerance = 0 };
var cpuRun = MinimumDistortionEmbedding.Optimize(small, new CpuMdeBackend(small), constraint, constraint.RandomInitialization(3), options);
MdeResult gpuRun;
using (var gpu = GpuMdeBackend.TryCreateCuda(small, StageLog.Null, out _)!)
    gpuRun = MinimumDistortionEmbedding.Optimize(small, gpu, constraint, constraint.RandomInitialization(3), options);
bool runsAgree = Math.Abs(cpuRun.FinalDistortion - gpuRun.FinalDistortion) <= 1e-2 * cpuRun.FinalDistortion;
Console.WriteLine($"50 iterations: CPU {cpuRun.FinalDistortion:G6}, CUDA {gpuRun.FinalDistortion:G6}: {(runsAgree ? "PASS" : "FAIL")}");
if (!runsAgree) failures++;

Console.WriteLine($"Building a {nodes:N0}-node graph (15 neighbours in its cluster + as many random pairs)…");
var big = Graph(nodes, 15, seed: 2);
Console.WriteLine($"  {big}");
var bigConstraint = MdeConstraint.Centered(big.EntityCount, big.Dimension);
using (var gpu = GpuMdeBackend.TryCreateCuda(big, StageLog.Null, out _)!)
{
    var clock = Stopwatch.StartNew();
    var result = MinimumDistortionEmbedding.Optimize(big, gpu, bigConstraint, bigConstraint.RandomInitialization(5), new MdeOptions { MaxIterations = iterations });
    Console.WriteLine($"CUDA: {result.Iterations} iterations ({result.Evaluations} evaluations) in {clock.Elapsed.TotalSeconds:F1} s, distortion {result.FinalDistortion:G6}, {result.StopReason}");
}
{
    var clock = Stopwatch.StartNew();
    var result = MinimumDistortionEmbedding.Optimize(big, new CpuMdeBackend(big), bigConstraint, bigConstraint.RandomInitialization(5), new MdeOptions { MaxIterations = 10 });
    Console.WriteLine($"CPU ({Environment.ProcessorCount} cores): 10 iterations ({result.Evaluations} evaluations) in {clock.Elapsed.TotalSeconds:F1} s, distortion {result.FinalDistortion:G6}");
}
Console.WriteLine(failures == 0 ? "ALL CHECKS PASSED" : $"{failures} CHECK(S) FAILED");
return failures == 0 ? 0 : 1;

// Clusters of 1,000 nodes; each node picks k random neighbours in its cluster (weight 1, 2 when picked both ways),
// and as many uniformly random pairs get weight −1: the shape of a preserve_neighbors problem without a kNN search.
static MdeProblem Graph(int n, int k, int seed)
{
    var random = new DeterministicRandom(seed, 0);
    var weights = new Dictionary<long, float>(n * k);
    for (int i = 0; i < n; i++)
    {
        int cluster = i / 1000 * 1000, size = Math.Min(1000, n - cluster);
        for (int r = 0; r < k; r++)
        {
            int j = cluster + random.NextInt(size);
            if (j == i) continue;
            long key = (long)Math.Min(i, j) * n + Math.Max(i, j);
            weights[key] = weights.TryGetValue(key, out var w) ? Math.Min(2, w + 1) : 1;
        }
    }
    int attractive = weights.Count;
    while (weights.Count < 2 * attractive)
    {
        int i = random.NextInt(n), j = random.NextInt(n);
        if (i == j) continue;
        weights.TryAdd((long)Math.Min(i, j) * n + Math.Max(i, j), -1);
    }
    var source = new int[weights.Count]; var target = new int[weights.Count]; var weight = new float[weights.Count];
    int e = 0;
    foreach (var (key, w) in weights) { source[e] = (int)(key / n); target[e] = (int)(key % n); weight[e] = w; e++; }
    return new MdeProblem(n, 3, source, target, weight, MdePenalty.Log1p(1.5), MdePenalty.Log(1.0));
}
