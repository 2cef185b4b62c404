using EmbedPS.Core.Common;
using static EmbedPS.Core.Common.Settings;

namespace EmbedPS.Core.Preview;

/// <summary>
/// The options Export-EmbeddingPreview shares with the pipeline's <c>Preview</c> section, declared once: name, default,
/// range and help. The cmdlet's parameters and the pipeline's schema, stage and cache key take them from here.
/// </summary>
public static class PreviewSettings
{
    public static readonly Setting<bool> Enabled = Bool("Enabled", true, "Write previews (pipeline only).");
    public static readonly Setting<string?> ColorProperty = new("ColorProperty", SettingType.String, null, "Metadata column to colour by (pipeline default: Atlas.ColorProperty).");
    public static readonly Setting<int> Width = Int("Width", 1200, "Width in pixels.", 200, 20_000);
    public static readonly Setting<int> Height = Int("Height", 900, "Height in pixels.", 150, 20_000);
    public static readonly Setting<string> Theme = new("Theme", SettingType.Enum, "Light", "Light or Dark.") { Allowed = new[] { "Light", "Dark" } };

    public static IReadOnlyList<SettingSpec> All { get; } = new SettingSpec[] { Enabled, ColorProperty, Width, Height, Theme };

    public static PreviewThemeKind ThemeKind(string theme) => string.Equals(theme, "Dark", StringComparison.OrdinalIgnoreCase) ? PreviewThemeKind.Dark : PreviewThemeKind.Light;
}
