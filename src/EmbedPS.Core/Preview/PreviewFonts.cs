using System.Reflection;
using ScottPlot;
using SkiaSharp;

namespace EmbedPS.Core.Preview;

/// <summary>
/// The font every preview uses: DejaVu Sans (Bitstream Vera licence), embedded in EmbedPS.Core.dll so that text renders on
/// machines without any system font. Skia fails silently when a font is missing (the PNG is written with no text at all),
/// so the previews never rely on font discovery: the family <see cref="FamilyName"/> is served by a resolver that ScottPlot
/// asks before it looks at the system.
/// </summary>
public static class PreviewFonts
{
    /// <summary>The family name the previews ask ScottPlot for.</summary>
    public const string FamilyName = "EmbedPS Sans";

    private static readonly object s_gate = new();
    private static bool s_registered;
    private static SKTypeface? s_regular;
    private static SKTypeface? s_bold;

    /// <summary>True when the bundled font loaded; false means text falls back to whatever system fonts exist.</summary>
    public static bool BundledFontAvailable { get { EnsureRegistered(); return s_regular is not null; } }

    /// <summary>Why the bundled font could not be loaded (null when it loaded).</summary>
    public static string? LoadError { get; private set; }

    /// <summary>The family name to use in plots: the bundled one, or ScottPlot's system default when it could not be loaded.</summary>
    public static string Family => BundledFontAvailable ? FamilyName : Fonts.Default;

    /// <summary>Registers the bundled typefaces with ScottPlot once per process.</summary>
    public static void EnsureRegistered()
    {
        lock (s_gate)
        {
            if (s_registered) return;
            s_registered = true;
            try
            {
                s_regular = Load("DejaVuSans.ttf");
                s_bold = Load("DejaVuSans-Bold.ttf") ?? s_regular;
                if (s_regular is null) { LoadError ??= "the embedded font resource is missing"; return; }
                Fonts.FontResolvers.Insert(0, new BundledFontResolver());
            }
            catch (Exception ex) when (ex is IOException or TypeInitializationException or DllNotFoundException or InvalidOperationException)
            {
                LoadError = ex.Message;
                s_regular = s_bold = null;
            }
        }
    }

    /// <summary>The bundled typeface (regular or bold), or null when it could not be loaded.</summary>
    public static SKTypeface? Typeface(bool bold)
    {
        EnsureRegistered();
        return bold ? s_bold : s_regular;
    }

    /// <summary>True when the typeface has a glyph for every character of <paramref name="text"/>.</summary>
    public static bool CanRender(string text)
    {
        var face = Typeface(false);
        if (face is null) return false;
        using var font = new SKFont(face);
        return font.ContainsGlyphs(text);
    }

    private static SKTypeface? Load(string file)
    {
        using var stream = typeof(PreviewFonts).Assembly.GetManifestResourceStream("EmbedPS.Core.Preview.Fonts." + file);
        if (stream is null) { LoadError = $"the embedded font resource '{file}' is missing"; return null; }
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        var data = SKData.CreateCopy(bytes);
        var face = SKTypeface.FromData(data);
        if (face is null) LoadError = $"Skia could not read the embedded font '{file}'";
        return face;
    }

    private sealed class BundledFontResolver : IFontResolver
    {
        public SKTypeface? CreateTypeface(string fontName, bool bold, bool italic) =>
            string.Equals(fontName, FamilyName, StringComparison.OrdinalIgnoreCase) ? (bold ? s_bold : s_regular) : null;

        public SKTypeface? CreateTypeface(string fontName, FontWeight weight, FontSlant slant, FontSpacing width) =>
            CreateTypeface(fontName, (int)weight >= (int)FontWeight.SemiBold, slant != FontSlant.Upright);
    }
}
