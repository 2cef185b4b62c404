namespace EmbedPS.Core.Mde;

/// <summary>
/// Evaluates a minimum-distortion objective: the average distortion at given coordinates and its gradient.
/// Implementations: <see cref="CpuMdeBackend"/> (the default), <see cref="GpuMdeBackend"/> (ILGPU kernels) and
/// <see cref="ScalarMdeBackend"/> (a plain single-threaded reference).
/// </summary>
public interface IMdeBackend : IDisposable
{
    /// <summary>Where the work runs, in words ("CPU (2 threads)", "CUDA: NVIDIA H100…").</summary>
    string DeviceName { get; }

    /// <summary>
    /// Average distortion (1/p) Σ_k w_k p(‖x_i − x_j‖) at the row-major n × m <paramref name="coordinates"/>;
    /// its gradient with respect to the coordinates is written to <paramref name="gradient"/> (same shape).
    /// </summary>
    double Evaluate(float[] coordinates, float[] gradient);
}
