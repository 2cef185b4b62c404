using EmbedPS.Core.Common;

namespace EmbedPS.Core.Artifacts;

/// <summary>A named column of an artifact: one of long, int, float, double or string values.</summary>
public sealed record ArtifactColumn(string Name, Array Values)
{
    public static ArtifactColumn EntityIds(string name, EntityIds ids, ReadOnlySpan<int> indices)
    {
        if (ids.IsInteger)
        {
            var source = ids.Integers!;
            var values = new long[indices.Length];
            for (int i = 0; i < indices.Length; i++) values[i] = source[indices[i]];
            return new ArtifactColumn(name, values);
        }
        var strings = ids.Strings!;
        var text = new string[indices.Length];
        for (int i = 0; i < indices.Length; i++) text[i] = strings[indices[i]];
        return new ArtifactColumn(name, text);
    }

    /// <summary>Writes the ids of <paramref name="indices"/> into <paramref name="target"/> (long[] or string[], as <paramref name="ids"/> stores them).</summary>
    internal static void FillEntityIds(EntityIds ids, ReadOnlySpan<int> indices, Array target)
    {
        if (ids.IsInteger)
        {
            var source = ids.Integers!;
            var values = (long[])target;
            for (int i = 0; i < indices.Length; i++) values[i] = source[indices[i]];
            return;
        }
        var strings = ids.Strings!;
        var text = (string[])target;
        for (int i = 0; i < indices.Length; i++) text[i] = strings[indices[i]];
    }

    public static ArtifactColumn AllEntityIds(string name, EntityIds ids) =>
        new(name, ids.IsInteger ? ids.Integers! : ids.Strings!);
}
