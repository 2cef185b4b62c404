using ScottPlot;

namespace EmbedPS.Core.Preview;

public enum PreviewThemeKind { Light, Dark }

/// <summary>The colours of a preview: background, axes, grid, legend, the single-colour default and the "other" bucket.</summary>
public sealed record PreviewTheme(
    PreviewThemeKind Kind,
    Color FigureBackground,
    Color DataBackground,
    Color Axis,
    Color Grid,
    Color LegendBackground,
    Color LegendOutline,
    Color Text,
    Color SingleColour,
    Color OtherColour,
    Color LabelHalo)
{
    public static PreviewTheme Light { get; } = new(PreviewThemeKind.Light,
        Color.FromHex("#FFFFFF"), Color.FromHex("#FFFFFF"), Color.FromHex("#303030"), Color.FromHex("#E6E6E6"),
        Color.FromHex("#FFFFFF"), Color.FromHex("#C8C8C8"), Color.FromHex("#202020"), Color.FromHex("#2F6DB5"),
        Color.FromHex("#A8A8A8"), Color.FromHex("#FFFFFF"));

    public static PreviewTheme Dark { get; } = new(PreviewThemeKind.Dark,
        Color.FromHex("#16181C"), Color.FromHex("#0E1013"), Color.FromHex("#C8CCD2"), Color.FromHex("#2A2E35"),
        Color.FromHex("#1E2126"), Color.FromHex("#3A3F47"), Color.FromHex("#E4E6EA"), Color.FromHex("#6FB1FF"),
        Color.FromHex("#6B6F76"), Color.FromHex("#0E1013"));

    public static PreviewTheme For(PreviewThemeKind kind) => kind == PreviewThemeKind.Dark ? Dark : Light;

    /// <summary>Applies colours and the bundled font to a plot.</summary>
    public void Apply(Plot plot)
    {
        plot.FigureBackground.Color = FigureBackground;
        plot.DataBackground.Color = DataBackground;
        plot.Axes.Color(Axis);
        plot.Grid.MajorLineColor = Grid;
        plot.Legend.BackgroundColor = LegendBackground;
        plot.Legend.OutlineColor = LegendOutline;
        plot.Legend.FontColor = Text;
        plot.Legend.SetBestFontOnEachRender = false;
        plot.Axes.Title.Label.ForeColor = Text;
        plot.Font.Set(PreviewFonts.Family);
        plot.Legend.FontName = PreviewFonts.Family;
    }
}
