namespace EmbedPS.Core.Mde;

/// <summary>
/// The straightforward evaluation: one thread, one loop over edges, double arithmetic, the gradient scattered to both
/// endpoints (∇x_i += c·(x_i − x_j), ∇x_j −= c·(x_i − x_j)), as PyMDE's autograd does. It is the reference the fast
/// back-ends are tested against and the baseline of the benchmark.
/// </summary>
public sealed class ScalarMdeBackend : IMdeBackend
{
    private readonly MdeProblem _problem;
    private readonly double[] _accumulator;
    private readonly double[] _difference;

    public ScalarMdeBackend(MdeProblem problem)
    {
        _problem = problem;
        _accumulator = new double[problem.EntityCount * problem.Dimension];
        _difference = new double[problem.Dimension];
    }

    public string DeviceName => "CPU (scalar reference, 1 thread)";

    public double Evaluate(float[] coordinates, float[] gradient)
    {
        int m = _problem.Dimension, p = _problem.EdgeCount;
        Array.Clear(_accumulator);
        double total = 0;
        for (int k = 0; k < p; k++)
        {
            int i = _problem.Source[k] * m, j = _problem.Target[k] * m;
            double squared = 0;
            for (int a = 0; a < m; a++)
            {
                _difference[a] = (double)coordinates[i + a] - coordinates[j + a];
                squared += _difference[a] * _difference[a];
            }
            double d = Math.Sqrt(squared), w = _problem.Weights[k];
            var penalty = _problem.PenaltyOf(k);
            total += w * penalty.Value(d);
            if (d <= 0) continue; // zero difference: no gradient contribution whatever the coefficient
            double c = w * penalty.Derivative(d) / (d * p);
            for (int a = 0; a < m; a++)
            {
                _accumulator[i + a] += c * _difference[a];
                _accumulator[j + a] -= c * _difference[a];
            }
        }
        for (int t = 0; t < gradient.Length; t++) gradient[t] = (float)_accumulator[t];
        return p == 0 ? 0 : total / p;
    }

    public void Dispose() { }
}
