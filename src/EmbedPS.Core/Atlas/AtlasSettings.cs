using EmbedPS.Core.Common;
using static EmbedPS.Core.Common.Settings;

namespace EmbedPS.Core.Atlas;

/// <summary>
/// The options Export-EmbeddingAtlas shares with the pipeline's <c>Atlas</c> section, declared once: name, default, range
/// and help. The cmdlet's parameters and the pipeline's schema, stage and cache key take them from here.
/// </summary>
public static class AtlasSettings
{
    public static readonly Setting<string> Title = new("Title", SettingType.String, "EmbedPS atlas", "The page title (in a pipeline: the pipeline's Name unless given).");
    public static readonly Setting<string?> ColorProperty = new("ColorProperty", SettingType.String, null, "Initial colouring.");
    public static readonly Setting<string?> LabelProperty = new("LabelProperty", SettingType.String, null, "Entity names.");
    public static readonly Setting<string?> SizeProperty = new("SizeProperty", SettingType.String, null, "Number column that sizes points.");
    public static readonly Setting<string[]> SearchProperty = new("SearchProperty", SettingType.StringList, Array.Empty<string>(), "Columns searched besides name and id.");
    public static readonly Setting<string[]?> TooltipProperty = new("TooltipProperty", SettingType.StringList, null, "Columns shown on hover.");
    public static readonly Setting<string[]> CategoryProperty = new("CategoryProperty", SettingType.StringList, Array.Empty<string>(), "Number columns treated as categories.");
    public static readonly Setting<string> Theme = new("Theme", SettingType.Enum, "Dark", "Dark or Light (the reader's colour-scheme preference wins).") { Allowed = new[] { "Dark", "Light" } };
    public static readonly Setting<int> NeighborCount = Int("NeighborCount", 10, "Neighbours listed in the details panel.", 0, 100);
    public static readonly Setting<int> Seed = Int("Seed", 42, "Seed of the cluster labels.");

    public static IReadOnlyList<SettingSpec> All { get; } = new SettingSpec[]
    {
        Title, ColorProperty, LabelProperty, SizeProperty, SearchProperty, TooltipProperty, CategoryProperty, Theme, NeighborCount, Seed,
    };

    public static AtlasTheme ThemeKind(string theme) => string.Equals(theme, "Light", StringComparison.OrdinalIgnoreCase) ? AtlasTheme.Light : AtlasTheme.Dark;
}
