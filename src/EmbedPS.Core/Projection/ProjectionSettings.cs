using EmbedPS.Core.Common;
using static EmbedPS.Core.Common.Settings;

namespace EmbedPS.Core.Projection;

/// <summary>
/// ConvertTo-Projection's options, declared once: name, default, range and help. <see cref="UmapOptions"/>,
/// <see cref="TsneOptions"/>, the cmdlet's parameters and each hashtable of the pipeline's <c>Projections</c> take their
/// defaults and ranges from here.
/// </summary>
public static class ProjectionSettings
{
    public static readonly Setting<ProjectionMethod> Method = Enum("Method", ProjectionMethod.Umap, "Umap, Tsne or Pca.");
    public static readonly Setting<string?> Name = new("Name", SettingType.String, null, "The layout's name in the atlas (default: the method).");
    public static readonly Setting<int> Seed = Int("Seed", 42, "Seed of the start and of the sampling.");
    public static readonly Setting<int> Neighbors = Int("Neighbors", 15, "UMAP n_neighbors.", 2, 200) with { Sweepable = true, Label = "k", Short = "k" };
    public static readonly Setting<double> MinDistance = Double("MinDistance", 0.1, "UMAP min_dist.", 0, 10) with { Sweepable = true, Label = "min_dist", Short = "md" };
    public static readonly Setting<double> Spread = Double("Spread", 1.0, "UMAP spread.", 0.01, 10);
    public static readonly Setting<int> Epochs = Int("Epochs", 0, "UMAP epochs (0: automatic, 500 below 10,000 points, else 200).", 0, 100_000);
    public static readonly Setting<int> NegativeSampleRate = Int("NegativeSampleRate", 5, "UMAP negative samples per positive one.", 1, 100);
    public static readonly Setting<double> LearningRate = Double("LearningRate", 0, "Initial learning rate (0: the method's default; UMAP 1, t-SNE n / exaggeration).", 0, 1e9);
    public static readonly Setting<double> Perplexity = Double("Perplexity", 30, "t-SNE perplexity.", 1, 1000) with { Sweepable = true, Label = "perplexity", Short = "perp" };
    public static readonly Setting<double> Exaggeration = Double("Exaggeration", 1, "t-SNE exaggeration after the early phase.", 1, 100);
    public static readonly Setting<double?> EarlyExaggeration = OptionalDouble("EarlyExaggeration", "t-SNE early exaggeration (default max(12, Exaggeration)).", 1, 100);
    public static readonly Setting<int> Iterations = Int("Iterations", 750, "t-SNE iterations, early phase included.", 3, 100_000);
    public static readonly Setting<double> Theta = Double("Theta", 0.5, "t-SNE Barnes–Hut accuracy.", 0, 2);
    public static readonly Setting<TsneRepulsion> Repulsion = Enum("Repulsion", TsneRepulsion.Auto, "t-SNE repulsion: Auto, BarnesHut, Fft or Exact.");
    public static readonly Setting<double> RefineLearningRate = Double("RefineLearningRate", 0.1, "UMAP learning rate when refining the previous map (pipeline AlignTo = 'latest').", 1e-6, 10);
    public static readonly Setting<int> RefineEpochs = Int("RefineEpochs", 100, "UMAP epochs when refining the previous map (pipeline AlignTo = 'latest').", 1, 100_000);

    /// <summary>The options of one pipeline projection, in documentation order.</summary>
    public static IReadOnlyList<SettingSpec> All { get; } = new SettingSpec[]
    {
        Method, Name, Seed, Neighbors, MinDistance, Spread, Epochs, NegativeSampleRate, LearningRate, Perplexity, Exaggeration,
        EarlyExaggeration, Iterations, Theta, Repulsion, RefineLearningRate, RefineEpochs,
    };

    /// <summary>
    /// The UMAP and t-SNE settings that <paramref name="values"/> describe. <paramref name="refine"/>: UMAP starts from a previous
    /// map and refines it (its learning rate and epochs default to RefineLearningRate and RefineEpochs, at the start's scale).
    /// </summary>
    public static (UmapOptions Umap, TsneOptions Tsne) Resolve(IReadOnlyDictionary<string, object?> values, bool refine = false)
    {
        int seed = Seed.From(values);
        double learningRate = LearningRate.From(values);
        int epochs = Epochs.From(values);
        bool epochsGiven = values.Keys.Any(k => string.Equals(k, Epochs.Name, StringComparison.OrdinalIgnoreCase) && values[k] is not null);
        double exaggeration = Exaggeration.From(values);
        var umap = new UmapOptions
        {
            Neighbors = Neighbors.From(values),
            MinDistance = MinDistance.From(values),
            Spread = Spread.From(values),
            Epochs = refine && !epochsGiven ? RefineEpochs.From(values) : epochs,
            NegativeSampleRate = NegativeSampleRate.From(values),
            LearningRate = learningRate > 0 ? learningRate : refine ? RefineLearningRate.From(values) : 1.0,
            Seed = seed,
            KeepInitialScale = refine,
        };
        var tsne = new TsneOptions
        {
            Perplexity = Perplexity.From(values),
            Exaggeration = exaggeration,
            EarlyExaggeration = EarlyExaggeration.From(values) ?? Math.Max(12, exaggeration),
            Iterations = Iterations.From(values),
            Theta = Theta.From(values),
            Repulsion = Repulsion.From(values),
            LearningRate = learningRate,
            Seed = seed,
        };
        return (umap, tsne);
    }
}
