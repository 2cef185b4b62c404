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
    private Fft? _fft;
    private double[] _aRe = [], _aIm = [], _bRe = [], _bIm = [], _kRe = [], _kIm = [];
    private double _kernelSpacing = double.NaN;
    private int[] _nodeX = [], _nodeY = [];
    private double[] _weightX = [], _weightY = [];

    /// <summary>Largest FFT side: with 3 nodes per box, up to 341 boxes per axis (box width grows beyond that).</summary>
    public const int MaxFftLength = 2048;

    public TsneRepulsionComputer(int n, TsneRepulsion method, TsneOptions options)
    {
        _n = n; _method = method; _theta = options.Theta; _p = Math.Max(1, options.InterpolationPoints); _minIntervals = Math.Max(1, options.MinIntervals);
        _zPerPoint = new double[n];
    }

    public double Compute(float[] y, float[] gradient) => _method switch
    {
        TsneRepulsion.Exact => ComputeExact(y, gradient),
        TsneRepulsion.BarnesHut => ComputeBarnesHut(y, gradient),
        TsneRepulsion.Fft => ComputeFft(y, gradient),
        _ => throw new ArgumentOutOfRangeException(nameof(_method)),
    };

    private double ComputeExact(float[] y, float[] gradient)
    {
        var forces = new double[2 * _n];
        Parallel.For(0, _n, i =>
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

    private double Finish(double[] forces, float[] gradient)
    {
        double z = 0;
        for (int i = 0; i < _n; i++) z += _zPerPoint[i];
        for (int t = 0; t < 2 * _n; t++) gradient[t] = (float)(-forces[t] / z);
        return z;
    }

    // ---------------------------------------------------------------- Barnes–Hut

    private int[] _order = [];
    private readonly List<QuadNode> _nodes = new();

    private struct QuadNode
    {
        public double ComX, ComY, Width;
        public int Count, Start, End, FirstChild, ChildCount;
    }

    private double ComputeBarnesHut(float[] y, float[] gradient)
    {
        if (_order.Length != _n) _order = new int[_n];
        for (int i = 0; i < _n; i++) _order[i] = i;
        double minX = double.MaxValue, minY = double.MaxValue, maxX = double.MinValue, maxY = double.MinValue;
        for (int i = 0; i < _n; i++)
        {
            minX = Math.Min(minX, y[2 * i]); maxX = Math.Max(maxX, y[2 * i]);
            minY = Math.Min(minY, y[2 * i + 1]); maxY = Math.Max(maxY, y[2 * i + 1]);
        }
        double side = Math.Max(maxX - minX, maxY - minY) * (1 + 1e-9) + 1e-12;
        _nodes.Clear();
        var scratch = new int[_n];
        BuildNode(y, 0, _n, (minX + maxX) / 2, (minY + maxY) / 2, side, 0, scratch);
        var nodes = _nodes.ToArray();
        var forces = new double[2 * _n];
        double theta2 = _theta * _theta;
        Parallel.For(0, _n, () => new int[256], (i, _, stack) =>
        {
            double xi = y[2 * i], yi = y[2 * i + 1], fx = 0, fy = 0, zi = 0;
            int top = 0;
            stack[top++] = 0;
            while (top > 0)
            {
                ref readonly var node = ref nodes[stack[--top]];
                double dx = xi - node.ComX, dy = yi - node.ComY;
                double d2 = dx * dx + dy * dy;
                // Summarise when side / distance < θ (openTSNE), unless the node holds few points anyway.
                if (node.Width * node.Width < theta2 * d2)
                {
                    double w = 1 / (1 + d2);
                    zi += node.Count * w;
                    double w2 = node.Count * w * w;
                    fx += w2 * dx; fy += w2 * dy;
                    continue;
                }
                if (node.ChildCount == 0)
                {
                    for (int t = node.Start; t < node.End; t++)
                    {
                        int j = _order[t];
                        if (j == i) continue;
                        double ex = xi - y[2 * j], ey = yi - y[2 * j + 1];
                        double w = 1 / (1 + ex * ex + ey * ey);
                        zi += w; fx += w * w * ex; fy += w * w * ey;
                    }
                    continue;
                }
                if (top + 4 > stack.Length) Array.Resize(ref stack, stack.Length * 2);
                for (int c = 0; c < node.ChildCount; c++) stack[top++] = node.FirstChild + c;
            }
            _zPerPoint[i] = zi; forces[2 * i] = fx; forces[2 * i + 1] = fy;
            return stack;
        }, _ => { });
        return Finish(forces, gradient);
    }

    /// <summary>Builds a node over _order[start, end) in the square of the given centre and side; children are contiguous.</summary>
    private int BuildNode(float[] y, int start, int end, double cx, double cy, double side, int depth, int[] scratch)
    {
        int index = _nodes.Count;
        double comX = 0, comY = 0;
        for (int t = start; t < end; t++) { comX += y[2 * _order[t]]; comY += y[2 * _order[t] + 1]; }
        int count = end - start;
        _nodes.Add(new QuadNode { ComX = comX / count, ComY = comY / count, Width = side, Count = count, Start = start, End = end, FirstChild = -1 });
        if (count <= 4 || depth >= 40) return index;
        // Partition into quadrants (counting sort, stable).
        Span<int> counts = stackalloc int[4];
        for (int t = start; t < end; t++) counts[Quadrant(y, _order[t], cx, cy)]++;
        Span<int> offsets = stackalloc int[5];
        offsets[0] = start;
        for (int q = 0; q < 4; q++) offsets[q + 1] = offsets[q] + counts[q];
        Span<int> cursor = stackalloc int[4];
        for (int q = 0; q < 4; q++) cursor[q] = offsets[q];
        for (int t = start; t < end; t++) { int j = _order[t]; scratch[cursor[Quadrant(y, j, cx, cy)]++] = j; }
        Array.Copy(scratch, start, _order, start, count);
        int nonEmpty = 0;
        for (int q = 0; q < 4; q++) if (counts[q] > 0) nonEmpty++;
        if (nonEmpty == 1 && side < 1e-9) return index; // coincident points: one leaf
        // Reserve contiguous child slots, then build each child's subtree after them.
        int firstChild = _nodes.Count;
        var childSlots = new (int Start, int End, double Cx, double Cy)[nonEmpty];
        int s = 0;
        for (int q = 0; q < 4; q++)
        {
            if (counts[q] == 0) continue;
            double qx = cx + ((q & 1) == 0 ? -side / 4 : side / 4);
            double qy = cy + ((q & 2) == 0 ? -side / 4 : side / 4);
            childSlots[s++] = (offsets[q], offsets[q + 1], qx, qy);
            _nodes.Add(default);
        }
        for (int c = 0; c < nonEmpty; c++)
        {
            var (cs, ce, qx, qy) = childSlots[c];
            int built = BuildNode(y, cs, ce, qx, qy, side / 2, depth + 1, scratch);
            _nodes[firstChild + c] = _nodes[built];
        }
        var self = _nodes[index];
        self.FirstChild = firstChild; self.ChildCount = nonEmpty;
        _nodes[index] = self;
        return index;
    }

    private static int Quadrant(float[] y, int j, double cx, double cy) => (y[2 * j] >= cx ? 1 : 0) | (y[2 * j + 1] >= cy ? 2 : 0);

    // ---------------------------------------------------------------- FFT interpolation (FIt-SNE)

    private double ComputeFft(float[] y, float[] gradient)
    {
        int n = _n, p = _p;
        double lo = double.MaxValue, hi = double.MinValue;
        for (int t = 0; t < 2 * n; t++) { lo = Math.Min(lo, y[t]); hi = Math.Max(hi, y[t]); }
        double span = Math.Max(hi - lo, 1e-6);
        lo -= span * 1e-6; span *= 1 + 2e-6; // every point strictly inside the grid
        // Boxes per axis: one per unit of span, at least MinIntervals (openTSNE); the FFT length is the next power of two
        // of the zero-padded 2·B·p node grid, and B is then raised to fill it (more boxes at no extra cost).
        int minBoxes = Math.Max(_minIntervals, (int)Math.Ceiling(span));
        int length = 2;
        while (length < 2 * minBoxes * p && length < MaxFftLength) length <<= 1;
        int boxes = length / (2 * p);
        int nodesPerAxis = boxes * p;
        // Box width rounded up to a power of 2^(1/16): the grid still covers the span, and the kernel's spectrum (a function
        // of the FFT length and the node spacing only) can be reused across iterations until the span changes by ~4 %.
        double h = Math.Pow(2, Math.Ceiling(16 * Math.Log2(span / boxes)) / 16);
        double nodeSpacing = h / p;
        if (_fft?.Length != length)
        {
            _fft = new Fft(length);
            int cells = length * length;
            _aRe = new double[cells]; _aIm = new double[cells]; _bRe = new double[cells]; _bIm = new double[cells];
            _kRe = new double[cells]; _kIm = new double[cells];
            _kernelSpacing = double.NaN;
        }
        Array.Clear(_aRe); Array.Clear(_aIm); Array.Clear(_bRe); Array.Clear(_bIm);
        // Lagrange weights of each point on its box's p × p nodes (nodes at relative positions (t + ½)/p).
        if (_nodeX.Length != n) { _nodeX = new int[n]; _nodeY = new int[n]; _weightX = new double[n * p]; _weightY = new double[n * p]; }
        var nodeX = _nodeX; var nodeY = _nodeY; var weightX = _weightX; var weightY = _weightY;
        var nodes = new double[p];
        for (int t = 0; t < p; t++) nodes[t] = (t + 0.5) / p;
        Parallel.For(0, n, i =>
        {
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
        for (int i = 0; i < n; i++)
        {
            double xi = y[2 * i] - centre, yi = y[2 * i + 1] - centre, sq = xi * xi + yi * yi;
            for (int ty = 0; ty < p; ty++)
            {
                int row = (nodeY[i] + ty) * length + nodeX[i];
                double wy = weightY[i * p + ty];
                for (int tx = 0; tx < p; tx++)
                {
                    double w = wy * weightX[i * p + tx];
                    int cell = row + tx;
                    _aRe[cell] += w; _aIm[cell] += w * xi; _bRe[cell] += w * yi; _bIm[cell] += w * sq;
                }
            }
        }
        if (nodeSpacing != _kernelSpacing)
        {
            // Kernel (1 + d²)^−2 on node offsets (−G, G) per axis, wrapped circularly (zero padding beyond makes it linear).
            Array.Clear(_kIm);
            Parallel.For(0, length, r =>
            {
                int dyIndex = r < length / 2 ? r : r - length;
                for (int c = 0; c < length; c++)
                {
                    int dxIndex = c < length / 2 ? c : c - length;
                    double value = 0;
                    if (Math.Abs(dyIndex) < nodesPerAxis && Math.Abs(dxIndex) < nodesPerAxis)
                    {
                        double d2 = ((double)dxIndex * dxIndex + (double)dyIndex * dyIndex) * nodeSpacing * nodeSpacing;
                        double w = 1 / (1 + d2);
                        value = w * w;
                    }
                    _kRe[r * length + c] = value;
                }
            });
            _fft.Forward2D(_kRe, _kIm, length);
            _kernelSpacing = nodeSpacing;
        }
        _fft.Forward2D(_aRe, _aIm, nodesPerAxis);
        _fft.Forward2D(_bRe, _bIm, nodesPerAxis);
        Parallel.For(0, length, r =>
        {
            for (int c = r * length; c < (r + 1) * length; c++)
            {
                double kr = _kRe[c], ki = _kIm[c];
                double ar = _aRe[c], ai = _aIm[c];
                _aRe[c] = ar * kr - ai * ki; _aIm[c] = ar * ki + ai * kr;
                double br = _bRe[c], bi = _bIm[c];
                _bRe[c] = br * kr - bi * ki; _bIm[c] = br * ki + bi * kr;
            }
        });
        _fft.Inverse2D(_aRe, _aIm, nodesPerAxis);
        _fft.Inverse2D(_bRe, _bIm, nodesPerAxis);
        // Interpolate the potentials back to the points.
        var forces = new double[2 * n];
        Parallel.For(0, n, i =>
        {
            double phi0 = 0, phi1 = 0, phi2 = 0, phi3 = 0;
            for (int ty = 0; ty < p; ty++)
            {
                int row = (nodeY[i] + ty) * length + nodeX[i];
                double wy = weightY[i * p + ty];
                for (int tx = 0; tx < p; tx++)
                {
                    double w = wy * weightX[i * p + tx];
                    int cell = row + tx;
                    phi0 += w * _aRe[cell]; phi1 += w * _aIm[cell]; phi2 += w * _bRe[cell]; phi3 += w * _bIm[cell];
                }
            }
            double xi = y[2 * i] - centre, yi = y[2 * i + 1] - centre;
            // Σ_j w_ij (self included, w_ii = 1) = (1 + |y_i|²)φ0 − 2 y_i·(φ1, φ2) + φ3.
            _zPerPoint[i] = (1 + xi * xi + yi * yi) * phi0 - 2 * (xi * phi1 + yi * phi2) + phi3 - 1;
            forces[2 * i] = xi * phi0 - phi1;
            forces[2 * i + 1] = yi * phi0 - phi2;
        });
        return Finish(forces, gradient);
    }
}
