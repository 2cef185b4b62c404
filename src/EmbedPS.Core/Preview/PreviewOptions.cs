namespace EmbedPS.Core.Preview;

/// <summary>Which picture of the stage object to draw.</summary>
public enum PreviewView
{
    /// <summary>The natural view of the object: a scatter for layouts, distributions for collections and graphs.</summary>
    Auto,
    /// <summary>A 2-D scatter (a Projection's x/y; an Embedding's first two principal components).</summary>
    Scatter,
    /// <summary>Small multiples of every pair of an Embedding's axes.</summary>
    Pairs,
    /// <summary>An Embedding's average distortion against iteration.</summary>
    Distortion,
}

/// <summary>How to draw a preview. Sizes are in pixels at 96 DPI; <see cref="Dpi"/> scales the whole image.</summary>
public sealed record PreviewOptions
{
    public int Width { get; init; } = 1200;
    public int Height { get; init; } = 900;
    /// <summary>Dots per inch; 96 draws Width × Height pixels, 192 twice as many in each direction with the same layout.</summary>
    public double Dpi { get; init; } = 96;
    public PreviewThemeKind Theme { get; init; } = PreviewThemeKind.Light;
    /// <summary>The title; null for an automatic one, empty for none.</summary>
    public string? Title { get; init; }
    public PreviewView View { get; init; } = PreviewView.Auto;
    /// <summary>Per-entity metadata joined by id (labels, groups, values).</summary>
    public EntityAttributes? Attributes { get; init; }
    /// <summary>The column (metadata, or built-in: popularity, entity) that colours the points.</summary>
    public string? ColorProperty { get; init; }
    public PreviewColorMode ColorMode { get; init; } = PreviewColorMode.Auto;
    /// <summary>The column whose text labels the most popular entities (default: 'name' when the metadata has it, else the id).</summary>
    public string? LabelProperty { get; init; }
    /// <summary>Label this many of the most popular entities.</summary>
    public int LabelTop { get; init; }
    /// <summary>Smallest point radius in pixels at 96 DPI; null picks it from the point density.</summary>
    public float? PointSize { get; init; }
    /// <summary>Size points by popularity (partial log scale); false draws every point at the base size.</summary>
    public bool SizeByPopularity { get; init; } = true;
    public int MaxCategories { get; init; } = PointColouring.DefaultMaxCategories;

    public double Scale => Dpi / 96.0;

    public void Validate()
    {
        if (Width < 200 || Width > 20_000) throw new ArgumentOutOfRangeException(nameof(Width), Width, "Width must be between 200 and 20,000 pixels.");
        if (Height < 150 || Height > 20_000) throw new ArgumentOutOfRangeException(nameof(Height), Height, "Height must be between 150 and 20,000 pixels.");
        if (!(Dpi >= 24 && Dpi <= 1200)) throw new ArgumentOutOfRangeException(nameof(Dpi), Dpi, "Dpi must be between 24 and 1200.");
        if ((long)(Width * Scale) * (long)(Height * Scale) > 400_000_000L) throw new ArgumentOutOfRangeException(nameof(Dpi), Dpi, "The image would exceed 400 megapixels.");
        if (LabelTop < 0 || LabelTop > 1_000) throw new ArgumentOutOfRangeException(nameof(LabelTop), LabelTop, "LabelTop must be between 0 and 1,000.");
        if (MaxCategories < 2) throw new ArgumentOutOfRangeException(nameof(MaxCategories));
    }
}
