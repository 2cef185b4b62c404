using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Common;
using EmbedPS.Core.Mde;
using EmbedPS.Core.NeighborPreservation;

namespace EmbedPS.Core.Projection;

/// <summary>
/// How a sweep's objects are told apart: the sweepable settings of the whole chain (graph → embedding → projection) in
/// order, the settings each stage records in <see cref="Provenance.Settings"/>, captions ("UMAP · k 15 · min_dist 0.05")
/// for contact sheets, quality tables and atlas layouts, and the file names of <c>-OutFile</c> (<c>map.k15.md0.05.parquet</c>).
/// </summary>
public static class SweepLabels
{
    /// <summary>The sweepable settings of every stage, upstream first.</summary>
    public static IReadOnlyList<SettingSpec> Chain { get; } = new SettingSpec[]
    {
        NeighborPreservationSettings.NeighborCount, MdeSettings.Dimension, MdeSettings.AttractivePenalty,
        ProjectionSettings.Neighbors, ProjectionSettings.MinDistance, ProjectionSettings.Perplexity,
    };

    /// <summary>The chain's setting of that name, or null.</summary>
    public static SettingSpec? Spec(string name) => Chain.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>UMAP, t-SNE or PCA, as captions write a method.</summary>
    public static string MethodName(string? method) => (method ?? "").ToUpperInvariant() switch
    {
        "UMAP" => "UMAP", "TSNE" => "t-SNE", "PCA" => "PCA", "" => "Projection", _ => method!,
    };

    /// <summary>What a projection records: its method and that method's sweepable settings (the others null).</summary>
    public static IEnumerable<KeyValuePair<string, object?>> ProjectionSettingsOf(ProjectionMethod method, UmapOptions umap, TsneOptions tsne)
    {
        yield return new("Method", method.ToString());
        yield return new(ProjectionSettings.Neighbors.Name, method == ProjectionMethod.Umap ? umap.Neighbors : null);
        yield return new(ProjectionSettings.MinDistance.Name, method == ProjectionMethod.Umap ? umap.MinDistance : null);
        yield return new(ProjectionSettings.Perplexity.Name, method == ProjectionMethod.Tsne ? tsne.Perplexity : null);
    }

    /// <summary>
    /// <paramref name="path"/> tagged with the swept settings of <paramref name="provenance"/> (upstream first):
    /// <c>map.parquet</c> → <c>map.k15.md0.05.parquet</c>; unchanged when nothing was swept.
    /// </summary>
    public static string FileName(string path, Provenance provenance) =>
        SettingSweep.FileName(path, Swept(provenance).Select(s => (s.Spec.Short ?? s.Spec.Name, s.Value)));

    private static IEnumerable<(SettingSpec Spec, object? Value)> Swept(Provenance provenance) =>
        Chain.Where(s => provenance.Swept.Contains(s.Name, StringComparer.OrdinalIgnoreCase) && provenance.Settings.ContainsKey(s.Name))
             .Select(s => (s, provenance.Settings[s.Name]));

    /// <summary>
    /// A stage object's caption: a projection's method and its own settings ("UMAP · k 15 · min_dist 0.05"), an embedding's
    /// dimension and penalty, a graph's k; then the upstream settings that a sweep varied ("· dim 4").
    /// </summary>
    public static string Caption(object stageObject)
    {
        switch (stageObject)
        {
            case Projection p:
            {
                var own = new List<SettingSpec>();
                if (string.Equals(p.Method, "Umap", StringComparison.OrdinalIgnoreCase)) own.AddRange([ProjectionSettings.Neighbors, ProjectionSettings.MinDistance]);
                else if (string.Equals(p.Method, "Tsne", StringComparison.OrdinalIgnoreCase)) own.Add(ProjectionSettings.Perplexity);
                return Compose(MethodName(p.Method), p.Provenance, own, Chain.Take(3));
            }
            case Embedding e:
                return Compose("MDE", e.Provenance, [MdeSettings.Dimension, MdeSettings.AttractivePenalty], Chain.Take(1));
            case NeighborGraph g:
                return Compose("", g.Provenance, [NeighborPreservationSettings.NeighborCount], []);
            default:
                return stageObject.ToString() ?? "";
        }
    }

    private static string Compose(string head, Provenance provenance, IReadOnlyList<SettingSpec> own, IEnumerable<SettingSpec> upstream)
    {
        var parts = new List<(string, object?)>();
        foreach (var spec in own)
            if (provenance.Settings.TryGetValue(spec.Name, out var value) && value is not null) parts.Add((spec.Label ?? spec.Name, value));
        foreach (var spec in upstream)
            if (provenance.Swept.Contains(spec.Name, StringComparer.OrdinalIgnoreCase) && provenance.Settings.TryGetValue(spec.Name, out var value) && value is not null)
                parts.Add((spec.Label ?? spec.Name, value));
        return SettingSweep.Caption(head, parts);
    }
}
