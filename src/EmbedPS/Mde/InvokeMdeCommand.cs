using System.Management.Automation;
using EmbedPS.Commands.Infrastructure;
using EmbedPS.Core.Mde;
using EmbedPS.Core.NeighborPreservation;

namespace EmbedPS.Commands.Mde;

/// <summary>
/// <para type="synopsis">Places every entity of a neighbour graph in 3–4 dimensions so that neighbours are close and random pairs are apart (minimum-distortion embedding).</para>
/// <para type="description">Invoke-Mde solves PyMDE's minimum-distortion problem for a NeighborGraph (from Invoke-NeighborPreservation,
/// or an artifact read with -InputPath): it minimises the average distortion (1/p) Σ w·p(d) over all edges in -Dimension
/// dimensions (default 3), with -AttractivePenalty on neighbour edges (default Log1p, exponent 1.5) and -RepulsivePenalty on
/// repulsive pairs (default Log, exponent 1), under the -Constraint Centered (default: zero mean) or Standardized (XᵀX = n·I,
/// zero mean). The graph is data only, so a saved graph can be re-solved with other penalties without recomputing the
/// neighbours. The optimiser is projected L-BFGS (memory 10, strong-Wolfe line search, every trial point projected onto the
/// constraint), as in PyMDE. It stops when the norm of the projected gradient is at most -Tolerance or after -MaxIterations
/// iterations (300 by default; use 2000 for final maps).</para>
/// <para type="description">-Init chooses the start, projected onto the constraint: Quadratic (default; the spectral
/// initialisation of the neighbour edges, computed with LOBPCG), Random (seeded), or Embedding: the coordinates of
/// -InitialEmbedding (a previous map, matched by entity id; new entities start at random). The CPU path is the default: multi-threaded,
/// SIMD, and gives the same result whatever the number of cores. -Device Gpu runs the distortion and gradient as ILGPU kernels on a
/// CUDA GPU: it is opt-in, not yet verified on a real GPU (docs/gpu.md), so -Device Auto, the default,
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
///   <code>Invoke-Mde -InputPath ./neighbors.parquet -AttractivePenalty Quadratic -Constraint Standardized -Dimension 2 -Init Random</code>
///   <para>Re-solves a saved neighbour graph with another penalty, constraint, dimension and start; the neighbour stage does not run again.</para>
/// </example>
/// <example>
///   <code>Invoke-Mde -InputPath ./neighbors.parquet -InitialEmbedding (Import-EmbedArtifact ./embedding.parquet)</code>
///   <para>Starts from a previous embedding (entities matched by id), so that this month's map stays close to last month's.</para>
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
///   <code>Get-ChildItem ./graphs/*.parquet | Invoke-Mde -Device Auto</code>
///   <para>Embeds several graph artifacts (bound by their FullName) on the CPU: -Device Auto uses the CPU path; -Device Gpu opts in to the CUDA path.</para>
/// </example>
/// <example>
///   <code>$graph | Invoke-Mde -Dimension 3,4 -AttractivePenalty Log1p,Quadratic -MaxIterations 50 -OutFile ./embedding.parquet | ConvertTo-Projection -MinDistance 0.05,0.5 -Epochs 50</code>
///   <para>A sweep: four embeddings (embedding.d3.attLog1p.parquet …), each projected with two min_dist values: eight projections whose Settings say which is which.</para>
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

    /// <summary>Dimensions of the embedding (embed in 3–4, then project to 2 with ConvertTo-Projection). Several values (3,4) sweep: one embedding per combination.</summary>
    [Parameter, ValidateSetting(typeof(MdeSettings), nameof(MdeSettings.Dimension))]
    [Alias("EmbeddingDimension")]
    public int[] Dimension { get; set; } = [MdeSettings.Dimension.Default];

    /// <summary>Penalty on neighbour edges: Log1p (PyMDE's default), Quadratic, Huber or Log. Several values sweep.</summary>
    [Parameter]
    public PenaltyKind[] AttractivePenalty { get; set; } = [MdeSettings.AttractivePenalty.Default];

    /// <summary>Exponent α of a Log1p or Log attractive penalty.</summary>
    [Parameter, ValidateSetting(typeof(MdeSettings), nameof(MdeSettings.AttractiveExponent))]
    public double AttractiveExponent { get; set; } = MdeSettings.AttractiveExponent.Default;

    /// <summary>Penalty on repulsive pairs: Log (PyMDE's default), Log1p, Quadratic or Huber.</summary>
    [Parameter]
    public PenaltyKind RepulsivePenalty { get; set; } = MdeSettings.RepulsivePenalty.Default;

    /// <summary>Exponent α of a Log or Log1p repulsive penalty.</summary>
    [Parameter, ValidateSetting(typeof(MdeSettings), nameof(MdeSettings.RepulsiveExponent))]
    public double RepulsiveExponent { get; set; } = MdeSettings.RepulsiveExponent.Default;

    /// <summary>Threshold δ of a Huber penalty.</summary>
    [Parameter, ValidateSetting(typeof(MdeSettings), nameof(MdeSettings.HuberThreshold))]
    public double HuberThreshold { get; set; } = MdeSettings.HuberThreshold.Default;

    /// <summary>Centered (zero mean; PyMDE's choice when there are repulsive pairs) or Standardized (zero mean, XᵀX = n·I).</summary>
    [Parameter, ValidateSetting(typeof(MdeSettings), nameof(MdeSettings.Constraint))]
    public ConstraintKind Constraint { get; set; } = MdeSettings.Constraint.Default;

    /// <summary>The start: Quadratic (spectral), Random (seeded), or Embedding (the coordinates of -InitialEmbedding).</summary>
    [Parameter]
    public InitKind Init { get; set; } = InitKind.Quadratic;

    /// <summary>A previous embedding to start from (matched by entity id; entities it lacks start at random); implies -Init Embedding. Its dimension must equal -Dimension.</summary>
    [Parameter]
    public Embedding? InitialEmbedding { get; set; }

    /// <summary>Seed of the random start, of the spectral start's random block and of the start of entities missing from -InitialEmbedding.</summary>
    [Parameter]
    public int Seed { get; set; } = MdeSettings.Seed.Default;

    /// <summary>Most L-BFGS iterations (PyMDE default 300; 2000 for final maps).</summary>
    [Parameter, ValidateSetting(typeof(MdeSettings), nameof(MdeSettings.MaxIterations))]
    public int MaxIterations { get; set; } = MdeSettings.MaxIterations.Default;

    /// <summary>Stop when the Frobenius norm of the projected gradient is at most this (PyMDE's eps).</summary>
    [Parameter, ValidateSetting(typeof(MdeSettings), nameof(MdeSettings.Tolerance))]
    public double Tolerance { get; set; } = MdeSettings.Tolerance.Default;

    /// <summary>Auto (the CPU, for now: see the description), Cpu, or Gpu (opt-in; an error when no CUDA GPU is usable).</summary>
    [Parameter]
    public MdeDevice Device { get; set; } = MdeSettings.Device.Default;

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
        var bound = MyInvocation.BoundParameters;
        var init = bound.ContainsKey(nameof(Init)) ? Init : InitialEmbedding is null ? InitKind.Quadratic : InitKind.Embedding;
        if (init == InitKind.Embedding && InitialEmbedding is null)
            ThrowArgumentError("MissingInitEmbedding", "-Init Embedding needs -InitialEmbedding, the embedding to start from.", Init);
        if (init != InitKind.Embedding && InitialEmbedding is not null)
            ThrowArgumentError("InitialEmbeddingIgnored", $"-InitialEmbedding is only used with -Init Embedding, not -Init {init}.", Init);
        var sweep = new SweepBinding().Bind(this, MdeSettings.All, MdeSettings.Seed, Seed);
        foreach (var combination in sweep.Combinations)
        {
            var (configuration, resolved) = MdeSettings.Resolve(combination.Values);
            configuration.Init = init;
            configuration.InitialEmbedding = InitialEmbedding;
            var options = resolved with { SnapshotEvery = SnapshotEvery, VerboseEvery = VerboseEvery };
            WriteVerbose($"Embedding {graph} ({configuration}){(combination.IsSweep ? ": " + SweepBinding.Describe(combination, sweep.Swept) : "")}.");
            var embedding = RunStage("Minimum-distortion embedding" + (combination.IsSweep ? $" ({combination.Index + 1} of {combination.Count})" : ""),
                (log, ct) => MinimumDistortionEmbedding.Run(graph, configuration, options, log, ct), target);
            embedding.Provenance.WithSettings([], sweep.Swept);
            WriteVerbose($"{embedding}; stopped: {embedding.StopReason}; device: {embedding.Device}.");
            SaveAndEmit(embedding, sweep, embedding.Provenance);
        }
    }
}
