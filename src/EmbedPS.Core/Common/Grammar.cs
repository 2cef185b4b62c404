namespace EmbedPS.Core.Common;

/// <summary>English helpers for messages.</summary>
public static class Grammar
{
    /// <summary>The word with its indefinite article: "an embedding", "a neighbor-graph", "an EntityCollectionSet", "a user".</summary>
    public static string WithArticle(string word)
    {
        if (string.IsNullOrEmpty(word)) return word;
        return (StartsWithVowelSound(word) ? "an " : "a ") + word;
    }

    private static bool StartsWithVowelSound(string word)
    {
        var lower = word.ToLowerInvariant();
        // Written vowels that sound like consonants, and silent h.
        if (lower.StartsWith("uni", StringComparison.Ordinal) || lower.StartsWith("use", StringComparison.Ordinal) || lower.StartsWith("user", StringComparison.Ordinal)
            || lower.StartsWith("one", StringComparison.Ordinal) || lower.StartsWith("eu", StringComparison.Ordinal)) return false;
        if (lower.StartsWith("hour", StringComparison.Ordinal) || lower.StartsWith("honest", StringComparison.Ordinal)) return true;
        return "aeiou".Contains(lower[0]);
    }
}
