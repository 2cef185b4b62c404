using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Common;

namespace EmbedPS.Core.Collections;

/// <summary>
/// Collections of entities (a user's list of maps, a package's dependencies...) in CSR form:
/// collection c holds the entity indices <c>Members[CollectionOffsets[c] .. CollectionOffsets[c+1])</c>,
/// sorted ascending and without duplicates. Optional per-item weight, value and timestamp run
/// parallel to <see cref="Members"/>. Entity popularity is the number of collections an entity is in.
/// </summary>
public sealed class EntityCollectionSet
{
    public EntityCollectionSet(EntityIds entities, EntityIds collections, int[] collectionOffsets, int[] members,
        float[]? weights = null, double[]? values = null, double[]? timestamps = null, Provenance? provenance = null)
    {
        if (collectionOffsets.Length != collections.Count + 1)
            throw new ArgumentException($"collectionOffsets has {collectionOffsets.Length} entries; expected {collections.Count + 1}.");
        if (collectionOffsets[^1] != members.Length)
            throw new ArgumentException("The last collection offset must equal the number of members.");
        if (weights is not null && weights.Length != members.Length) throw new ArgumentException("weights must run parallel to members.");
        if (values is not null && values.Length != members.Length) throw new ArgumentException("values must run parallel to members.");
        if (timestamps is not null && timestamps.Length != members.Length) throw new ArgumentException("timestamps must run parallel to members.");
        Entities = entities;
        Collections = collections;
        CollectionOffsets = collectionOffsets;
        Members = members;
        Weights = weights;
        Values = values;
        Timestamps = timestamps;
        Provenance = provenance ?? new Provenance();
        Popularity = new int[entities.Count];
        foreach (var e in members) Popularity[e]++;
    }

    public EntityIds Entities { get; }
    public EntityIds Collections { get; }
    public int[] CollectionOffsets { get; }
    public int[] Members { get; }
    public float[]? Weights { get; }
    public double[]? Values { get; }
    /// <summary>Seconds since the Unix epoch for date-time sources; the raw number for numeric sources.</summary>
    public double[]? Timestamps { get; }
    public int[] Popularity { get; }
    public Provenance Provenance { get; }

    /// <summary>Duplicate collection–entity rows merged while importing (weights summed).</summary>
    public long DuplicatePairsMerged { get; init; }

    public int EntityCount => Entities.Count;
    public int CollectionCount => Collections.Count;
    public long PairCount => Members.Length;
    public double MeanCollectionSize => CollectionCount == 0 ? 0 : (double)PairCount / CollectionCount;
    public int MaxCollectionSize
    {
        get
        {
            int max = 0;
            for (int c = 0; c < CollectionCount; c++) max = Math.Max(max, CollectionOffsets[c + 1] - CollectionOffsets[c]);
            return max;
        }
    }

    public ReadOnlySpan<int> MembersOf(int collection) =>
        Members.AsSpan(CollectionOffsets[collection], CollectionOffsets[collection + 1] - CollectionOffsets[collection]);

    public int SizeOf(int collection) => CollectionOffsets[collection + 1] - CollectionOffsets[collection];

    public override string ToString() =>
        $"EntityCollectionSet: {EntityCount:N0} entities, {CollectionCount:N0} collections, {PairCount:N0} pairs";
}
