namespace EmbedPS.Core.Mde;

/// <summary>Where the distortion and its gradient are computed.</summary>
public enum MdeDevice
{
    /// <summary>The CPU, for now (docs/gpu.md); the CUDA path is opt-in (-Device Gpu).</summary>
    Auto,
    /// <summary>The multi-threaded CPU path.</summary>
    Cpu,
    /// <summary>A CUDA GPU through ILGPU; an error when there is none.</summary>
    Gpu,
}

/// <summary>Optimiser settings for <see cref="MinimumDistortionEmbedding"/> (PyMDE's MDE.embed arguments).</summary>
public sealed record MdeOptions
{
    /// <summary>Iterations of projected L-BFGS (PyMDE default 300).</summary>
    public int MaxIterations { get; init; } = MdeSettings.MaxIterations.Default;
    /// <summary>Stop when ‖projected gradient‖_F ≤ this (PyMDE's eps, default 1e-5).</summary>
    public double Tolerance { get; init; } = MdeSettings.Tolerance.Default;
    /// <summary>L-BFGS memory (PyMDE default 10).</summary>
    public int Memory { get; init; } = 10;
    /// <summary>Seed of the random start; null uses the graph configuration's seed.</summary>
    public int? Seed { get; init; }
    public MdeDevice Device { get; init; } = MdeSettings.Device.Default;
    /// <summary>Keep the coordinates every N iterations (0 = none).</summary>
    public int SnapshotEvery { get; init; }
    /// <summary>Verbose line every N iterations (0 = max(1, MaxIterations / 10), as PyMDE's print_every).</summary>
    public int VerboseEvery { get; init; }
    /// <summary>Threads of the CPU path (≤ 0 = all cores). Results do not depend on it.</summary>
    public int MaxDegreeOfParallelism { get; init; } = -1;
    /// <summary>Called after every iteration with (iteration, coordinates); for tests and tools.</summary>
    public Action<int, float[]>? AfterIteration { get; init; }
    /// <summary>Graphs of at least this many entities are solved in a renumbering that keeps neighbours close in memory
    /// (<see cref="MdeOrdering"/>; invisible in the results but for rounding). Below it the whole embedding stays in the
    /// core's caches and the renumbering would only cost time. Tests lower it to exercise the renumbered path.</summary>
    internal int ReorderFrom { get; init; } = 32_768;
}
