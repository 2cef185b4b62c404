using EmbedPS.Core.Projection;

namespace EmbedPS.Tests.Projections;

[Trait("Category", "Unit")]
public class FftTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(8)]
    [InlineData(12)]
    [InlineData(30)]
    [InlineData(60)]
    [InlineData(100)]
    [InlineData(384)]
    [InlineData(750)]
    public void Every_supported_length_matches_the_naive_DFT_in_both_directions(int length)
    {
        var fft = new Fft(length);
        var rng = new Random(length);
        foreach (int width in new[] { 1, 5, 16 })
            foreach (bool inverse in new[] { false, true })
            {
                var re = new double[length * width]; var im = new double[length * width];
                for (int t = 0; t < re.Length; t++) { re[t] = rng.NextDouble() - 0.5; im[t] = rng.NextDouble() - 0.5; }
                var sre = new double[re.Length]; var sim = new double[re.Length];
                var (inRe, inIm) = ((double[])re.Clone(), (double[])im.Clone());
                bool swapped = fft.TransformBlock(re, im, sre, sim, width, inverse);
                var (outRe, outIm) = swapped ? (sre, sim) : (re, im);
                double sign = inverse ? 1 : -1, worst = 0;
                for (int c = 0; c < width; c++)
                    for (int k = 0; k < length; k++)
                    {
                        double er = 0, ei = 0;
                        for (int j = 0; j < length; j++)
                        {
                            double angle = sign * 2 * Math.PI * ((long)j * k % length) / length;
                            double xr = inRe[j * width + c], xi = inIm[j * width + c];
                            er += xr * Math.Cos(angle) - xi * Math.Sin(angle);
                            ei += xr * Math.Sin(angle) + xi * Math.Cos(angle);
                        }
                        worst = Math.Max(worst, Math.Abs(er - outRe[k * width + c]) + Math.Abs(ei - outIm[k * width + c]));
                    }
                Assert.True(worst < 1e-9 * length, $"length {length}, width {width}, inverse {inverse}: error {worst:G3}");
            }
    }

    [Fact]
    public void Supported_lengths_have_no_prime_factor_above_five()
    {
        Assert.Equal(new[] { 2, 3, 4, 5, 6, 8, 9, 10, 12, 15, 16 }, Enumerable.Range(0, 17).Where(Fft.IsSupportedLength));
        Assert.Equal(300, Fft.NextSupportedLength(289));
        Assert.Equal(98_304, Fft.NextSupportedLength(98_000));
        Assert.Throws<ArgumentException>(() => new Fft(14));
    }

    [Theory]
    [InlineData(6)]
    [InlineData(20)]
    [InlineData(45)]
    public void Grid_convolution_equals_the_direct_linear_convolution(int nodes)
    {
        var rng = new Random(nodes);
        var charges = Enumerable.Range(0, 4).Select(_ => Enumerable.Range(0, nodes * nodes).Select(_ => rng.NextDouble()).ToArray()).ToArray();
        static double Kernel(int dx, int dy) { double w = 1 / (1 + 0.3 * (dx * dx + dy * dy)); return w * w; }
        var convolution = new GridConvolution(nodes);
        convolution.SetKernel(Kernel);
        var grids = charges.Select(c => (double[])c.Clone()).ToArray();
        convolution.Convolve(grids);
        double worst = 0, largest = 0;
        for (int g = 0; g < 4; g++)
            for (int y = 0; y < nodes; y++)
                for (int x = 0; x < nodes; x++)
                {
                    double direct = 0;
                    for (int y2 = 0; y2 < nodes; y2++)
                        for (int x2 = 0; x2 < nodes; x2++) direct += Kernel(x - x2, y - y2) * charges[g][y2 * nodes + x2];
                    worst = Math.Max(worst, Math.Abs(direct - grids[g][y * nodes + x]));
                    largest = Math.Max(largest, Math.Abs(direct));
                }
        Assert.True(worst < 1e-10 * largest, $"{nodes} nodes: error {worst:G3} of {largest:G3}");
    }
}
