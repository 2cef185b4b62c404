using EmbedPS.Core.Common;
using EmbedPS.Core.Compute;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace EmbedPS.Core.Mde;

/// <summary>Scalar kernel parameters (ILGPU passes them by value).</summary>
public struct GpuEdgeParameters
{
    public int Dimension;
    public int AttractiveCount;
    public float InverseEdgeCount;
    public int AttractiveKind;
    public float AttractiveExponent;
    public float AttractiveThreshold;
    public int RepulsiveKind;
    public float RepulsiveExponent;
    public float RepulsiveThreshold;
}

/// <summary>
/// The average distortion and its gradient as ILGPU kernels, the same two passes as <see cref="CpuMdeBackend"/>:
/// a per-edge kernel (distance, distortion w·p(d), coefficient w·p′(d)/(p·d)), a per-vertex kernel that sums
/// c_k (x_i − x_j) over the vertex's incident edges (no atomics, deterministic), and a kernel that sums the distortions in
/// fixed chunks (double). The coordinates go to the device and the gradient comes back on every evaluation; the L-BFGS
/// vectors stay on the host. Runs on CUDA, or on ILGPU's CPU accelerator (an emulator, for tests).
/// </summary>
public sealed class GpuMdeBackend : IMdeBackend
{
    private const int SumChunk = 1024;

    private readonly MdeProblem _problem;
    private readonly Context? _ownedContext;
    private readonly Accelerator _accelerator;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _x, _gradient, _weight, _coefficient, _value;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _source, _target, _offsets, _neighbor, _edge;
    private readonly MemoryBuffer1D<double, Stride1D.Dense> _partials;
    private readonly double[] _partialsHost;
    private readonly int _chunks;
    private readonly GpuEdgeParameters _parameters;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GpuEdgeParameters> _edgeKernel;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int> _vertexKernel;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<double>, int, int> _sumKernel;

    private GpuMdeBackend(MdeProblem problem, Context? ownedContext, Accelerator accelerator, string deviceName)
    {
        _problem = problem;
        _ownedContext = ownedContext;
        _accelerator = accelerator;
        DeviceName = deviceName;
        int n = problem.EntityCount, m = problem.Dimension, p = Math.Max(1, problem.EdgeCount);
        _x = accelerator.Allocate1D<float>(n * m);
        _gradient = accelerator.Allocate1D<float>(n * m);
        _weight = accelerator.Allocate1D(problem.EdgeCount == 0 ? new float[1] : problem.Weights);
        _source = accelerator.Allocate1D(problem.EdgeCount == 0 ? new int[1] : problem.Source);
        _target = accelerator.Allocate1D(problem.EdgeCount == 0 ? new int[1] : problem.Target);
        _offsets = accelerator.Allocate1D(problem.IncidentOffsets);
        _neighbor = accelerator.Allocate1D(problem.EdgeCount == 0 ? new int[1] : problem.IncidentNeighbor);
        _edge = accelerator.Allocate1D(problem.EdgeCount == 0 ? new int[1] : problem.IncidentEdge);
        _coefficient = accelerator.Allocate1D<float>(p);
        _value = accelerator.Allocate1D<float>(p);
        _chunks = (p + SumChunk - 1) / SumChunk;
        _partials = accelerator.Allocate1D<double>(_chunks);
        _partialsHost = new double[_chunks];
        _parameters = new GpuEdgeParameters
        {
            Dimension = m,
            AttractiveCount = problem.AttractiveCount,
            InverseEdgeCount = problem.EdgeCount == 0 ? 0f : 1f / problem.EdgeCount,
            AttractiveKind = (int)problem.Attractive.Kind,
            AttractiveExponent = (float)problem.Attractive.Exponent,
            AttractiveThreshold = (float)problem.Attractive.Threshold,
            RepulsiveKind = (int)problem.Repulsive.Kind,
            RepulsiveExponent = (float)problem.Repulsive.Exponent,
            RepulsiveThreshold = (float)problem.Repulsive.Threshold,
        };
        _edgeKernel = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GpuEdgeParameters>(EdgeKernel);
        _vertexKernel = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int>(VertexKernel);
        _sumKernel = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<double>, int, int>(SumKernel);
    }

    public string DeviceName { get; }

    /// <summary>The kernels on ILGPU's CPU accelerator (an emulator: for correctness tests on small graphs only).</summary>
    public static GpuMdeBackend CreateCpuEmulated(MdeProblem problem)
    {
        var context = Context.Create(builder => builder.CPU().EnableAlgorithms());
        var accelerator = context.CreateCPUAccelerator(0);
        return new GpuMdeBackend(problem, context, accelerator, "ILGPU CPU accelerator (emulator)");
    }

    /// <summary>The kernels on the first CUDA device, or null (with the reason) when there is none or it cannot start.</summary>
    public static GpuMdeBackend? TryCreateCuda(MdeProblem problem, IStageLog log, out string why)
    {
        var context = IlgpuRuntime.TryCreateCudaContext(out why);
        if (context is null) return null;
        try
        {
            var device = context.GetCudaDevice(0);
            var accelerator = device.CreateAccelerator(context);
            return new GpuMdeBackend(problem, context, accelerator, $"CUDA: {device.Name}");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            context.Dispose();
            why = $"CUDA device failed to start: {ex.GetType().Name}: {ex.Message}";
            return null;
        }
    }

    public double Evaluate(float[] coordinates, float[] gradient)
    {
        int expected = _problem.EntityCount * _problem.Dimension;
        if (coordinates.Length != expected || gradient.Length != expected) throw new ArgumentException($"coordinates and gradient must hold {expected} values.");
        _x.CopyFromCPU(coordinates);
        if (_problem.EdgeCount > 0)
        {
            _edgeKernel(_problem.EdgeCount, _x.View, _source.View, _target.View, _weight.View, _coefficient.View, _value.View, _parameters);
            _sumKernel(_chunks, _value.View, _partials.View, _problem.EdgeCount, SumChunk);
        }
        _vertexKernel(_problem.EntityCount, _x.View, _offsets.View, _neighbor.View, _edge.View, _coefficient.View, _gradient.View, _problem.Dimension);
        _accelerator.Synchronize();
        _gradient.CopyToCPU(gradient);
        if (_problem.EdgeCount == 0) return 0;
        _partials.CopyToCPU(_partialsHost);
        double total = 0;
        for (int c = 0; c < _chunks; c++) total += _partialsHost[c];
        return total / _problem.EdgeCount;
    }

    private static void EdgeKernel(Index1D index, ArrayView<float> x, ArrayView<int> source, ArrayView<int> target, ArrayView<float> weight,
        ArrayView<float> coefficient, ArrayView<float> value, GpuEdgeParameters p)
    {
        int k = index;
        int m = p.Dimension;
        int i = source[k] * m, j = target[k] * m;
        float squared = 0;
        for (int a = 0; a < m; a++)
        {
            float diff = x[i + a] - x[j + a];
            squared += diff * diff;
        }
        float d = XMath.Sqrt(squared);
        bool attractive = k < p.AttractiveCount;
        int kind = attractive ? p.AttractiveKind : p.RepulsiveKind;
        float exponent = attractive ? p.AttractiveExponent : p.RepulsiveExponent;
        float tau = attractive ? p.AttractiveThreshold : p.RepulsiveThreshold;
        float penalty, derivativeOverD;
        if (kind == (int)PenaltyKind.Log1p)
        {
            float t = Power(d, exponent);
            penalty = XMath.Log(1f + t);
            derivativeOverD = d > 0 ? exponent * t / (d * d * (1f + t)) : 0f;
        }
        else if (kind == (int)PenaltyKind.Log)
        {
            float t = Power(d, exponent);
            float expNeg = XMath.Exp(-t);
            float u = t < 1e-3f ? t * (1f - t * (0.5f - t / 6f)) : 1f - expNeg;
            penalty = XMath.Log(u);
            derivativeOverD = d > 0 ? exponent * t * expNeg / (d * d * u) : 0f;
        }
        else if (kind == (int)PenaltyKind.Quadratic)
        {
            penalty = d * d;
            derivativeOverD = 2f;
        }
        else
        {
            bool inside = d < tau;
            penalty = inside ? 0.5f * d * d : tau * (d - 0.5f * tau);
            derivativeOverD = inside ? 1f : (d > 0 ? tau / d : 0f);
        }
        float w = weight[k];
        value[k] = w * penalty;
        coefficient[k] = w * derivativeOverD * p.InverseEdgeCount;
    }

    private static float Power(float d, float exponent)
    {
        if (d <= 0) return 0f;
        if (exponent == 1f) return d;
        if (exponent == 1.5f) return d * XMath.Sqrt(d);
        if (exponent == 2f) return d * d;
        return XMath.Exp(exponent * XMath.Log(d));
    }

    private static void VertexKernel(Index1D index, ArrayView<float> x, ArrayView<int> offsets, ArrayView<int> neighbor, ArrayView<int> edge,
        ArrayView<float> coefficient, ArrayView<float> gradient, int m)
    {
        int i = index;
        int row = i * m;
        int begin = offsets[i], end = offsets[i + 1];
        for (int a = 0; a < m; a++)
        {
            float xi = x[row + a];
            double sum = 0;
            for (int e = begin; e < end; e++)
            {
                sum += coefficient[edge[e]] * (xi - x[neighbor[e] * m + a]);
            }
            gradient[row + a] = (float)sum;
        }
    }

    private static void SumKernel(Index1D index, ArrayView<float> value, ArrayView<double> partials, int count, int chunk)
    {
        int c = index;
        int start = c * chunk, end = start + chunk < count ? start + chunk : count;
        double sum = 0;
        for (int k = start; k < end; k++) sum += value[k];
        partials[c] = sum;
    }

    public void Dispose()
    {
        _x.Dispose(); _gradient.Dispose(); _weight.Dispose(); _coefficient.Dispose(); _value.Dispose();
        _source.Dispose(); _target.Dispose(); _offsets.Dispose(); _neighbor.Dispose(); _edge.Dispose(); _partials.Dispose();
        _accelerator.Dispose();
        _ownedContext?.Dispose();
    }
}
