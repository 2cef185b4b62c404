using EmbedPS.Core.Common;
using static EmbedPS.Core.Common.Settings;

namespace EmbedPS.Core.Collections;

/// <summary>
/// Select-EntityCollection's options, declared once: name, default, range and help. The cmdlet's parameters and the pipeline's
/// <c>Filter</c> section take their defaults and ranges from here. 0 means "no limit" for each.
/// </summary>
public static class CollectionFilterSettings
{
    public static readonly Setting<int> MinCollections = Int("MinCollections", 0, "Drop entities in fewer collections than this.", 0);
    public static readonly Setting<int> Top = Int("Top", 0, "Keep only the N most popular entities (0: all).", 0);
    public static readonly Setting<int> MinCollectionSize = Int("MinCollectionSize", 0, "Drop collections with fewer members.", 0);
    public static readonly Setting<int> MaxCollectionSize = Int("MaxCollectionSize", 0, "Drop collections with more members (0: no limit).", 0);

    public static IReadOnlyList<SettingSpec> All { get; } = new SettingSpec[] { MinCollections, Top, MinCollectionSize, MaxCollectionSize };

    public static CollectionFilterOptions Resolve(IReadOnlyDictionary<string, object?> values) => new()
    {
        MinCollections = MinCollections.From(values),
        Top = Top.From(values),
        MinCollectionSize = MinCollectionSize.From(values),
        MaxCollectionSize = MaxCollectionSize.From(values),
    };
}
