using System.Management.Automation;
using EmbedPS.Commands.Infrastructure;
using EmbedPS.Core.Mde;
using EmbedPS.Core.Projection;
using ProjectionResult = EmbedPS.Core.Projection.Projection;

namespace EmbedPS.Commands.Projection;

/// <summary>
/// <para type="synopsis">Projects an embedding to 2-D with UMAP, t-SNE or PCA: the atlas layout.</para>
/// <para type="description">Takes an Embedding (usually Invoke-Mde's 3–4-D output, or any numeric vectors) and places every entity
/// on the plane. UMAP (default) follows umap-learn: fuzzy simplicial set on the -Neighbors nearest neighbours, curve parameters
/// a/b fitted from -MinDistance and -Spread, 500 epochs up to 10,000 entities and 200 above (-Epochs), negative sampling
/// (-NegativeSampleRate), gradient clipping and a decaying -LearningRate, starting from the PCA of the input. Its SGD is parallel
/// and still gives the same result for the same -Seed on any number of cores. t-SNE follows openTSNE: perplexity affinities on the
/// 3·-Perplexity nearest neighbours, 250 iterations of early exaggeration 12 then the normal phase (-Iterations in total, 750),
/// learning rate n/exaggeration, Barnes–Hut repulsion (-Theta) below 10,000 entities and FFT-accelerated interpolation (FIt-SNE)
/// above. PCA is the exact projection on the two main axes. -AlignTo rotates, reflects and scales the result onto an earlier
/// projection (Procrustes on the shared entities) so that maps stay put across rebuilds, and reports the median displacement;
/// -InitialProjection starts UMAP or t-SNE from an earlier projection. Recall@10 against the input is stored in Quality.
/// Exact nearest neighbours use a k-d tree for inputs up to 16 dimensions.</para>
/// </summary>
/// <example>
///   <code>$projection.Rows | Sort-Object Popularity -Descending | Select-Object -First 20 | Export-Csv ./top.csv</code>
///   <para>Per-entity rows (Entity, X, Y, Popularity; an Embedding's rows have X0 … X{d-1}) for Export-Csv, Where-Object and Sort-Object.</para>
/// </example>
/// <example>
///   <code>$map = Import-EmbedArtifact ./embedding.parquet | ConvertTo-Projection -Method Umap -Seed 42 -OutFile ./projection.parquet</code>
///   <para>UMAP with umap-learn's defaults, persisted as a projection artifact.</para>
/// </example>
/// <example>
///   <code>$embedding | ConvertTo-Projection -Method Tsne -Perplexity 50 -Verbose</code>
///   <para>t-SNE with a larger neighbourhood; -Verbose shows the phases, the repulsion method and the KL divergence.</para>
/// </example>
/// <example>
///   <code>$new = $embedding | ConvertTo-Projection -AlignTo ./last-month.parquet -InitialProjection ./last-month.parquet</code>
///   <para>Rebuilds the map starting from last month's layout and aligns it onto it; Quality['alignment_median_displacement'] says how far entities moved.</para>
/// </example>
/// <example>
///   <code>$embedding | ConvertTo-Projection -Neighbors 15,50 -MinDistance 0.05,0.1,0.5 -Epochs 50 -OutFile ./map.parquet | Select-Object Method, Settings</code>
///   <para>A parameter sweep: six projections, one per combination, written to map.k15.md0.05.parquet … map.k50.md0.5.parquet; each has its own seed derived from -Seed and its settings, and the kNN graph is computed once per -Neighbors value.</para>
/// </example>
[Cmdlet(VerbsData.ConvertTo, "Projection", SupportsShouldProcess = true, DefaultParameterSetName = "InputObject")]
[OutputType(typeof(ProjectionResult))]
public sealed class ConvertToProjectionCommand : EmbedPSStageCmdlet
{
    /// <summary>The embedding to project.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = "InputObject")]
    public Embedding InputObject { get; set; } = null!;

    /// <summary>Path of an embedding artifact, or of a numeric CSV table (an 'entity' column and numeric columns), to project.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = "Path")]
    [Alias("FullName", "PSPath")]
    public string InputPath { get; set; } = "";

    /// <summary>Umap (default), Tsne or Pca.</summary>
    [Parameter(Position = 0)]
    public ProjectionMethod Method { get; set; } = ProjectionSettings.Method.Default;

    /// <summary>UMAP: neighbourhood size, counting the entity itself (umap-learn's n_neighbors, 15). Several values (15,50) sweep; the kNN graph is computed once per value.</summary>
    [Parameter, ValidateSetting(typeof(ProjectionSettings), nameof(ProjectionSettings.Neighbors))] public int[] Neighbors { get; set; } = [ProjectionSettings.Neighbors.Default];
    /// <summary>UMAP: how tightly points may pack (min_dist, 0.1). Several values (0.05,0.1,0.5) sweep: one projection per combination.</summary>
    [Parameter, ValidateSetting(typeof(ProjectionSettings), nameof(ProjectionSettings.MinDistance))] public double[] MinDistance { get; set; } = [ProjectionSettings.MinDistance.Default];
    /// <summary>UMAP: scale of the embedded points (spread, 1.0).</summary>
    [Parameter, ValidateSetting(typeof(ProjectionSettings), nameof(ProjectionSettings.Spread))] public double Spread { get; set; } = ProjectionSettings.Spread.Default;
    /// <summary>UMAP: SGD epochs; 0 = 500 up to 10,000 entities, else 200.</summary>
    [Parameter, ValidateSetting(typeof(ProjectionSettings), nameof(ProjectionSettings.Epochs))] public int Epochs { get; set; } = ProjectionSettings.Epochs.Default;
    /// <summary>UMAP: negative samples per positive sample (5).</summary>
    [Parameter, ValidateSetting(typeof(ProjectionSettings), nameof(ProjectionSettings.NegativeSampleRate))] public int NegativeSampleRate { get; set; } = ProjectionSettings.NegativeSampleRate.Default;
    /// <summary>Initial learning rate; 0 = the method's default (UMAP 1.0, t-SNE n / exaggeration).</summary>
    [Parameter, ValidateSetting(typeof(ProjectionSettings), nameof(ProjectionSettings.LearningRate))] public double LearningRate { get; set; } = ProjectionSettings.LearningRate.Default;
    /// <summary>t-SNE: perplexity (30); 3·perplexity neighbours are used. Several values (15,30,50) sweep.</summary>
    [Parameter, ValidateSetting(typeof(ProjectionSettings), nameof(ProjectionSettings.Perplexity))] public double[] Perplexity { get; set; } = [ProjectionSettings.Perplexity.Default];
    /// <summary>t-SNE: exaggeration of the normal phase (1 = none; above 1 gives tighter clusters).</summary>
    [Parameter, ValidateSetting(typeof(ProjectionSettings), nameof(ProjectionSettings.Exaggeration))] public double Exaggeration { get; set; } = ProjectionSettings.Exaggeration.Default;
    /// <summary>t-SNE: early exaggeration factor for the first 250 iterations (12, or -Exaggeration when that is larger, as openTSNE).</summary>
    [Parameter, ValidateSetting(typeof(ProjectionSettings), nameof(ProjectionSettings.EarlyExaggeration))] public double EarlyExaggeration { get; set; } = Math.Max(12, ProjectionSettings.Exaggeration.Default);
    /// <summary>t-SNE: total iterations, early exaggeration included (750).</summary>
    [Parameter, ValidateSetting(typeof(ProjectionSettings), nameof(ProjectionSettings.Iterations))] public int Iterations { get; set; } = ProjectionSettings.Iterations.Default;
    /// <summary>t-SNE: Barnes–Hut opening angle (0.5).</summary>
    [Parameter, ValidateSetting(typeof(ProjectionSettings), nameof(ProjectionSettings.Theta))] public double Theta { get; set; } = ProjectionSettings.Theta.Default;
    /// <summary>t-SNE: repulsion method: Auto (Barnes–Hut below 10,000 entities, FFT above), BarnesHut, Fft or Exact.</summary>
    [Parameter] public TsneRepulsion Repulsion { get; set; } = ProjectionSettings.Repulsion.Default;
    /// <summary>Seed of every random choice; the same seed gives the same projection on any number of cores.</summary>
    [Parameter] public int Seed { get; set; } = ProjectionSettings.Seed.Default;
    /// <summary>An earlier Projection (or its artifact path) to rotate, reflect and scale the result onto.</summary>
    [Parameter] public object? AlignTo { get; set; }
    /// <summary>An earlier Projection (or its artifact path) to start UMAP or t-SNE from, matched by entity id.</summary>
    [Parameter] public object? InitialProjection { get; set; }
    /// <summary>Skip the recall@10 quality measure.</summary>
    [Parameter] public SwitchParameter NoQuality { get; set; }

    protected override void ProcessRecord()
    {
        var input = ParameterSetName == "Path"
            ? (InputPath.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)
                ? RunStage("Reading table", (_, _) => NumericTable.ReadCsv(ResolveInputPath(InputPath)), InputPath)
                : ReadArtifact<Embedding>(InputPath))
            : InputObject;
        var align = ProjectionInputs.Resolve(this, AlignTo, nameof(AlignTo), p => ReadArtifact<object>(p));
        var start = ProjectionInputs.Resolve(this, InitialProjection, nameof(InitialProjection), p => ReadArtifact<object>(p));
        if (!MyInvocation.BoundParameters.ContainsKey(nameof(EarlyExaggeration))) EarlyExaggeration = Math.Max(12, Exaggeration);
        // A sweep runs once per combination of the method's own swept settings (UMAP: -Neighbors, -MinDistance; t-SNE:
        // -Perplexity); the values of the other method's settings do not multiply the runs.
        var ownSpecs = ProjectionSettings.All.Where(s => !s.Sweepable || Method switch
        {
            ProjectionMethod.Umap => s == ProjectionSettings.Neighbors || s == ProjectionSettings.MinDistance,
            ProjectionMethod.Tsne => s == ProjectionSettings.Perplexity,
            _ => false,
        }).ToList();
        var sweep = new SweepBinding().Bind(this, ownSpecs, ProjectionSettings.Seed, Seed);
        var alignTo = align is null ? null : ProjectionInputs.Require<ProjectionResult>(this, align, nameof(AlignTo));
        var initialProjection = start is null ? null : ProjectionInputs.Require<ProjectionResult>(this, start, nameof(InitialProjection));
        if (initialProjection is not null && Method == ProjectionMethod.Pca)
            WriteWarning("-InitialProjection is ignored by -Method Pca (PCA has no starting point).");
        // The kNN graph of the input (UMAP's fuzzy simplicial set) is computed once per -Neighbors value and reused across -MinDistance.
        var graphs = sweep.Combinations.Count > 1 ? new UmapGraphCache() : null;
        foreach (var combination in sweep.Combinations)
        {
            var (umap, tsne) = ProjectionSettings.Resolve(combination.Values);
            var parameters = new SortedDictionary<string, object?>(StringComparer.Ordinal) { ["Seed"] = combination.Seed };
            switch (Method)
            {
                case ProjectionMethod.Umap:
                    parameters["Neighbors"] = umap.Neighbors; parameters["MinDistance"] = umap.MinDistance; parameters["Spread"] = Spread;
                    parameters["Epochs"] = Epochs; parameters["NegativeSampleRate"] = NegativeSampleRate; parameters["LearningRate"] = LearningRate > 0 ? LearningRate : 1.0;
                    break;
                case ProjectionMethod.Tsne:
                    parameters["Perplexity"] = tsne.Perplexity; parameters["Exaggeration"] = Exaggeration; parameters["EarlyExaggeration"] = EarlyExaggeration;
                    parameters["Iterations"] = Iterations; parameters["Theta"] = Theta; parameters["Repulsion"] = Repulsion.ToString(); parameters["LearningRate"] = LearningRate;
                    break;
            }
            if (align is not null) parameters["AlignTo"] = (align as ProjectionResult)?.Provenance.ArtifactPath ?? "(in memory)";
            if (start is not null) parameters["InitialProjection"] = (start as ProjectionResult)?.Provenance.ArtifactPath ?? "(in memory)";
            var request = new ProjectionRequest
            {
                Method = Method,
                Umap = umap,
                Tsne = tsne,
                AlignTo = alignTo,
                InitialProjection = initialProjection,
                ComputeQuality = !NoQuality,
                Parameters = parameters,
                GraphCache = graphs,
            };
            if (combination.IsSweep) WriteVerbose($"ConvertTo-Projection ({Method}): {SweepBinding.Describe(combination, sweep.Swept)}.");
            var result = RunStage($"ConvertTo-Projection ({Method})" + (combination.IsSweep ? $" {combination.Index + 1} of {combination.Count}" : ""),
                (log, ct) => ProjectionBuilder.Build(input, request, log, ct), input);
            result.Provenance.WithSettings([], sweep.Swept);
            WriteVerbose(result + (result.Quality.Count > 0 ? "; " + string.Join(", ", result.Quality.Select(q => $"{q.Key} = {q.Value:G4}")) : ""));
            SaveAndEmit(result, sweep, result.Provenance);
        }
        if (graphs is not null) WriteVerbose($"Sweep: {graphs.Computed} UMAP neighbour graph(s) computed, reused {graphs.Reused} time(s).");
    }
}
