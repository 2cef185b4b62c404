using System.Management.Automation;
using EmbedPS.Commands.Infrastructure;
using EmbedPS.Core.Mde;
using EmbedPS.Core.NeighborPreservation;

namespace EmbedPS.Commands.Mde;

/// <summary>
/// <para type="synopsis">Places every entity of a neighbour graph in 3–4 dimensions so that neighbours are close and random pairs are apart (minimum-distortion embedding).</para>
/// <para type="description">Invoke-Mde solves PyMDE's minimum-distortion problem for a NeighborGraph (from Invoke-NeighborPreservation,
/// or an artifact read with -InputPath): it minimises the average distortion (1/p) Σ w·p(d) over all edges, with the penalties,
/// dimension and constraint the graph's configuration names — by default Log1p (exponent 1.5) on neighbour edges and Log
/// (exponent 1) on repulsive pairs — under the Standardized (XᵀX = n·I, zero mean), Centered or Anchored (given entities pinned)
/// constraint. The optimiser is projected L-BFGS (memory 10, strong-Wolfe line search, every trial point projected onto the
/// constraint), as in PyMDE. It stops when the norm of the projected gradient is at most -Tolerance or after -MaxIterations
/// iterations (300 by default; use 2000 for final maps).</para>
/// <para type="description">It starts from the graph's initial coordinates (the spectral initialisation or a previous embedding)
/// projected onto the constraint, or from a seeded random embedding when there are none. The CPU path is the default: multi-threaded,
/// SIMD, and gives the same result whatever the number of cores. -Device Gpu runs the distortion and gradient as ILGPU kernels on a
/// CUDA GPU: it is opt-in and unverified (it has not yet passed tools/gpu-check on real hardware), so -Device Auto, the default,
/// always uses the CPU. The result is an Embedding with the coordinates, entity ids, popularity, final
/// average distortion, iterations, the distortion after every iteration and why it stopped; -OutFile persists it as an 'embedding'
/// artifact. Progress shows the iteration and the distortion; -Verbose prints PyMDE's iteration lines every -VerboseEvery
/// iterations. Ctrl+C stops at the next iteration and emits nothing.</para>
/// </summary>
/// <example>
///   <code>$embedding = $graph | Invoke-Mde -Seed 42 -OutFile ./embedding.parquet</code>
///   <para>Embeds a neighbour graph with 300 iterations and saves the embedding artifact.</para>
/// </example>
/// <example>
///   <code>Invoke-Mde -InputPath ./neighbors.parquet -MaxIterations 2000 -Tolerance 1e-6 -Verbose</code>
///   <para>A final map: more iterations, a tighter tolerance, and the optimiser's progress every 200 iterations.</para>
/// </example>
/// <example>
///   <code>$e = $graph | Invoke-Mde -SnapshotEvery 10; $e.Snapshots | Select-Object Iteration</code>
///   <para>Keeps the coordinates every 10 iterations, for an animation of the optimisation.</para>
/// </example>
/// <example>
///   <code>Get-ChildItem ./graphs/*.parquet | Invoke-Mde -Device Gpu</code>
///   <para>Embeds several graph artifacts (bound by their FullName) on a CUDA GPU.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Invoke, "Mde", SupportsShouldProcess = true, DefaultParameterSetName = "InputObject")]
[OutputType(typeof(Embedding))]
public sealed class InvokeMdeCommand : EmbedPSStageCmdlet
{
    /// <summary>The neighbour graph to embed (from Invoke-NeighborPreservation or Import-EmbedArtifact).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = "InputObject")]
    public NeighborGraph InputObject { get; set; } = null!;

    /// <summary>Path of a neighbor-graph artifact to embed instead of a piped graph.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "Path", ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    public string InputPath { get; set; } = "";

    /// <summary>Seed of the random start (used when the graph carries no initial coordinates); defaults to the graph configuration's seed.</summary>
    [Parameter]
    public int Seed { get; set; }

    /// <summary>Most L-BFGS iterations (PyMDE default 300; 2000 for final maps).</summary>
    [Parameter, ValidateRange(0, 1_000_000)]
    public int MaxIterations { get; set; } = 300;

    /// <summary>Stop when the Frobenius norm of the projected gradient is at most this (PyMDE's eps).</summary>
    [Parameter, ValidateRange(0.0, 1e6)]
    public double Tolerance { get; set; } = 1e-5;

    /// <summary>Auto (the CPU until the CUDA path has passed tools/gpu-check on a real GPU), Cpu, or Gpu (opt-in, unverified on real hardware; an error when no CUDA GPU is usable).</summary>
    [Parameter]
    public MdeDevice Device { get; set; } = MdeDevice.Auto;

    /// <summary>Keep the coordinates every N iterations in the result's Snapshots (0 = none).</summary>
    [Parameter, ValidateRange(0, 1_000_000)]
    public int SnapshotEvery { get; set; }

    /// <summary>With -Verbose, print the optimiser's line every N iterations (default: a tenth of -MaxIterations).</summary>
    [Parameter, ValidateRange(0, 1_000_000)]
    public int VerboseEvery { get; set; }

    protected override void ProcessRecord()
    {
        NeighborGraph graph;
        string target;
        if (ParameterSetName == "Path")
        {
            graph = ReadArtifact<NeighborGraph>(InputPath);
            target = graph.Provenance.ArtifactPath ?? InputPath;
        }
        else
        {
            graph = InputObject;
            target = graph.ToString();
        }
        var options = new MdeOptions
        {
            MaxIterations = MaxIterations,
            Tolerance = Tolerance,
            Seed = MyInvocation.BoundParameters.ContainsKey(nameof(Seed)) ? Seed : null,
            Device = Device,
            SnapshotEvery = SnapshotEvery,
            VerboseEvery = VerboseEvery,
        };
        WriteVerbose($"Embedding {graph} ({graph.Configuration}).");
        var embedding = RunStage("Minimum-distortion embedding", (log, ct) => MinimumDistortionEmbedding.Run(graph, options, log, ct), target);
        WriteVerbose($"{embedding}; stopped: {embedding.StopReason}; device: {embedding.Device}.");
        SaveAndEmit(embedding);
    }
}
