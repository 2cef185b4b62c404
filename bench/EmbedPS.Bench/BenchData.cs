using EmbedPS.Core.Collections;
using EmbedPS.Core.Cooccurrence;

namespace EmbedPS.Bench;

/// <summary>Inputs shared by several cases, generated once per run.</summary>
public static class BenchData
{
    private static SyntheticCollection? s_small;
    private static SyntheticCollection? s_atlas;

    /// <summary>5,000 entities, 20,000 collections.</summary>
    public static SyntheticCollection Small => s_small ??= SyntheticCollectionGenerator.Generate(SyntheticCollectionOptions.Small);

    /// <summary>50,000 entities, 300,000 collections, mean size about 60, tail up to 1,000.</summary>
    public static SyntheticCollection Atlas => s_atlas ??= SyntheticCollectionGenerator.Generate(SyntheticCollectionOptions.Atlas);

    private static CooccurrenceMatrix? s_atlasCooccurrence;

    /// <summary>The atlas sample's exact co-occurrence matrix (New-CooccurrenceMatrix defaults), built once per run.</summary>
    public static CooccurrenceMatrix AtlasCooccurrence => s_atlasCooccurrence ??= CooccurrenceBuilder.Build(Atlas.Collections);

    /// <summary>Drops the atlas matrix (about 3 GB) once no later case needs it.</summary>
    public static void ReleaseAtlasCooccurrence() => s_atlasCooccurrence = null;
}
