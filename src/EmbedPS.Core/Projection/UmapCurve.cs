namespace EmbedPS.Core.Projection;

/// <summary>
/// umap-learn's <c>find_ab_params</c>: fits φ(x) = 1 / (1 + a·x^(2b)) by nonlinear least squares to
/// ψ(x) = 1 for x &lt; min_dist, exp(−(x − min_dist)/spread) otherwise, on 300 equally spaced x in [0, 3·spread]
/// (scipy's curve_fit: Levenberg–Marquardt from a = b = 1). Here Levenberg–Marquardt with analytic derivatives.
/// </summary>
public static class UmapCurve
{
    public static (double A, double B) FitAB(double spread, double minDistance)
    {
        if (!(spread > 0)) throw new ArgumentOutOfRangeException(nameof(spread), "spread must be positive.");
        if (minDistance < 0 || minDistance > spread) throw new ArgumentOutOfRangeException(nameof(minDistance), "min_dist must be in [0, spread].");
        const int samples = 300;
        var x = new double[samples];
        var y = new double[samples];
        for (int i = 0; i < samples; i++)
        {
            x[i] = 3 * spread * i / (samples - 1); // numpy.linspace(0, 3·spread, 300)
            y[i] = x[i] < minDistance ? 1.0 : Math.Exp(-(x[i] - minDistance) / spread);
        }
        double a = 1, b = 1, lambda = 1e-3;
        double cost = Cost(x, y, a, b);
        for (int iteration = 0; iteration < 1000; iteration++)
        {
            // Normal equations J^T J δ = −J^T r for r = φ − ψ.
            double jaa = 0, jab = 0, jbb = 0, ga = 0, gb = 0;
            for (int i = 0; i < samples; i++)
            {
                double xi = x[i];
                double p = xi > 0 ? Math.Pow(xi, 2 * b) : 0;
                double denominator = 1 + a * p;
                double phi = 1 / denominator;
                double r = phi - y[i];
                double da = -p / (denominator * denominator);
                double db = xi > 0 ? -a * p * 2 * Math.Log(xi) / (denominator * denominator) : 0;
                jaa += da * da; jab += da * db; jbb += db * db; ga += da * r; gb += db * r;
            }
            bool improved = false;
            for (int attempt = 0; attempt < 30 && !improved; attempt++)
            {
                double maa = jaa * (1 + lambda), mbb = jbb * (1 + lambda);
                double det = maa * mbb - jab * jab;
                if (det == 0) { lambda *= 10; continue; }
                double stepA = (-ga * mbb + gb * jab) / det;
                double stepB = (-gb * maa + ga * jab) / det;
                double candidate = Cost(x, y, a + stepA, b + stepB);
                if (candidate < cost)
                {
                    bool converged = Math.Abs(stepA) < 1e-12 * (1 + Math.Abs(a)) && Math.Abs(stepB) < 1e-12 * (1 + Math.Abs(b));
                    a += stepA; b += stepB;
                    bool flat = cost - candidate < 1e-15 * cost;
                    cost = candidate;
                    lambda = Math.Max(lambda / 10, 1e-12);
                    improved = true;
                    if (converged || flat) return (a, b);
                }
                else lambda *= 10;
            }
            if (!improved) break;
        }
        return (a, b);
    }

    private static double Cost(double[] x, double[] y, double a, double b)
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double p = x[i] > 0 ? Math.Pow(x[i], 2 * b) : 0;
            double r = 1 / (1 + a * p) - y[i];
            sum += r * r;
        }
        return sum;
    }
}
