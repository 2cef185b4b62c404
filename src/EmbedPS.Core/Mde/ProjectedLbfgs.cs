using EmbedPS.Core.Compute;

namespace EmbedPS.Core.Mde;

/// <summary>
/// Projected L-BFGS as PyMDE runs it (pymde/lbfgs.py, a port of PyTorch's LBFGS with projection hooks): one iteration per
/// <see cref="Step"/>; two-loop recursion over at most <c>memory</c> pairs (s = t·d, the un-projected step; y = difference of
/// tangent-projected gradients; a pair is kept only when yᵀs &gt; 1e-10; H0 = yᵀs / yᵀy); first trial step
/// min(1, 1/‖g‖₁), then 1; strong-Wolfe line search (c1 = 1e-4, c2 = 0.9, at most 25 evaluations, cubic interpolation,
/// bracket tolerance 1e-9) whose every trial point is Π(X + t·d). Non-finite trials halve t (up to 10 times) first; a
/// failed search falls back to backtracking t ← 0.8·t until Armijo holds (t &lt; 1e-8 gives up, t = 0, memory cleared).
/// All vectors are allocated once.
/// </summary>
public sealed class ProjectedLbfgs
{
    private const double C1 = 1e-4, C2 = 0.9, BracketTolerance = 1e-9;
    private const int MaxLineSearchEvaluations = 25;

    private readonly IMdeBackend _backend;
    private readonly MdeConstraint _constraint;
    private readonly DeterministicVectorOps _ops;
    private readonly CancellationToken _cancellation;
    private readonly int _memory;
    private readonly float[][] _s, _y;
    private float[] _sSpare, _ySpare; // the candidate pair, swapped into the memory when accepted
    private double _trialStep = double.NaN; // t of the point now in _trialX
    private readonly double[] _rho, _alpha;
    private int _stored, _oldest;
    private double _hDiagonal = 1;
    private bool _fresh = true;

    private readonly float[] _direction, _previousGradient, _trialX, _trialGradient, _bracketGradient0, _bracketGradient1, _lineStartGradient;

    public ProjectedLbfgs(IMdeBackend backend, MdeConstraint constraint, float[] start, int memory, DeterministicVectorOps ops, CancellationToken cancellation)
    {
        _backend = backend; _constraint = constraint; _ops = ops; _cancellation = cancellation;
        _memory = Math.Max(1, memory);
        int length = start.Length;
        X = start;
        Gradient = new float[length];
        _s = new float[_memory][]; _y = new float[_memory][];
        for (int i = 0; i < _memory; i++) { _s[i] = new float[length]; _y[i] = new float[length]; }
        _sSpare = new float[length]; _ySpare = new float[length];
        _rho = new double[_memory]; _alpha = new double[_memory];
        _direction = new float[length]; _previousGradient = new float[length]; _trialX = new float[length]; _trialGradient = new float[length];
        _bracketGradient0 = new float[length]; _bracketGradient1 = new float[length]; _lineStartGradient = new float[length];
        Value = Evaluate(X, Gradient);
        ResidualNorm = _ops.Norm(Gradient);
    }

    /// <summary>The current iterate (on the constraint set).</summary>
    public float[] X { get; }
    /// <summary>Tangent-projected gradient at <see cref="X"/>.</summary>
    public float[] Gradient { get; }
    /// <summary>Average distortion at <see cref="X"/>.</summary>
    public double Value { get; private set; }
    /// <summary>‖projected gradient‖_F at <see cref="X"/>.</summary>
    public double ResidualNorm { get; private set; }
    public int Evaluations { get; private set; }

    /// <summary>Value and tangent-projected gradient at a point already on the constraint set.</summary>
    private double Evaluate(float[] point, float[] gradient)
    {
        _cancellation.ThrowIfCancellationRequested();
        Evaluations++;
        double value = _backend.Evaluate(point, gradient);
        _constraint.ProjectTangent(point, gradient);
        return value;
    }

    /// <summary>Evaluates at Π(X + t·d) into the trial buffers.</summary>
    private double EvaluateAlong(double t)
    {
        _ops.AddScaled(X, t, _direction, _trialX);
        _constraint.Project(_trialX);
        _trialStep = t;
        return Evaluate(_trialX, _trialGradient);
    }

    /// <summary>One L-BFGS iteration. Returns the accepted step length t (0 when the line search failed) and the
    /// norm of the direction.</summary>
    public (double Step, double DirectionNorm) Step()
    {
        _trialStep = double.NaN;
        // Direction: −g first, then the two-loop recursion. Each pass over the vectors updates the direction and computes
        // the dot product the next step needs (DeterministicVectorOps.UpdateThenDot): 2·memory + 1 passes.
        double gtd;
        if (_fresh)
        {
            _stored = 0; _oldest = 0; _hDiagonal = 1;
            gtd = _ops.NegateThenDot(Gradient, _direction, Gradient);
        }
        else if (_stored == 0)
        {
            _ops.NegateThenDot(Gradient, _direction, null);
            gtd = _ops.UpdateThenDot(_direction, 0, null, _hDiagonal, Gradient);
        }
        else
        {
            int Slot(int r) => (_oldest + r) % _memory;
            double dot = _ops.NegateThenDot(Gradient, _direction, _s[Slot(_stored - 1)]);
            for (int r = _stored - 1; r >= 0; r--)
            {
                int slot = Slot(r);
                _alpha[slot] = dot * _rho[slot];
                // q ← q − α·y; the last pass also scales by H0 and gives yᵀq for the first step of the second loop.
                dot = r > 0
                    ? _ops.UpdateThenDot(_direction, -_alpha[slot], _y[slot], 1.0, _s[Slot(r - 1)])
                    : _ops.UpdateThenDot(_direction, -_alpha[slot], _y[slot], _hDiagonal, _y[Slot(0)]);
            }
            for (int r = 0; r < _stored; r++)
            {
                int slot = Slot(r);
                double beta = dot * _rho[slot];
                dot = _ops.UpdateThenDot(_direction, _alpha[slot] - beta, _s[slot], 1.0, r + 1 < _stored ? _y[Slot(r + 1)] : Gradient);
            }
            gtd = dot;
        }
        double t = _fresh ? Math.Min(1.0, 1.0 / Math.Max(_ops.SumAbs(Gradient), double.Epsilon)) : 1.0;
        if (!(gtd < 0))
        {
            // Not a descent direction (possible with projected curvature pairs): restart from steepest descent.
            // PyTorch's descent check is disabled in PyMDE; this guard only avoids a useless line search.
            _stored = 0; _oldest = 0; _hDiagonal = 1;
            gtd = _ops.NegateThenDot(Gradient, _direction, Gradient);
            t = Math.Min(1.0, 1.0 / Math.Max(_ops.SumAbs(Gradient), double.Epsilon));
            if (!(gtd < 0)) return (0, 0);
        }
        double directionNorm = _ops.Norm(_direction);
        Array.Copy(Gradient, _previousGradient, Gradient.Length);

        var (newValue, step) = StrongWolfe(t, gtd, directionNorm);
        if (step == 0 || !double.IsFinite(newValue) || newValue > Value)
        {
            (newValue, step) = Backtrack(t, gtd);
        }
        if (step == 0)
        {
            _fresh = true; // PyMDE clears the memory after a failed line search
            return (0, directionNorm);
        }
        // Accept Π(X + t·d); the gradient at that point is in _trialGradient when it was the last point evaluated,
        // otherwise in the bracket buffer the search kept.
        if (step != _trialStep)
        {
            _ops.AddScaled(X, step, _direction, _trialX);
            _constraint.Project(_trialX);
        }
        Array.Copy(_trialX, X, X.Length);
        Array.Copy(_acceptedGradient!, Gradient, Gradient.Length);
        Value = newValue;
        ResidualNorm = _ops.Norm(Gradient);

        // Curvature pair: s = t·d (un-projected), y = g_new − g_old (no vector transport, as PyMDE).
        // yᵀs is computed before anything is written: a rejected pair must not overwrite the oldest stored one.
        // The pair is written into the spare buffers and swapped in only when kept.
        var (ys, yy) = _ops.CurvaturePair(step, _direction, Gradient, _previousGradient, _sSpare, _ySpare);
        if (ys > 1e-10)
        {
            int next = _stored < _memory ? (_oldest + _stored) % _memory : _oldest;
            (_s[next], _sSpare) = (_sSpare, _s[next]);
            (_y[next], _ySpare) = (_ySpare, _y[next]);
            _rho[next] = 1.0 / ys;
            if (_stored < _memory) _stored++; else _oldest = (_oldest + 1) % _memory;
            _hDiagonal = ys / yy;
        }
        _fresh = false;
        return (step, directionNorm);
    }

    private float[]? _acceptedGradient;

    /// <summary>PyTorch's _strong_wolfe with trial points projected. Returns (value, t); sets _acceptedGradient.</summary>
    private (double Value, double Step) StrongWolfe(double t, double gtd, double directionNorm)
    {
        double f = Value;
        double dNorm = DeterministicVectorOps.MaxAbs(_direction);
        // Non-finite first trial: halve t, up to 10 times (PyMDE).
        double fNew = EvaluateAlong(t);
        for (int halvings = 0; halvings < 10 && !double.IsFinite(fNew); halvings++)
        {
            t *= 0.5;
            fNew = EvaluateAlong(t);
        }
        if (!double.IsFinite(fNew)) return (double.NaN, 0);
        int evaluations = 1;
        double gtdNew = _ops.Dot(_trialGradient, _direction);

        // Bracket slots: (t, f, gtd, gradient buffer). Slot 'prev' starts at t = 0 with the current point.
        double tPrev = 0, fPrev = f, gtdPrev = gtd;
        float[] gPrev = _lineStartGradient;
        Array.Copy(Gradient, gPrev, Gradient.Length);
        var bracketT = new double[2]; var bracketF = new double[2]; var bracketGtd = new double[2];
        var bracketG = new[] { _bracketGradient0, _bracketGradient1 };
        int bracketSize = 0;
        bool done = false;
        int iteration = 0;
        while (iteration < MaxLineSearchEvaluations)
        {
            if (fNew > f + C1 * t * gtd || (iteration > 1 && fNew >= fPrev))
            {
                SetSlot(0, tPrev, fPrev, gtdPrev, gPrev); SetSlot(1, t, fNew, gtdNew, _trialGradient); bracketSize = 2;
                break;
            }
            if (Math.Abs(gtdNew) <= -C2 * gtd)
            {
                SetSlot(0, t, fNew, gtdNew, _trialGradient); bracketSize = 1; done = true;
                break;
            }
            if (gtdNew >= 0)
            {
                SetSlot(0, tPrev, fPrev, gtdPrev, gPrev); SetSlot(1, t, fNew, gtdNew, _trialGradient); bracketSize = 2;
                break;
            }
            double minStep = t + 0.01 * (t - tPrev), maxStep = t * 10;
            double previous = t;
            t = CubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, minStep, maxStep);
            tPrev = previous; fPrev = fNew; gtdPrev = gtdNew;
            Array.Copy(_trialGradient, gPrev, gPrev.Length);
            fNew = EvaluateAlong(t);
            evaluations++;
            gtdNew = _ops.Dot(_trialGradient, _direction);
            iteration++;
        }
        if (iteration == MaxLineSearchEvaluations)
        {
            SetSlot(0, 0, f, gtd, Gradient); SetSlot(1, t, fNew, gtdNew, _trialGradient); bracketSize = 2;
        }

        bool insufficientProgress = false;
        int low = 0, high = 1;
        if (bracketSize == 2 && bracketF[0] > bracketF[1]) { low = 1; high = 0; }
        while (!done && iteration < MaxLineSearchEvaluations && bracketSize == 2)
        {
            if (Math.Abs(bracketT[1] - bracketT[0]) * dNorm < BracketTolerance) break;
            t = CubicInterpolate(bracketT[0], bracketF[0], bracketGtd[0], bracketT[1], bracketF[1], bracketGtd[1],
                Math.Min(bracketT[0], bracketT[1]), Math.Max(bracketT[0], bracketT[1]));
            double hi = Math.Max(bracketT[0], bracketT[1]), lo = Math.Min(bracketT[0], bracketT[1]);
            double eps = 0.1 * (hi - lo);
            if (Math.Min(hi - t, t - lo) < eps)
            {
                if (insufficientProgress || t >= hi || t <= lo)
                {
                    t = Math.Abs(t - hi) < Math.Abs(t - lo) ? hi - eps : lo + eps;
                    insufficientProgress = false;
                }
                else insufficientProgress = true;
            }
            else insufficientProgress = false;
            fNew = EvaluateAlong(t);
            evaluations++;
            gtdNew = _ops.Dot(_trialGradient, _direction);
            iteration++;
            if (!double.IsFinite(fNew) || fNew > f + C1 * t * gtd || fNew >= bracketF[low])
            {
                SetSlot(high, t, fNew, gtdNew, _trialGradient);
                (low, high) = bracketF[0] <= bracketF[1] ? (0, 1) : (1, 0);
            }
            else
            {
                if (Math.Abs(gtdNew) <= -C2 * gtd) done = true;
                else if (gtdNew * (bracketT[high] - bracketT[low]) >= 0)
                {
                    SetSlot(high, bracketT[low], bracketF[low], bracketGtd[low], bracketG[low]);
                }
                SetSlot(low, t, fNew, gtdNew, _trialGradient);
            }
        }
        _acceptedGradient = bracketG[low];
        return (bracketF[low], bracketT[low]);

        void SetSlot(int slot, double st, double sf, double sgtd, float[] gradient)
        {
            bracketT[slot] = st; bracketF[slot] = sf; bracketGtd[slot] = sgtd;
            if (!ReferenceEquals(gradient, bracketG[slot])) Array.Copy(gradient, bracketG[slot], gradient.Length);
        }
    }

    /// <summary>Fallback after a failed search: t ← 0.8·t until Armijo holds; t = 0 when t drops below 1e-8.</summary>
    private (double Value, double Step) Backtrack(double t, double gtd)
    {
        while (t >= 1e-8)
        {
            double fNew = EvaluateAlong(t);
            if (double.IsFinite(fNew) && fNew <= Value + C1 * t * gtd)
            {
                Array.Copy(_trialGradient, _bracketGradient0, _trialGradient.Length);
                _acceptedGradient = _bracketGradient0;
                return (fNew, t);
            }
            t *= 0.8;
        }
        return (Value, 0);
    }

    /// <summary>Minimiser of the cubic through (x1, f1, g1), (x2, f2, g2), clamped to [lower, upper] (PyTorch's _cubic_interpolate).</summary>
    internal static double CubicInterpolate(double x1, double f1, double g1, double x2, double f2, double g2, double lower, double upper)
    {
        double d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
        double d2Square = d1 * d1 - g1 * g2;
        if (d2Square >= 0 && double.IsFinite(d2Square))
        {
            double d2 = Math.Sqrt(d2Square);
            double minimum = x1 <= x2
                ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
                : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
            if (double.IsFinite(minimum)) return Math.Min(Math.Max(minimum, lower), upper);
        }
        return (lower + upper) / 2;
    }

}
