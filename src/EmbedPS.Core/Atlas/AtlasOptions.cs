namespace EmbedPS.Core.Atlas;

public enum AtlasTheme { Dark, Light }

/// <summary>What an exported atlas shows and how. Property names refer to metadata columns (case-insensitive).</summary>
public sealed record AtlasOptions
{
    public string Title { get; init; } = "EmbedPS atlas";
    public AtlasTheme Theme { get; init; } = AtlasTheme.Dark;
    /// <summary>The display name; default: a metadata column named name, title or label, else the entity id.</summary>
    public string? LabelProperty { get; init; }
    /// <summary>The initial colouring; default: a column named group, category, genre…, else the first categorical column.</summary>
    public string? ColorProperty { get; init; }
    /// <summary>The number that sizes points (partial log scale); default: popularity.</summary>
    public string? SizeProperty { get; init; }
    /// <summary>Searched besides the label and the id.</summary>
    public IReadOnlyList<string> SearchProperties { get; init; } = Array.Empty<string>();
    /// <summary>Shown on hover under the label; default: the colour and size fields.</summary>
    public IReadOnlyList<string>? TooltipProperties { get; init; }
    /// <summary>A column of URLs shown as a link in the details panel (http and https only).</summary>
    public string? LinkProperty { get; init; }
    /// <summary>Columns to treat as categories even when every value is a number (cluster ids, years…).</summary>
    public IReadOnlyList<string> CategoryProperties { get; init; } = Array.Empty<string>();
    /// <summary>One name per layout; default: the method, plus the parameters that differ between layouts.</summary>
    public IReadOnlyList<string>? LayoutNames { get; init; }
    /// <summary>Nearest neighbours listed per entity in the details panel.</summary>
    public int NeighborCount { get; init; } = 10;
    /// <summary>Write cluster labels (k-means on each layout, three levels of detail).</summary>
    public bool ClusterLabels { get; init; } = true;
    /// <summary>Write preview.png, the image shown where WebGL2 is missing.</summary>
    public bool FallbackImage { get; init; } = true;
    /// <summary>
    /// The largest data file (data/*.js) in bytes; bigger payloads are split into parts, and the details neighbours into
    /// chunks of at most about 1 MB. Default 20,000,000 (static hosts and browsers handle such files well).
    /// </summary>
    public long MaxDataFileBytes { get; init; } = 20_000_000;
    /// <summary>Seed of the cluster-label k-means.</summary>
    public int Seed { get; init; } = 42;
    /// <summary>Where the data came from, for the footer (file names and what they are).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Sources { get; init; } = Array.Empty<KeyValuePair<string, string>>();
}

/// <summary>What Export-EmbeddingAtlas wrote.</summary>
public sealed class AtlasExport
{
    public required string Path { get; init; }
    public required string IndexPath { get; init; }
    public required int PointCount { get; init; }
    public required IReadOnlyList<string> Layouts { get; init; }
    public required IReadOnlyList<string> Fields { get; init; }
    public string? ColorProperty { get; init; }
    public string? LabelProperty { get; init; }
    public bool Galaxy { get; init; }
    public string? NeighborSpace { get; init; }
    /// <summary>Bytes of the data scripts (data/*.js), the part that grows with the point count.</summary>
    public long DataBytes { get; init; }
    public long TotalBytes { get; init; }
    public TimeSpan Elapsed { get; init; }

    public double BytesPerPoint => PointCount == 0 ? 0 : (double)DataBytes / PointCount;

    public override string ToString() => $"Atlas '{Path}': {PointCount:N0} points, {Layouts.Count} layout(s)";
}
