using EmbedPS.Core.Collections;
using EmbedPS.Core.Common;
using EmbedPS.Core.Cooccurrence;
using EmbedPS.Core.Mde;
using EmbedPS.Core.NeighborPreservation;

namespace EmbedPS.Bench.Peers;

/// <summary>
/// The real datasets build.ps1 -Task Bench -Peers prepares under bench-data/&lt;name&gt;/ (pairs.csv: collection,entity;
/// labels.csv: entity,label): Debian package dependencies (demo/Export-DebianDependencies.ps1) and WordNet glosses
/// (bench/peers/Export-WordNetGlosses.ps1), filtered by bench/peers/prepare_dataset.py.
/// </summary>
public static class RealData
{
    public static string FolderOf(string name) => Path.Combine("bench-data", name);

    public static EntityCollectionSet Collections(string name)
    {
        var path = Path.Combine(FolderOf(name), "pairs.csv");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} is missing: build.ps1 -Task Bench -Peers prepares it.");
        var entityIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var collectionIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var members = new List<List<int>>();
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            int comma = line.IndexOf(',');
            string collection = line[..comma], entity = line[(comma + 1)..];
            if (!collectionIndex.TryGetValue(collection, out int c)) { collectionIndex[collection] = c = members.Count; members.Add(new()); }
            if (!entityIndex.TryGetValue(entity, out int e)) entityIndex[entity] = e = entityIndex.Count;
            members[c].Add(e);
        }
        var offsets = new int[members.Count + 1];
        // As the importer leaves them: each collection's members ascending and distinct (the co-occurrence engine relies on it).
        var flat = members.SelectMany(m => m.Distinct().Order()).ToArray();
        for (int c = 0; c < members.Count; c++) offsets[c + 1] = offsets[c] + members[c].Distinct().Count();
        return new EntityCollectionSet(EntityIds.FromStrings(entityIndex.OrderBy(p => p.Value).Select(p => p.Key).ToArray()),
            EntityIds.FromStrings(collectionIndex.OrderBy(p => p.Value).Select(p => p.Key).ToArray()), offsets, flat);
    }

    /// <summary>The dataset's 3-D embedding by EmbedPS's defaults (New-CooccurrenceMatrix, Invoke-NeighborPreservation,
    /// Invoke-Mde), written once as the UMAP rows' input, with the entities' labels.</summary>
    public static (string File, int[] Labels) ThreeD(string name, string folder)
    {
        var file = Path.Combine(folder, $"{name}-3d.f32");
        var labelsFile = Path.Combine(folder, $"{name}-3d.labels");
        if (!File.Exists(file) || !File.Exists(labelsFile))
        {
            var matrix = CooccurrenceBuilder.Build(Collections(name));
            var graph = NeighborPreservationBuilder.FromCooccurrence(matrix, new NeighborPreservationOptions { Seed = 0 });
            var embedding = MinimumDistortionEmbedding.Run(graph, new EmbeddingConfiguration { Dimension = 3, Seed = 0 }, new MdeOptions { Seed = 0 });
            var labelOf = File.ReadLines(Path.Combine(FolderOf(name), "labels.csv")).Skip(1)
                .Select(l => (Entity: l[..l.IndexOf(',')], Label: l[(l.IndexOf(',') + 1)..]))
                .ToDictionary(p => p.Entity, p => p.Label, StringComparer.Ordinal);
            var ids = new Dictionary<string, int>(StringComparer.Ordinal);
            var labels = new int[embedding.Entities.Count];
            for (int i = 0; i < labels.Length; i++)
            {
                var label = labelOf.GetValueOrDefault(embedding.Entities.GetText(i), "");
                labels[i] = label.Length == 0 ? -1 : ids.TryGetValue(label, out int id) ? id : ids[label] = ids.Count;
            }
            PeerFiles.WriteFloats(file, embedding.Coordinates, labels.Length, 3);
            PeerFiles.WriteLabels(labelsFile, labels);
        }
        return (file, PeerFiles.ReadLabels(labelsFile));
    }
}
