using System.Runtime.CompilerServices;
using System.Numerics;
using System.Runtime.InteropServices;

namespace EmbedPS.Core.Projection;

/// <summary>
/// t-SNE's repulsive term for 2-D points: writes gradient_i = −(1/Z)·Σ_j w_ij²·(y_i − y_j) with w = 1/(1 + d²) and
/// returns Z = Σ_{i≠j} w_ij — exactly (O(n²)), by Barnes–Hut (quadtree rebuilt every call, openTSNE's rule) or by
/// FIt-SNE's polynomial interpolation on a grid with FFT convolution (Linderman et al. 2019). Deterministic: per-point
/// results are computed independently and Z is summed in index order.
/// </summary>
internal sealed class TsneRepulsionComputer
{
    private readonly int _n;
    private readonly TsneRepulsion _method;
    private readonly double _theta;
    private readonly int _p, _minIntervals;
    private readonly double[] _zPerPoint;
    // FFT state, reused across iterations while the grid size is unchanged.
    private GridConvolution? _convolution;
    private double[][] _grids = [];
    private double _kernelSpacing = double.NaN;
    private int[] _nodeX = [], _nodeY = [];
    private double[] _weightX = [], _weightY = [];
    private int[] _boxRowStart = [], _byBoxRow = [];

    /// <summary>Most boxes per axis (openTSNE caps at 1,000): beyond an embedding span of 320 units the boxes widen instead.</summary>
    public const int MaxBoxes = 320;

    public TsneRepulsionComputer(int n, TsneRepulsion method, TsneOptions options)
    {
        _n = n; _method = method; _theta = options.Theta; _p = Math.Max(1, options.InterpolationPoints); _minIntervals = Math.Max(1, options.MinIntervals);
        _zPerPoint = new double[n];
    }

    /// <summary>Iterations computed by each method so far (Auto switches as the embedding's span changes).</summary>
    public int BarnesHutCalls { get; private set; }
    public int FftCalls { get; private set; }

    public double Compute(float[] y, float[] gradient)
    {
        var method = _method;
        double span = 0, lo = 0;
        if (method is TsneRepulsion.Auto or TsneRepulsion.Fft) span = Span(y, out lo); // once: Auto's choice and the grid use it
        if (method == TsneRepulsion.Auto)
            method = PrefersFft(_n, FftGrid(span).NodesPerAxis) ? TsneRepulsion.Fft : TsneRepulsion.BarnesHut;
        switch (method)
        {
            case TsneRepulsion.Exact: return ComputeExact(y, gradient);
            case TsneRepulsion.BarnesHut: BarnesHutCalls++; return ComputeBarnesHut(y, gradient);
            case TsneRepulsion.Fft: FftCalls++; return ComputeFft(y, gradient, span, lo);
            default: throw new ArgumentOutOfRangeException(nameof(_method));
        }
    }

    /// <summary>
    /// Auto's cost model, in FFT values transformed. The FFT transforms about 6·L² complex values per iteration (two grids,
    /// three passes each, on an L × L torus, L = 2 × nodes per axis; L grows with the embedding's span) plus
    /// <see cref="FftPointInValues"/> per point (Lagrange weights, spreading, gathering); the Barnes–Hut group walk costs
    /// about <see cref="BarnesHutVisitInValues"/> per n·log₂n whatever the layout. So the FFT wins on compact layouts of many
    /// points (early exaggeration), the tree once the layout spreads. Constants measured on the 2-core development machine
    /// (docs/performance.md): a transformed value ≈ 12 ns, a point's FFT work ≈ 0.5 µs, a tree visit ≈ 60 ns.
    /// </summary>
    internal static bool PrefersFft(int n, int nodesPerAxis)
    {
        double transformLength = 2.0 * nodesPerAxis;
        double fft = 6 * transformLength * transformLength + FftPointInValues * n;
        return fft < BarnesHutVisitInValues * n * Math.Log2(Math.Max(n, 2));
    }

    /// <summary>Cost of one Barnes–Hut node visit (per n·log₂n) in FFT values transformed (see <see cref="PrefersFft"/>).</summary>
    public const double BarnesHutVisitInValues = 5;

    /// <summary>Cost of the FFT's per-point work in FFT values transformed (see <see cref="PrefersFft"/>).</summary>
    public const double FftPointInValues = 42;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Span(float[] y, out double lo)
    {
        double min = double.MaxValue, max = double.MinValue;
        foreach (var v in y) { min = Math.Min(min, v); max = Math.Max(max, v); }
        double span = Math.Max(max - min, 1e-6);
        lo = min - span * 1e-6;
        return span * (1 + 2e-6); // every point strictly inside the grid
    }

    /// <summary>
    /// Boxes per axis: one per unit of span, at least MinIntervals (openTSNE), at most <see cref="MaxBoxes"/> (then boxes
    /// widen), raised to the next count whose zero-padded transform length 2·B·p has no prime factor above 5. Box width
    /// rounded up to a power of 2^(1/16): the grid still covers the span, and the kernel's spectrum (a function of the grid
    /// size and the node spacing only) is reused across iterations until the span changes by ~4 %.
    /// </summary>
    private (int Boxes, int NodesPerAxis, double BoxWidth) FftGrid(double span)
    {
        int boxes = Math.Min(MaxBoxes, Math.Max(_minIntervals, (int)Math.Ceiling(span)));
        while (!Fft.IsSupportedLength(2 * boxes * _p)) boxes++;
        double h = Math.Pow(2, Math.Ceiling(16 * Math.Log2(span / boxes)) / 16);
        return (boxes, boxes * _p, h);
    }

    private double ComputeExact(float[] y, float[] gradient)
    {
        var forces = new double[2 * _n];
        Parallel.For(0, _n, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (i) =>
        {
            double fx = 0, fy = 0, zi = 0;
            for (int j = 0; j < _n; j++)
            {
                if (j == i) continue;
                double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
                double w = 1 / (1 + dx * dx + dy * dy);
                zi += w; fx += w * w * dx; fy += w * w * dy;
            }
            _zPerPoint[i] = zi; forces[2 * i] = fx; forces[2 * i + 1] = fy;
        });
        return Finish(forces, gradient);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private double Finish(double[] forces, float[] gradient)
    {
        double z = 0;
        for (int i = 0; i < _n; i++) z += _zPerPoint[i];
        for (int t = 0; t < 2 * _n; t++) gradient[t] = (float)(-forces[t] / z);
        return z;
    }

    // ---------------------------------------------------------------- Barnes–Hut

    // The quadtree, rebuilt every call: _order lists the points subtree by subtree (a node covers _order[Start, End)), and
    // _sortedX/_sortedY hold their coordinates in that order, so that the build and the walks read memory in sequence.
    private int[] _order = [];
    private float[] _sortedX = [], _sortedY = [];
    private int[] _orderScratch = [];
    private float[] _scratchX = [], _scratchY = [];
    private byte[] _quadrantOf = [];
    private QuadNode[] _tree = new QuadNode[256];
    private int _treeCount;
    private readonly List<int> _groups = new();
    private double[] _forces = [];

    private struct QuadNode
    {
        public double ComX, ComY, Width;
        public int Count, Start, End, FirstChild, ChildCount;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private double ComputeBarnesHut(float[] y, float[] gradient)
    {
        if (_order.Length != _n)
        {
            _order = new int[_n]; _sortedX = new float[_n]; _sortedY = new float[_n];
            _orderScratch = new int[_n]; _scratchX = new float[_n]; _scratchY = new float[_n]; _quadrantOf = new byte[_n];
        }
        if (_forces.Length != 2 * _n) _forces = new double[2 * _n];
        double minX = double.MaxValue, minY = double.MaxValue, maxX = double.MinValue, maxY = double.MinValue;
        for (int i = 0; i < _n; i++)
        {
            float x = y[2 * i], v = y[2 * i + 1];
            _order[i] = i; _sortedX[i] = x; _sortedY[i] = v;
            minX = Math.Min(minX, x); maxX = Math.Max(maxX, x);
            minY = Math.Min(minY, v); maxY = Math.Max(maxY, v);
        }
        double side = Math.Max(maxX - minX, maxY - minY) * (1 + 1e-9) + 1e-12;
        _treeCount = 1;
        BuildNode(0, 0, _n, (minX + maxX) / 2, (minY + maxY) / 2, side, 0);
        var nodes = _tree;
        var order = _order; var sortedX = _sortedX; var sortedY = _sortedY;
        var forces = _forces;
        double theta2 = _theta * _theta;
        // Group walk (Barnes 1990): the points of a subtree of at most GroupSize points share one walk, whose opening test uses
        // the distance from a node's centre of mass to the group's bounding box (never more than any member's own distance,
        // so at least as accurate as openTSNE's per-point test). The walk yields an interaction list of summarised nodes and
        // single points that every member then sums with SIMD, without branches.
        var groups = _groups;
        groups.Clear();
        CollectGroups(nodes, 0, groups);
        Parallel.For(0, groups.Count, () => new GroupScratch(), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (g, _, list) =>
        {
            var group = nodes[groups[g]];
            BuildInteractionList(group, nodes, theta2, list);
            for (int at = group.Start; at < group.End; at++)
            {
                int i = order[at];
                var (fx, fy, zi) = SumInteractions(sortedX[at], sortedY[at], list);
                _zPerPoint[i] = zi - 1; // the point itself is in its own list, at distance 0: w = 1, no force
                forces[2 * i] = fx; forces[2 * i + 1] = fy;
            }
            return list;
        }, _ => { });
        return Finish(forces, gradient);
    }

    /// <summary>Points per group walk: large enough to share the walk, small enough that the list stays short.</summary>
    private const int GroupSize = 32;

    private static void CollectGroups(QuadNode[] nodes, int index, List<int> groups)
    {
        var node = nodes[index];
        if (node.Count <= GroupSize || node.ChildCount == 0) { groups.Add(index); return; }
        for (int c = 0; c < node.ChildCount; c++) CollectGroups(nodes, node.FirstChild + c, groups);
    }

    private sealed class GroupScratch
    {
        public int[] Stack = new int[256];
        public float[] X = new float[1024], Y = new float[1024], Weight = new float[1024];
        public int Count;

        public void Add(double x, double y, double weight)
        {
            if (Count == X.Length) { Array.Resize(ref X, Count * 2); Array.Resize(ref Y, Count * 2); Array.Resize(ref Weight, Count * 2); }
            X[Count] = (float)x; Y[Count] = (float)y; Weight[Count] = (float)weight;
            Count++;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void BuildInteractionList(QuadNode group, QuadNode[] nodes, double theta2, GroupScratch list)
    {
        var sortedX = _sortedX; var sortedY = _sortedY;
        double minX = double.MaxValue, minY = double.MaxValue, maxX = double.MinValue, maxY = double.MinValue;
        for (int t = group.Start; t < group.End; t++)
        {
            minX = Math.Min(minX, sortedX[t]); maxX = Math.Max(maxX, sortedX[t]);
            minY = Math.Min(minY, sortedY[t]); maxY = Math.Max(maxY, sortedY[t]);
        }
        list.Count = 0;
        int top = 0;
        list.Stack[top++] = 0;
        while (top > 0)
        {
            ref readonly var node = ref nodes[list.Stack[--top]];
            double dx = Math.Max(0, Math.Max(minX - node.ComX, node.ComX - maxX));
            double dy = Math.Max(0, Math.Max(minY - node.ComY, node.ComY - maxY));
            if (node.Width * node.Width < theta2 * (dx * dx + dy * dy)) { list.Add(node.ComX, node.ComY, node.Count); continue; }
            if (node.ChildCount == 0)
            {
                for (int t = node.Start; t < node.End; t++) list.Add(sortedX[t], sortedY[t], 1);
                continue;
            }
            if (top + 4 > list.Stack.Length) Array.Resize(ref list.Stack, list.Stack.Length * 2);
            for (int c = 0; c < node.ChildCount; c++) list.Stack[top++] = node.FirstChild + c;
        }
    }

    /// <summary>Σ over the list of c·w and c·w²·(y_i − y_j), w = 1/(1 + d²), c the number of points an entry stands for.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (double Fx, double Fy, double Z) SumInteractions(float xi, float yi, GroupScratch list)
    {
        int count = list.Count, lanes = Vector<float>.Count, whole = count / lanes * lanes;
        var vx = new Vector<float>(xi); var vy = new Vector<float>(yi); var one = Vector<float>.One;
        Vector<float> accZ = default, accX = default, accY = default;
        var xs = MemoryMarshal.Cast<float, Vector<float>>(list.X.AsSpan(0, whole));
        var ys = MemoryMarshal.Cast<float, Vector<float>>(list.Y.AsSpan(0, whole));
        var cs = MemoryMarshal.Cast<float, Vector<float>>(list.Weight.AsSpan(0, whole));
        for (int v = 0; v < xs.Length; v++)
        {
            var dx = vx - xs[v]; var dy = vy - ys[v];
            var w = one / (one + dx * dx + dy * dy);
            var cw = cs[v] * w;
            accZ += cw; cw *= w;
            accX += cw * dx; accY += cw * dy;
        }
        double z = Vector.Sum(accZ), fx = Vector.Sum(accX), fy = Vector.Sum(accY);
        for (int t = whole; t < count; t++)
        {
            float dx = xi - list.X[t], dy = yi - list.Y[t];
            float w = 1 / (1 + dx * dx + dy * dy), cw = list.Weight[t] * w;
            z += cw; fx += cw * w * dx; fy += cw * w * dy;
        }
        return (fx, fy, z);
    }

    /// <summary>
    /// Fills node <paramref name="index"/> over _order[start, end) in the square of the given centre and side, then its
    /// children in contiguous slots (quadrant order), depth first.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void BuildNode(int index, int start, int end, double cx, double cy, double side, int depth)
    {
        var sortedX = _sortedX; var sortedY = _sortedY;
        double comX = 0, comY = 0;
        for (int t = start; t < end; t++) { comX += sortedX[t]; comY += sortedY[t]; }
        int count = end - start;
        _tree[index] = new QuadNode { ComX = comX / count, ComY = comY / count, Width = side, Count = count, Start = start, End = end, FirstChild = -1 };
        if (count <= 4 || depth >= 40) return;
        // Partition into quadrants (counting sort, stable), moving the coordinates along with the points.
        Span<int> counts = stackalloc int[4];
        counts.Clear();
        var quadrantOf = _quadrantOf;
        for (int t = start; t < end; t++)
        {
            int q = (sortedX[t] >= cx ? 1 : 0) | (sortedY[t] >= cy ? 2 : 0);
            quadrantOf[t] = (byte)q;
            counts[q]++;
        }
        Span<int> offsets = stackalloc int[5];
        offsets[0] = start;
        for (int q = 0; q < 4; q++) offsets[q + 1] = offsets[q] + counts[q];
        Span<int> cursor = stackalloc int[4];
        for (int q = 0; q < 4; q++) cursor[q] = offsets[q];
        for (int t = start; t < end; t++)
        {
            int slot = cursor[quadrantOf[t]]++;
            _orderScratch[slot] = _order[t]; _scratchX[slot] = sortedX[t]; _scratchY[slot] = sortedY[t];
        }
        Array.Copy(_orderScratch, start, _order, start, count);
        Array.Copy(_scratchX, start, sortedX, start, count);
        Array.Copy(_scratchY, start, sortedY, start, count);
        int nonEmpty = 0;
        for (int q = 0; q < 4; q++) if (counts[q] > 0) nonEmpty++;
        if (nonEmpty == 1 && side < 1e-9) return; // coincident points: one leaf
        int firstChild = _treeCount;
        _treeCount += nonEmpty;
        if (_treeCount > _tree.Length) Array.Resize(ref _tree, Math.Max(_treeCount, 2 * _tree.Length));
        _tree[index].FirstChild = firstChild;
        _tree[index].ChildCount = nonEmpty;
        int child = firstChild;
        for (int q = 0; q < 4; q++)
        {
            if (counts[q] == 0) continue;
            double qx = cx + ((q & 1) == 0 ? -side / 4 : side / 4);
            double qy = cy + ((q & 2) == 0 ? -side / 4 : side / 4);
            BuildNode(child++, offsets[q], offsets[q + 1], qx, qy, side / 2, depth + 1);
        }
    }

    // ---------------------------------------------------------------- FFT interpolation (FIt-SNE)

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private double ComputeFft(float[] y, float[] gradient, double span, double lo)
    {
        int n = _n, p = _p;
        var (boxes, nodesPerAxis, h) = FftGrid(span);
        double nodeSpacing = h / p;
        if (_convolution?.Nodes != nodesPerAxis)
        {
            _convolution = new GridConvolution(nodesPerAxis);
            _grids = [new double[nodesPerAxis * nodesPerAxis], new double[nodesPerAxis * nodesPerAxis], new double[nodesPerAxis * nodesPerAxis], new double[nodesPerAxis * nodesPerAxis]];
            _kernelSpacing = double.NaN;
        }
        var grids = _grids;
        foreach (var g in grids) Array.Clear(g);
        // Lagrange weights of each point on its box's p × p nodes (nodes at relative positions (t + ½)/p).
        if (_nodeX.Length != n) { _nodeX = new int[n]; _nodeY = new int[n]; _weightX = new double[n * p]; _weightY = new double[n * p]; }
        var nodeX = _nodeX; var nodeY = _nodeY; var weightX = _weightX; var weightY = _weightY;
        var nodes = new double[p];
        for (int t = 0; t < p; t++) nodes[t] = (t + 0.5) / p;
        Parallel.For(0, (n + 4095) / 4096, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (block) =>
        {
            int end = Math.Min(n, (block + 1) * 4096);
            for (int i = block * 4096; i < end; i++)
                for (int axis = 0; axis < 2; axis++)
                {
                    double u = (y[2 * i + axis] - lo) / h;
                    int box = Math.Min(boxes - 1, Math.Max(0, (int)u));
                    double r = u - box;
                    var weights = axis == 0 ? weightX : weightY;
                    for (int t = 0; t < p; t++)
                    {
                        double num = 1, den = 1;
                        for (int s = 0; s < p; s++) { if (s == t) continue; num *= r - nodes[s]; den *= nodes[t] - nodes[s]; }
                        weights[i * p + t] = num / den;
                    }
                    if (axis == 0) nodeX[i] = box * p; else nodeY[i] = box * p;
                }
        });
        // Spread charges [1, x, y, x² + y²] (coordinates relative to the grid centre) onto the nodes: A = q0 + i·q1, B = q2 + i·q3.
        double centre = lo + boxes * h / 2;
        var (aRe, aIm, bRe, bIm) = (grids[0], grids[1], grids[2], grids[3]);
        // A point's p × p nodes lie inside its own box, so points bucketed by box row write disjoint rows: the rows are
        // spread in parallel, each cell still summed in point order (the same sums as one thread).
        if (_boxRowStart.Length != boxes + 1) _boxRowStart = new int[boxes + 1];
        if (_byBoxRow.Length != n) _byBoxRow = new int[n];
        var rowStart = _boxRowStart; var byBoxRow = _byBoxRow;
        Array.Clear(rowStart);
        for (int i = 0; i < n; i++) rowStart[nodeY[i] / p + 1]++;
        for (int b = 0; b < boxes; b++) rowStart[b + 1] += rowStart[b];
        var cursor = (int[])rowStart.Clone();
        for (int i = 0; i < n; i++) byBoxRow[cursor[nodeY[i] / p]++] = i;
        Parallel.For(0, boxes, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (boxRow) =>
        {
            for (int at = rowStart[boxRow]; at < rowStart[boxRow + 1]; at++)
            {
                int i = byBoxRow[at];
                double xi = y[2 * i] - centre, yi = y[2 * i + 1] - centre, sq = xi * xi + yi * yi;
                for (int ty = 0; ty < p; ty++)
                {
                    int row = (nodeY[i] + ty) * nodesPerAxis + nodeX[i];
                    double wy = weightY[i * p + ty];
                    for (int tx = 0; tx < p; tx++)
                    {
                        double w = wy * weightX[i * p + tx];
                        int cell = row + tx;
                        aRe[cell] += w; aIm[cell] += w * xi; bRe[cell] += w * yi; bIm[cell] += w * sq;
                    }
                }
            }
        });
        var convolution = _convolution!;
        if (nodeSpacing != _kernelSpacing)
        {
            // Kernel (1 + d²)^−2 on node offsets.
            convolution.SetKernel((dx, dy) =>
            {
                double d2 = ((double)dx * dx + (double)dy * dy) * nodeSpacing * nodeSpacing;
                double w = 1 / (1 + d2);
                return w * w;
            });
            _kernelSpacing = nodeSpacing;
        }
        convolution.Convolve(grids);
        // Interpolate the potentials back to the points.
        if (_forces.Length != 2 * n) _forces = new double[2 * n];
        var forces = _forces;
        Parallel.For(0, (n + 4095) / 4096, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (block) =>
        {
            int end = Math.Min(n, (block + 1) * 4096);
            for (int i = block * 4096; i < end; i++)
            {
                double phi0 = 0, phi1 = 0, phi2 = 0, phi3 = 0;
                for (int ty = 0; ty < p; ty++)
                {
                    int row = (nodeY[i] + ty) * nodesPerAxis + nodeX[i];
                    double wy = weightY[i * p + ty];
                    for (int tx = 0; tx < p; tx++)
                    {
                        double w = wy * weightX[i * p + tx];
                        int cell = row + tx;
                        phi0 += w * aRe[cell]; phi1 += w * aIm[cell]; phi2 += w * bRe[cell]; phi3 += w * bIm[cell];
                    }
                }
                double xi = y[2 * i] - centre, yi = y[2 * i + 1] - centre;
                // Σ_j w_ij (self included, w_ii = 1) = (1 + |y_i|²)φ0 − 2 y_i·(φ1, φ2) + φ3.
                _zPerPoint[i] = (1 + xi * xi + yi * yi) * phi0 - 2 * (xi * phi1 + yi * phi2) + phi3 - 1;
                forces[2 * i] = xi * phi0 - phi1;
                forces[2 * i + 1] = yi * phi0 - phi2;
            }
        });
        return Finish(forces, gradient);
    }
}
