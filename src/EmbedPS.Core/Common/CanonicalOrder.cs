namespace EmbedPS.Core.Common;

/// <summary>
/// The one entity order of EmbedPS: ids sorted by value (numerically for int64 ids, ordinally for text). Every path that
/// creates an entity list (import, merge, edge lists) uses it, so the order is a function of the data alone.
/// </summary>
public static class CanonicalOrder
{
    /// <summary>The sorted ids and, for each old index, its new index (null when the ids were already in order).</summary>
    public static (EntityIds Sorted, int[]? Rank) Sort(EntityIds ids)
    {
        int n = ids.Count;
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        if (ids.IsInteger) Array.Sort((long[])ids.Integers!.Clone(), order);
        else Array.Sort((string[])ids.Strings!.Clone(), order, StringComparer.Ordinal);
        bool identity = true;
        var rank = new int[n];
        for (int k = 0; k < n; k++) { rank[order[k]] = k; identity &= order[k] == k; }
        return identity ? (ids, null) : (ids.Subset(order), rank);
    }

    /// <summary>Renumbers indices in place.</summary>
    public static void Apply(int[] indices, int[]? rank)
    {
        if (rank is null) return;
        for (int i = 0; i < indices.Length; i++) indices[i] = rank[indices[i]];
    }
}
