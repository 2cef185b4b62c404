using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Common;

namespace EmbedPS.Core.Collections;

/// <summary>The pre-filter of <see cref="CollectionFilter"/>. Zero or null means "no limit".</summary>
public sealed record CollectionFilterOptions
{
    /// <summary>Drop entities that are in fewer collections than this (popularity counted on what is left).</summary>
    public int MinCollections { get; init; }
    /// <summary>Keep only the N most popular entities (ties go to the entity seen first).</summary>
    public int Top { get; init; }
    /// <summary>Drop collections with fewer members than this (counted on the entities that are left).</summary>
    public int MinCollectionSize { get; init; }
    /// <summary>Drop collections with more members than this.</summary>
    public int MaxCollectionSize { get; init; }
    /// <summary>Keep only these entity ids (applied once, before the rounds).</summary>
    public IReadOnlyList<object>? Include { get; init; }
    /// <summary>Drop these entity ids (applied once, before the rounds).</summary>
    public IReadOnlyList<object>? Exclude { get; init; }

    public IEnumerable<KeyValuePair<string, object?>> AsParameters()
    {
        if (MinCollections > 0) yield return new("MinCollections", MinCollections);
        if (Top > 0) yield return new("Top", Top);
        if (MinCollectionSize > 0) yield return new("MinCollectionSize", MinCollectionSize);
        if (MaxCollectionSize > 0) yield return new("MaxCollectionSize", MaxCollectionSize);
        if (Include is { Count: > 0 }) yield return new("Include", Include.Select(x => x.ToString()).ToArray());
        if (Exclude is { Count: > 0 }) yield return new("Exclude", Exclude.Select(x => x.ToString()).ToArray());
    }
}

/// <summary>What one round of <see cref="CollectionFilter"/> removed. Round 0 is the -Include/-Exclude pass.</summary>
public sealed record CollectionFilterRound(int Round, int CollectionsTooSmall, int CollectionsTooLarge, int EntitiesTooRare, int EntitiesBelowTop, int EntitiesByIdList)
{
    public int CollectionsDropped => CollectionsTooSmall + CollectionsTooLarge;
    public int EntitiesDropped => EntitiesTooRare + EntitiesBelowTop + EntitiesByIdList;

    public override string ToString() => Round == 0
        ? $"Include/Exclude: dropped {EntitiesByIdList:N0} entities"
        : $"Round {Round}: dropped {CollectionsDropped:N0} collections ({CollectionsTooSmall:N0} smaller than the minimum size, {CollectionsTooLarge:N0} larger than the maximum) " +
          $"and {EntitiesDropped:N0} entities ({EntitiesTooRare:N0} in too few collections, {EntitiesBelowTop:N0} outside the top)";
}

/// <summary>
/// Pre-filters an <see cref="EntityCollectionSet"/> as the method needs: rare entities, too-small or too-large
/// collections, a top-N popularity cut and id lists. Dropping entities shrinks collections and dropping collections
/// lowers popularity, so the rounds repeat until nothing changes (as in k-core peeling). Filtering only removes:
/// a collection dropped for being too large stays dropped. Empty collections and entities left in no collection are
/// always removed. The result is compacted (dense indices in the original order) with weights, values and timestamps
/// kept aligned.
/// </summary>
public static class CollectionFilter
{
    public static EntityCollectionSet Apply(EntityCollectionSet set, CollectionFilterOptions options, IStageLog log, CancellationToken cancellation,
        out IReadOnlyList<CollectionFilterRound> rounds)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(options);
        if (options.MinCollections < 0 || options.Top < 0 || options.MinCollectionSize < 0 || options.MaxCollectionSize < 0)
            throw new EmbedPSException("InvalidFilter", EmbedPSErrorKind.InvalidArgument, "Filter limits must not be negative.");
        if (options.MaxCollectionSize > 0 && options.MinCollectionSize > options.MaxCollectionSize)
            throw new EmbedPSException("InvalidFilter", EmbedPSErrorKind.InvalidArgument,
                $"MinCollectionSize ({options.MinCollectionSize}) is larger than MaxCollectionSize ({options.MaxCollectionSize}): nothing could be kept.");

        int entities = set.EntityCount, collections = set.CollectionCount;
        var entityAlive = new bool[entities];
        var collectionAlive = new bool[collections];
        Array.Fill(entityAlive, true);
        Array.Fill(collectionAlive, true);
        var history = new List<CollectionFilterRound>();

        int byIdList = ApplyIdLists(set, options, entityAlive, log);
        if (options.Include is { Count: > 0 } || options.Exclude is { Count: > 0 }) history.Add(new CollectionFilterRound(0, 0, 0, 0, 0, byIdList));

        int minSize = Math.Max(1, options.MinCollectionSize);
        int maxSize = options.MaxCollectionSize > 0 ? options.MaxCollectionSize : int.MaxValue;
        int minPopularity = Math.Max(1, options.MinCollections);
        var size = new int[collections];
        var popularity = new int[entities];
        int[]? order = options.Top > 0 ? new int[entities] : null;
        for (int round = 1; ; round++)
        {
            cancellation.ThrowIfCancellationRequested();
            // Collections: size counted on the entities still alive.
            int tooSmall = 0, tooLarge = 0;
            for (int c = 0; c < collections; c++)
            {
                if (!collectionAlive[c]) continue;
                int n = 0;
                foreach (var e in set.MembersOf(c)) if (entityAlive[e]) n++;
                size[c] = n;
                if (n < minSize) { collectionAlive[c] = false; tooSmall++; }
                else if (n > maxSize) { collectionAlive[c] = false; tooLarge++; }
            }
            // Entities: popularity counted on the collections still alive.
            Array.Clear(popularity);
            for (int c = 0; c < collections; c++)
            {
                if (!collectionAlive[c]) continue;
                foreach (var e in set.MembersOf(c)) if (entityAlive[e]) popularity[e]++;
            }
            int tooRare = 0, belowTop = 0, alive = 0;
            for (int e = 0; e < entities; e++)
            {
                if (!entityAlive[e]) continue;
                if (popularity[e] < minPopularity) { entityAlive[e] = false; tooRare++; }
                else if (order is not null) order[alive++] = e;
            }
            if (order is not null && alive > options.Top)
            {
                // Most popular first; ties keep the earlier (first imported) entity, so the cut is deterministic.
                var candidates = order.AsSpan(0, alive);
                candidates.Sort((a, b) => popularity[a] != popularity[b] ? popularity[b].CompareTo(popularity[a]) : a.CompareTo(b));
                foreach (var e in candidates[options.Top..]) { entityAlive[e] = false; belowTop++; }
            }
            var summary = new CollectionFilterRound(round, tooSmall, tooLarge, tooRare, belowTop, 0);
            if (summary.CollectionsDropped == 0 && summary.EntitiesDropped == 0)
            {
                log.Verbose($"Round {round}: nothing dropped; stable.");
                break;
            }
            history.Add(summary);
            log.Verbose(summary.ToString());
            log.Progress(Math.Min(0.9, round / 10.0), summary.ToString());
        }
        rounds = history;

        var provenance = Provenance.Derived(set.Provenance, ArtifactKind.Collections, options.AsParameters());
        var result = Compact(set, entityAlive, collectionAlive, provenance);
        if (result.PairCount == 0)
            throw new EmbedPSException("FilterKeptNothing", EmbedPSErrorKind.InvalidArgument,
                $"The filter removed every collection–entity pair of {set} ({string.Join("; ", history)}). Loosen the limits.");
        log.Verbose($"Kept {result.EntityCount:N0} of {entities:N0} entities, {result.CollectionCount:N0} of {collections:N0} collections, {result.PairCount:N0} of {set.PairCount:N0} pairs.");
        return result;
    }

    private static int ApplyIdLists(EntityCollectionSet set, CollectionFilterOptions options, bool[] entityAlive, IStageLog log)
    {
        int dropped = 0;
        if (options.Include is { Count: > 0 } include)
        {
            var keep = new bool[set.EntityCount];
            int unknown = 0;
            foreach (var id in include)
            {
                int index = set.Entities.IndexOf(id);
                if (index >= 0) keep[index] = true; else unknown++;
            }
            if (unknown > 0) log.Warning($"{unknown:N0} of the {include.Count:N0} -Include ids are not entities of the input.");
            for (int e = 0; e < keep.Length; e++) if (!keep[e] && entityAlive[e]) { entityAlive[e] = false; dropped++; }
        }
        if (options.Exclude is { Count: > 0 } exclude)
        {
            int unknown = 0;
            foreach (var id in exclude)
            {
                int index = set.Entities.IndexOf(id);
                if (index < 0) { unknown++; continue; }
                if (entityAlive[index]) { entityAlive[index] = false; dropped++; }
            }
            if (unknown > 0) log.Verbose($"{unknown:N0} of the {exclude.Count:N0} -Exclude ids are not entities of the input.");
        }
        if (dropped > 0) log.Verbose($"Include/Exclude: dropped {dropped:N0} entities.");
        return dropped;
    }

    /// <summary>Keeps the live collections and entities, renumbered densely in their original order.</summary>
    private static EntityCollectionSet Compact(EntityCollectionSet set, bool[] entityAlive, bool[] collectionAlive, Provenance provenance)
    {
        var newEntity = new int[set.EntityCount];
        var keptEntities = new List<int>();
        for (int e = 0; e < newEntity.Length; e++)
        {
            newEntity[e] = entityAlive[e] ? keptEntities.Count : -1;
            if (entityAlive[e]) keptEntities.Add(e);
        }
        var keptCollections = new List<int>();
        long pairs = 0;
        for (int c = 0; c < set.CollectionCount; c++)
        {
            if (!collectionAlive[c]) continue;
            keptCollections.Add(c);
            foreach (var e in set.MembersOf(c)) if (entityAlive[e]) pairs++;
        }
        var offsets = new int[keptCollections.Count + 1];
        var members = new int[pairs];
        var weights = set.Weights is null ? null : new float[pairs];
        var values = set.Values is null ? null : new double[pairs];
        var timestamps = set.Timestamps is null ? null : new double[pairs];
        int write = 0;
        for (int k = 0; k < keptCollections.Count; k++)
        {
            int c = keptCollections[k];
            offsets[k] = write;
            for (int p = set.CollectionOffsets[c]; p < set.CollectionOffsets[c + 1]; p++)
            {
                int mapped = newEntity[set.Members[p]];
                if (mapped < 0) continue;
                members[write] = mapped; // the map keeps order, so members stay sorted
                if (weights is not null) weights[write] = set.Weights![p];
                if (values is not null) values[write] = set.Values![p];
                if (timestamps is not null) timestamps[write] = set.Timestamps![p];
                write++;
            }
        }
        offsets[^1] = write;
        return new EntityCollectionSet(set.Entities.Subset(keptEntities.ToArray()), set.Collections.Subset(keptCollections.ToArray()),
            offsets, members, weights, values, timestamps, provenance);
    }
}
