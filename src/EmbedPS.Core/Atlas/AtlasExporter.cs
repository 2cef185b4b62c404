using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Common;
using EmbedPS.Core.Mde;
using EmbedPS.Core.Knn;
using EmbedPS.Core.Preview;
using EmbedPS.Core.Projection;
using ProjectionResult = EmbedPS.Core.Projection.Projection;

namespace EmbedPS.Core.Atlas;

/// <summary>
/// Writes an interactive atlas: a static folder (index.html, the viewer bundle, data scripts) that opens from disk or
/// any static host. The layouts must place the same entities; metadata and the high-dimensional embedding are joined by
/// id. The folder is built beside the target and swapped in at the end, so a failed export leaves the old atlas whole; files
/// and folders a person added to an earlier atlas are carried into the new one (<see cref="AtlasFolder"/>), never deleted.
/// </summary>
public static class AtlasExporter
{
    /// <summary>The marker file that makes a folder recognisable as an atlas this exporter may replace.</summary>
    public const string MarkerFile = "embedps-atlas.json";
    private static readonly string[] LabelCandidates = { "name", "title", "label", "display_name", "displayname" };
    private static readonly string[] ColorCandidates = { "group", "category", "genre", "class", "cluster", "label", "type", "kind" };
    private static readonly string[] LinkCandidates = { "url", "link", "href", "website" };

    /// <summary>Refuses a target that exists and is neither empty nor an earlier atlas (a typo must never wipe a folder).</summary>
    public static void CheckTarget(string folder)
    {
        if (File.Exists(folder))
            throw new EmbedPSException("AtlasTargetIsFile", EmbedPSErrorKind.InvalidArgument, $"'{folder}' is a file; -Path names the folder the atlas is written to.") { File = folder };
        if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any() && !File.Exists(Path.Combine(folder, MarkerFile)))
            throw new EmbedPSException("AtlasTargetNotAnAtlas", EmbedPSErrorKind.InvalidArgument,
                $"The folder '{folder}' exists, is not empty and holds no EmbedPS atlas ({MarkerFile}); it is left alone. Choose a new or empty folder for -Path.") { File = folder };
    }

    public static AtlasExport Write(string folder, IReadOnlyList<ProjectionResult> projections, Embedding? embedding, EntityAttributes? metadata,
        AtlasOptions options, IStageLog log, CancellationToken cancellation = default)
    {
        var clock = Stopwatch.StartNew();
        folder = Path.GetFullPath(folder);
        CheckTarget(folder);
        var plan = Prepare(projections, embedding, metadata, options, log, cancellation);
        long dataBytes = 0, totalBytes = 0;
        // What the previous export wrote; everything else in the folder is a person's and moves into the new atlas.
        var owned = AtlasFolder.OwnedBy(folder);
        AtomicFile.WriteDirectory(folder, temp =>
        {
            Directory.CreateDirectory(Path.Combine(temp, "data"));
            WriteData(temp, plan, options, log, cancellation);
            WriteViewer(temp, options);
            if (options.FallbackImage) WriteFallbackImage(temp, plan, log, cancellation);
            dataBytes = new DirectoryInfo(Path.Combine(temp, "data")).EnumerateFiles().Sum(f => f.Length);
            totalBytes = new DirectoryInfo(temp).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
            WriteMarker(temp, plan, AtlasFolder.ListFiles(temp).Append(MarkerFile).Order(StringComparer.Ordinal).ToArray());
            var carried = AtlasFolder.CarryForeign(folder, temp, owned, cancellation);
            if (carried.Count > 0) log.Verbose($"Atlas: kept {carried.Count} file(s) and folder(s) the exporter did not write: {string.Join(", ", carried.Take(10))}{(carried.Count > 10 ? ", …" : "")}.");
        }, cancellation);
        log.Verbose($"Atlas: {plan.Count:N0} points, {plan.LayoutNames.Length} layout(s), {plan.Fields.Count} field(s), data {dataBytes / 1e6:N1} MB ({(double)dataBytes / Math.Max(1, plan.Count):N1} bytes a point), in {clock.Elapsed.TotalSeconds:N2} s.");
        return new AtlasExport
        {
            Path = folder,
            IndexPath = Path.Combine(folder, "index.html"),
            PointCount = plan.Count,
            Layouts = plan.LayoutNames,
            Fields = plan.Fields.Select(f => f.Name).ToArray(),
            ColorProperty = plan.Color,
            LabelProperty = plan.Label,
            Galaxy = plan.Galaxy is not null,
            NeighborSpace = plan.NeighborSpace,
            DataBytes = dataBytes,
            TotalBytes = totalBytes,
            Elapsed = clock.Elapsed,
        };
    }

    /// <summary>Everything computed before the first byte is written.</summary>
    internal sealed class AtlasPlan
    {
        public required int Count { get; init; }
        public required EntityIds Entities { get; init; }
        public required float[][] Layouts { get; init; }
        public required string[] LayoutNames { get; init; }
        public required ProjectionResult[] Projections { get; init; }
        public required List<AtlasField> Fields { get; init; }
        public string? Label { get; init; }
        public string? Color { get; init; }
        public string? Size { get; init; }
        public required string[] Search { get; init; }
        public required string[] Tooltip { get; init; }
        public string? Link { get; init; }
        public int[]? Neighbors { get; init; }
        public int NeighborK { get; init; }
        public string? NeighborSpace { get; init; }
        public float[]? Galaxy { get; init; }
        public string? GalaxySource { get; init; }
        public required List<(int A, int B, byte[] Overlap, int K)> Changes { get; init; }
        public required List<AtlasLabel> Clusters { get; init; }
        public Embedding? Embedding { get; init; }
        public required AtlasSearchIndex SearchIndex { get; init; }
        /// <summary>Per layout, the scores its picker entry shows (<see cref="AtlasLayoutScores"/>).</summary>
        public List<SortedDictionary<string, double>> Scores { get; init; } = new();
    }

    /// <summary>
    /// Everything the atlas needs, computed before the first byte is written, in named steps: the layouts, the fields and
    /// the properties that use them, the embedding, the details neighbours, the galaxy, the neighbourhood changes, the
    /// cluster labels and the search index.
    /// </summary>
    internal static AtlasPlan Prepare(IReadOnlyList<ProjectionResult> projections, Embedding? embedding, EntityAttributes? metadata,
        AtlasOptions options, IStageLog log, CancellationToken cancellation)
    {
        if (projections.Count == 0)
            throw new EmbedPSException("AtlasNoLayout", EmbedPSErrorKind.InvalidArgument, "An atlas needs at least one Projection (pipe it in or use -InputPath).");
        if (options.NeighborCount < 0 || options.NeighborCount > 100)
            throw new EmbedPSException("AtlasNeighborCount", EmbedPSErrorKind.InvalidArgument, $"NeighborCount must be between 0 and 100, not {options.NeighborCount}.");
        var first = projections[0];
        int n = first.EntityCount;
        if (n == 0) throw new EmbedPSException("AtlasEmpty", EmbedPSErrorKind.InvalidData, "The projection has no entities.");
        var entities = first.Entities;
        log.Progress(0.02, "Checking layouts");
        var layouts = ReadLayouts(projections, entities);
        var names = LayoutNames(projections, options.LayoutNames);
        var fields = BuildFields(first, metadata, options, n);
        var roles = ResolveRoles(fields, metadata, options);
        var (embeddingRows, dimension) = AlignEmbedding(embedding, entities, log);
        var (neighbors, k, neighborSpace) = DetailNeighbors(layouts[0], names[0], embeddingRows, dimension, n, options.NeighborCount, log, cancellation);
        var (galaxy, galaxySource) = GalaxyCoordinates(embeddingRows, dimension, n, log, cancellation);
        var changes = NeighborhoodChanges(layouts, n, log, cancellation);
        var clusters = options.ClusterLabels ? ClusterLabels(layouts, fields, roles, entities, options.Seed, log, cancellation) : new List<AtlasLabel>();
        var scores = AtlasLayoutScores.Compute(projections, embedding, FieldNamed(fields, roles.Color), entities, log, cancellation);
        log.Progress(0.65, "Search index");
        var search = AtlasSearchIndex.Build(n, entities.GetText, FieldNamed(fields, roles.Label), roles.Search.Where(s => s != roles.Label).Select(s => FieldNamed(fields, s)!).ToArray(),
            FieldNamed(fields, roles.Size), cancellation);
        return new AtlasPlan
        {
            Count = n,
            Entities = entities,
            Layouts = layouts,
            LayoutNames = names,
            Projections = projections.ToArray(),
            Fields = fields,
            Label = roles.Label,
            Color = roles.Color,
            Size = roles.Size,
            Search = roles.Search,
            Tooltip = roles.Tooltip,
            Link = roles.Link,
            Neighbors = neighbors,
            NeighborK = k,
            NeighborSpace = neighborSpace,
            Galaxy = galaxy,
            GalaxySource = galaxySource,
            Changes = changes,
            Clusters = clusters,
            Embedding = embedding,
            SearchIndex = search,
            Scores = scores,
        };
    }

    private static AtlasField? FieldNamed(List<AtlasField> fields, string? name) => name is null ? null : fields.FirstOrDefault(f => f.Name == name);

    /// <summary>Each layout as interleaved x, y in the first layout's entity order (finite coordinates only), fitted onto the first.</summary>
    private static float[][] ReadLayouts(IReadOnlyList<ProjectionResult> projections, EntityIds entities)
    {
        int n = entities.Count;
        var layouts = new float[projections.Count][];
        for (int l = 0; l < projections.Count; l++)
        {
            var p = projections[l];
            var rows = AlignRows(entities, p.Entities, $"layout {l + 1} ({p.Method})", p.Provenance.ArtifactPath);
            var xy = new float[2 * n];
            for (int i = 0; i < n; i++)
            {
                float x = p.X[rows[i]], y = p.Y[rows[i]];
                if (!float.IsFinite(x) || !float.IsFinite(y))
                    throw new EmbedPSException("AtlasNonFiniteCoordinate", EmbedPSErrorKind.InvalidData,
                        $"Layout {l + 1} ({p.Method}) places entity '{entities.GetText(i)}' at ({x}, {y}); every coordinate must be finite.")
                    { File = p.Provenance.ArtifactPath, Value = entities.GetText(i) };
                xy[2 * i] = x; xy[2 * i + 1] = y;
            }
            layouts[l] = xy;
        }
        // Layouts of the same entities from different methods differ by an arbitrary rotation, reflection and scale; fit
        // each onto the first (Procrustes) so that switching layouts moves only what really moved.
        for (int l = 1; l < layouts.Length; l++) AlignTo(layouts[l], layouts[0], n);
        return layouts;
    }

    /// <summary>Which field plays which part: label, colour, size, search, tooltip, link (given, or the defaults).</summary>
    private sealed record AtlasRoles(string? Label, string? Color, string? Size, string[] Search, string[] Tooltip, string? Link);

    private static AtlasRoles ResolveRoles(List<AtlasField> fields, EntityAttributes? metadata, AtlasOptions options)
    {
        string? Resolve(string? wanted, string parameter, Func<AtlasField, bool>? allowed = null, string? needs = null)
        {
            if (wanted is null) return null;
            var field = fields.FirstOrDefault(f => string.Equals(f.Name, wanted, StringComparison.OrdinalIgnoreCase));
            if (field is null)
                throw new EmbedPSException("AtlasUnknownProperty", EmbedPSErrorKind.InvalidArgument,
                    $"-{parameter} '{wanted}' is not a column of the metadata. Available columns: {string.Join(", ", fields.Select(f => f.Name))}{(metadata is null ? " (no -Metadata was given)" : "")}.")
                { Column = wanted };
            if (allowed is not null && !allowed(field))
            {
                var kind = field.Kind == AtlasFieldKind.Text && field.Text is { } text
                    ? AtlasField.DescribeText(text.Where(t => !string.IsNullOrWhiteSpace(t)).Select(t => t!.Trim()).Distinct(StringComparer.Ordinal).Count(), text.Count(t => !string.IsNullOrWhiteSpace(t)))
                    : $"a {field.Kind.ToString().ToLowerInvariant()} column";
                throw new EmbedPSException("AtlasPropertyWrongKind", EmbedPSErrorKind.InvalidArgument,
                    $"-{parameter} '{field.Name}' is {kind}; {needs}.") { Column = field.Name };
            }
            return field.Name;
        }
        foreach (var name in options.CategoryProperties) Resolve(name, "CategoryProperty");
        var label = Resolve(options.LabelProperty, "LabelProperty")
            ?? fields.FirstOrDefault(f => LabelCandidates.Contains(f.Name, StringComparer.OrdinalIgnoreCase) && f.Kind != AtlasFieldKind.Number)?.Name;
        var color = Resolve(options.ColorProperty, "ColorProperty", f => f.Kind != AtlasFieldKind.Text, "colour needs a category or number column (list numeric codes in -CategoryProperty)")
            ?? DefaultColor(fields);
        var size = Resolve(options.SizeProperty ?? "popularity", "SizeProperty", f => f.Kind == AtlasFieldKind.Number, "point size needs a number column");
        var search = options.SearchProperties.Select(s => Resolve(s, "SearchProperty")!).ToArray();
        var tooltip = options.TooltipProperties?.Select(s => Resolve(s, "TooltipProperty")!).ToArray()
            ?? new[] { color, size }.Where(s => s is not null && s != label).Distinct().Select(s => s!).ToArray();
        var link = Resolve(options.LinkProperty, "LinkProperty")
            ?? fields.FirstOrDefault(f => f.Kind == AtlasFieldKind.Text && LinkCandidates.Contains(f.Name, StringComparer.OrdinalIgnoreCase))?.Name;
        return new AtlasRoles(label, color, size, search, tooltip, link);
    }

    /// <summary>The embedding's rows in the layouts' entity order (every coordinate finite), or null without an embedding.</summary>
    private static (float[]? Rows, int Dimension) AlignEmbedding(Embedding? embedding, EntityIds entities, IStageLog log)
    {
        if (embedding is null) return (null, 0);
        log.Progress(0.1, "Aligning the embedding");
        int n = entities.Count;
        var rows = AlignRows(entities, embedding.Entities, "the -Embedding", embedding.Provenance.ArtifactPath);
        int dimension = embedding.Dimension;
        var embeddingRows = new float[(long)n * dimension];
        for (int i = 0; i < n; i++)
        {
            embedding.Row(rows[i]).CopyTo(embeddingRows.AsSpan(i * dimension, dimension));
            foreach (var v in embeddingRows.AsSpan(i * dimension, dimension))
                if (!float.IsFinite(v))
                    throw new EmbedPSException("AtlasNonFiniteCoordinate", EmbedPSErrorKind.InvalidData, $"The -Embedding has a non-finite coordinate for entity '{entities.GetText(i)}'.")
                    { File = embedding.Provenance.ArtifactPath, Value = entities.GetText(i) };
        }
        return (embeddingRows, dimension);
    }

    /// <summary>Neighbours for the details panel: in the high-dimensional embedding when given, else on the first layout.</summary>
    private static (int[]? Neighbors, int K, string? Space) DetailNeighbors(float[] firstLayout, string firstName, float[]? embeddingRows, int dimension, int n,
        int neighborCount, IStageLog log, CancellationToken cancellation)
    {
        int k = Math.Min(neighborCount, n - 1);
        if (k <= 0) return (null, k, null);
        log.Progress(0.2, "Nearest neighbours");
        var knn = embeddingRows is not null
            ? LowDimensionalKnn.Search(embeddingRows, n, dimension, k, log, cancellation)
            : LowDimensionalKnn.Search(firstLayout, n, 2, k, log, cancellation);
        return (knn.Indices, k, embeddingRows is not null ? $"{dimension}-D embedding" : $"on the {firstName} map");
    }

    /// <summary>Galaxy mode's 3-D points: the 3-D embedding, or the first 3 principal components of a higher one, in the unit ball.</summary>
    private static (float[]? Galaxy, string? Source) GalaxyCoordinates(float[]? embeddingRows, int dimension, int n, IStageLog log, CancellationToken cancellation)
    {
        if (embeddingRows is null || dimension < 3 || n < 2) return (null, null);
        log.Progress(0.35, "Galaxy coordinates");
        var galaxy = dimension == 3 ? (float[])embeddingRows.Clone() : PrincipalComponents.Project(embeddingRows, n, dimension, 3, cancellation).Scores;
        NormalizeBall(galaxy, n);
        return (galaxy, dimension == 3 ? "3-D embedding" : $"first 3 principal components of the {dimension}-D embedding");
    }

    /// <summary>For every pair of layouts, how many of each entity's 10 nearest neighbours they share.</summary>
    private static List<(int A, int B, byte[] Overlap, int K)> NeighborhoodChanges(float[][] layouts, int n, IStageLog log, CancellationToken cancellation)
    {
        var changes = new List<(int, int, byte[], int)>();
        if (layouts.Length < 2 || n < 2) return changes;
        log.Progress(0.45, "Neighbourhood changes between layouts");
        int kc = Math.Min(10, n - 1);
        var knns = layouts.Select(xy => LowDimensionalKnn.Search(xy, n, 2, kc, null, cancellation)).ToArray();
        for (int a = 0; a < layouts.Length; a++)
            for (int b = a + 1; b < layouts.Length; b++)
                changes.Add((a, b, NeighborOverlap(knns[a], knns[b], n, kc), kc));
        return changes;
    }

    /// <summary>k-means cluster labels of every layout, named after each cluster's most popular member.</summary>
    private static List<AtlasLabel> ClusterLabels(float[][] layouts, List<AtlasField> fields, AtlasRoles roles, EntityIds entities, int seed, IStageLog log, CancellationToken cancellation)
    {
        log.Progress(0.6, "Cluster labels");
        int n = entities.Count;
        var sizeField = FieldNamed(fields, roles.Size);
        double Popularity(int i) => sizeField?.Numbers is { } v && !double.IsNaN(v[i]) ? v[i] : 0;
        var labelField = FieldNamed(fields, roles.Label);
        string LabelOf(int i) { var t = labelField?.TextAt(i); return string.IsNullOrEmpty(t) ? entities.GetText(i) : t; }
        var clusters = new List<AtlasLabel>();
        for (int l = 0; l < layouts.Length; l++) clusters.AddRange(AtlasClusterLabels.Compute(l, layouts[l], n, LabelOf, Popularity, seed, cancellation));
        return clusters;
    }

    /// <summary>For each entity of <paramref name="target"/>, its row in <paramref name="source"/>; an error when one is missing.</summary>
    private static int[] AlignRows(EntityIds target, EntityIds source, string what, string? file)
    {
        int n = target.Count;
        var rows = new int[n];
        if (source.SequenceEqual(target))
        {
            for (int i = 0; i < n; i++) rows[i] = i;
            return rows;
        }
        for (int i = 0; i < n; i++)
        {
            rows[i] = source.IndexOf(target[i]);
            if (rows[i] < 0)
                throw new EmbedPSException("AtlasEntitiesDiffer", EmbedPSErrorKind.InvalidData,
                    $"Entity '{target.GetText(i)}' of the first layout is missing from {what} ({source.Count:N0} entities; the first layout has {n:N0}). Every layout and the embedding must place the same entities.")
                { File = file, Value = target.GetText(i) };
        }
        if (source.Count != n)
            throw new EmbedPSException("AtlasEntitiesDiffer", EmbedPSErrorKind.InvalidData,
                $"{char.ToUpperInvariant(what[0])}{what[1..]} has {source.Count:N0} entities; the first layout has {n:N0}. Every layout and the embedding must place the same entities.") { File = file };
        return rows;
    }

    private static void AlignTo(float[] xy, float[] reference, int n)
    {
        var sx = new double[n]; var sy = new double[n]; var tx = new double[n]; var ty = new double[n];
        for (int i = 0; i < n; i++) { sx[i] = xy[2 * i]; sy[i] = xy[2 * i + 1]; tx[i] = reference[2 * i]; ty[i] = reference[2 * i + 1]; }
        var fit = ProcrustesAlignment.Fit(sx, sy, tx, ty);
        var x = new float[n]; var y = new float[n];
        for (int i = 0; i < n; i++) { x[i] = xy[2 * i]; y[i] = xy[2 * i + 1]; }
        ProcrustesAlignment.Apply(fit, x, y);
        for (int i = 0; i < n; i++) { xy[2 * i] = x[i]; xy[2 * i + 1] = y[i]; }
    }

    private static string[] LayoutNames(IReadOnlyList<ProjectionResult> projections, IReadOnlyList<string>? given)
    {
        if (given is not null && given.Count > 0)
        {
            if (given.Count != projections.Count)
                throw new EmbedPSException("AtlasLayoutNames", EmbedPSErrorKind.InvalidArgument, $"-LayoutName gives {given.Count} name(s) for {projections.Count} layout(s).");
            if (given.Distinct(StringComparer.Ordinal).Count() != given.Count || given.Any(string.IsNullOrWhiteSpace))
                throw new EmbedPSException("AtlasLayoutNames", EmbedPSErrorKind.InvalidArgument, "-LayoutName needs distinct, non-empty names.");
            return given.ToArray();
        }
        // A sweep's layouts are named by their settings ("UMAP · k 15 · min_dist 0.05", with any swept upstream setting).
        if (projections.Any(p => p.Provenance.Swept.Count > 0))
        {
            var captions = projections.Select(p => SweepLabels.Caption(p)).ToArray();
            for (int l = 0; l < captions.Length; l++)
            {
                int repeat = 1;
                for (int m = 0; m < l; m++) if (captions[m] == captions[l]) repeat++;
                if (repeat > 1) captions[l] = $"{captions[l]} #{repeat}";
            }
            return captions;
        }
        // The method, plus the parameters whose values differ between layouts of the same method ("UMAP (minDist 0.5)").
        var names = new string[projections.Count];
        for (int l = 0; l < projections.Count; l++)
        {
            var p = projections[l];
            var method = p.Method.ToUpperInvariant() switch { "UMAP" => "UMAP", "TSNE" => "t-SNE", "PCA" => "PCA", _ => p.Method };
            var same = projections.Where(q => string.Equals(q.Method, p.Method, StringComparison.OrdinalIgnoreCase)).ToList();
            var differing = same.Count < 2 ? new List<string>() : p.Provenance.Parameters
                .Where(kv => kv.Key is not ("seed" or "threads") && same.Any(q => !Equals(Text(q.Provenance.Parameters.GetValueOrDefault(kv.Key)), Text(kv.Value))))
                .Select(kv => $"{kv.Key} {Text(kv.Value)}").ToList();
            names[l] = differing.Count > 0 ? $"{method} ({string.Join(", ", differing.Take(3))})" : method;
        }
        for (int l = 0; l < names.Length; l++)
        {
            int repeat = 1;
            for (int m = 0; m < l; m++) if (names[m] == names[l]) repeat++;
            if (repeat > 1) names[l] = $"{names[l]} #{repeat}";
        }
        return names;
    }

    private static string? Text(object? value) => value switch
    {
        null => null,
        double d => d.ToString("G6", CultureInfo.InvariantCulture),
        float f => f.ToString("G6", CultureInfo.InvariantCulture),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        object[] array => string.Join(" ", array.Select(Text)),
        _ => value.ToString(),
    };

    private static List<AtlasField> BuildFields(ProjectionResult first, EntityAttributes? metadata, AtlasOptions options, int n)
    {
        var fields = new List<AtlasField>();
        if (metadata is not null)
        {
            foreach (var name in metadata.ColumnNames)
            {
                bool category = options.CategoryProperties.Contains(name, StringComparer.OrdinalIgnoreCase);
                fields.Add(AtlasField.Infer(name, metadata.Column(name)!, category));
            }
        }
        // The stage's own popularity (collections an entity appears in), unless the metadata brings a column of that name.
        if (!fields.Any(f => string.Equals(f.Name, "popularity", StringComparison.OrdinalIgnoreCase)))
            fields.Add(AtlasField.FromNumbers("popularity", first.Popularity.Select(p => (double)p).ToArray()));
        return fields;
    }

    private static string? DefaultColor(List<AtlasField> fields)
    {
        foreach (var candidate in ColorCandidates)
        {
            var field = fields.FirstOrDefault(f => f.Kind == AtlasFieldKind.Category && string.Equals(f.Name, candidate, StringComparison.OrdinalIgnoreCase));
            if (field is not null) return field.Name;
        }
        return fields.FirstOrDefault(f => f.Kind == AtlasFieldKind.Category && f.Categories.Length <= 60)?.Name
            ?? fields.FirstOrDefault(f => f.Kind == AtlasFieldKind.Number)?.Name;
    }

    /// <summary>Centres the points and scales them so that 95% lie within the unit ball (robust to a few far outliers).</summary>
    private static void NormalizeBall(float[] xyz, int n)
    {
        double mx = 0, my = 0, mz = 0;
        for (int i = 0; i < n; i++) { mx += xyz[3 * i]; my += xyz[3 * i + 1]; mz += xyz[3 * i + 2]; }
        mx /= n; my /= n; mz /= n;
        var radius = new float[n];
        for (int i = 0; i < n; i++)
        {
            xyz[3 * i] -= (float)mx; xyz[3 * i + 1] -= (float)my; xyz[3 * i + 2] -= (float)mz;
            radius[i] = MathF.Sqrt(xyz[3 * i] * xyz[3 * i] + xyz[3 * i + 1] * xyz[3 * i + 1] + xyz[3 * i + 2] * xyz[3 * i + 2]);
        }
        Array.Sort(radius);
        float r95 = Math.Max(radius[Math.Min(n - 1, (int)(0.95 * n))], 1e-12f);
        for (int i = 0; i < 3 * n; i++) xyz[i] /= r95;
    }

    /// <summary>Per entity, how many of its k nearest neighbours two layouts share (Emblaze's neighbourhood change, as a count).</summary>
    internal static byte[] NeighborOverlap(KnnResult a, KnnResult b, int n, int k)
    {
        var overlap = new byte[n];
        Parallel.For(0, n, i =>
        {
            var na = a.NeighborsOf(i);
            var nb = b.NeighborsOf(i);
            int shared = 0;
            foreach (var x in na) if (nb.Contains(x)) shared++;
            overlap[i] = (byte)shared;
        });
        return overlap;
    }

    private static (float[] All, float[] View) Bounds(float[] xy, int n)
    {
        float x0 = float.MaxValue, y0 = float.MaxValue, x1 = float.MinValue, y1 = float.MinValue;
        for (int i = 0; i < n; i++)
        {
            x0 = Math.Min(x0, xy[2 * i]); x1 = Math.Max(x1, xy[2 * i]);
            y0 = Math.Min(y0, xy[2 * i + 1]); y1 = Math.Max(y1, xy[2 * i + 1]);
        }
        // The first view frames the central 99.6% on each axis, so a few far outliers do not shrink the map to a dot.
        var xs = new float[n]; var ys = new float[n];
        for (int i = 0; i < n; i++) { xs[i] = xy[2 * i]; ys[i] = xy[2 * i + 1]; }
        Array.Sort(xs); Array.Sort(ys);
        int lo = (int)(0.002 * (n - 1)), hi = (int)Math.Ceiling(0.998 * (n - 1));
        var view = new[] { xs[lo], ys[lo], xs[hi], ys[hi] };
        if (view[2] <= view[0]) { view[0] = x0 - 1; view[2] = x1 + 1; }
        if (view[3] <= view[1]) { view[1] = y0 - 1; view[3] = y1 + 1; }
        return (new[] { x0, y0, x1, y1 }, view);
    }

    private static void WriteData(string folder, AtlasPlan plan, AtlasOptions options, IStageLog log, CancellationToken cancellation)
    {
        int n = plan.Count;
        log.Progress(0.7, "Writing data");
        var data = new AtlasDataFile(folder, options.MaxDataFileBytes);
        data.WriteStrings("ids", n, i => plan.Entities.GetText(i));
        for (int l = 0; l < plan.Layouts.Length; l++) data.WriteBinary<float>($"layout-{l}", plan.Layouts[l]);
        cancellation.ThrowIfCancellationRequested();
        for (int f = 0; f < plan.Fields.Count; f++)
        {
            var field = plan.Fields[f];
            var file = $"field-{f}";
            switch (field.Kind)
            {
                case AtlasFieldKind.Number: data.WriteBinary<double>(file, field.Numbers!); break;
                case AtlasFieldKind.Text: data.WriteStrings(file, n, i => field.Text![i]); break;
                default:
                    var codes = field.Codes!;
                    switch (field.CodeWidth)
                    {
                        case 1: data.WriteBinary<byte>(file, codes.Select(c => (byte)c).ToArray()); break;
                        case 2: data.WriteBinary<ushort>(file, codes.Select(c => (ushort)c).ToArray()); break;
                        default: data.WriteBinary<int>(file, codes); break;
                    }
                    break;
            }
            cancellation.ThrowIfCancellationRequested();
        }
        // The details neighbours in chunks of rows, each its own file: a selection loads only its chunk.
        int neighborRows = NeighborChunkRows(plan.NeighborK, options.MaxDataFileBytes);
        if (plan.Neighbors is not null)
            for (int c = 0; c * neighborRows < n; c++)
            {
                int first = c * neighborRows, rows = Math.Min(neighborRows, n - first);
                data.WriteBinary<int>($"neighbors-{c}", plan.Neighbors.AsSpan(first * plan.NeighborK, rows * plan.NeighborK));
            }
        if (plan.Galaxy is not null) data.WriteBinary<float>("galaxy", plan.Galaxy);
        foreach (var (a, b, overlap, _) in plan.Changes) data.WriteBinary<byte>($"change-{a}-{b}", overlap);
        cancellation.ThrowIfCancellationRequested();
        log.Progress(0.85, "Writing the search index");
        var search = plan.SearchIndex;
        data.WriteText("search-text", search.Rows);
        data.WriteBinary<int>("search-starts", search.Starts);
        data.WriteBinary<int>("search-words", search.Words);
        data.WriteBinary<int>("search-order", search.Order);
        log.Progress(0.9, "Writing the description");
        data.WriteJson("meta", w => WriteMeta(w, plan, options, neighborRows, data.Parts));
    }

    /// <summary>Rows per neighbour chunk: about 1 MB of script each (smaller when the file limit is), so a selection waits for one small file.</summary>
    internal static int NeighborChunkRows(int k, long maxFileBytes)
    {
        long bytes = Math.Min(maxFileBytes, 1_000_000) - 64;
        return (int)Math.Max(1, bytes / 4 * 3 / (4L * Math.Max(1, k)));
    }

    private static void WriteMeta(Utf8JsonWriter w, AtlasPlan plan, AtlasOptions options, int neighborRows, IReadOnlyDictionary<string, int> parts)
    {
        w.WriteStartObject();
        w.WriteNumber("format", 1);
        w.WriteString("title", options.Title);
        w.WriteString("theme", options.Theme == AtlasTheme.Dark ? "dark" : "light");
        w.WriteNumber("count", plan.Count);
        w.WriteString("ids", "ids");
        w.WriteStartArray("fields");
        for (int f = 0; f < plan.Fields.Count; f++)
        {
            var field = plan.Fields[f];
            w.WriteStartObject();
            w.WriteString("name", field.Name);
            w.WriteString("kind", field.Kind switch { AtlasFieldKind.Category => "category", AtlasFieldKind.Number => "number", _ => "text" });
            w.WriteString("file", $"field-{f}");
            if (field.Kind == AtlasFieldKind.Category)
            {
                w.WriteStartArray("categories"); foreach (var c in field.Categories) w.WriteStringValue(c); w.WriteEndArray();
                w.WriteStartArray("counts"); foreach (var c in field.CategoryCounts) w.WriteNumberValue(c); w.WriteEndArray();
                w.WriteNumber("width", field.CodeWidth);
                if (field.MissingCode >= 0) w.WriteNumber("missing", field.MissingCode);
            }
            else if (field.Kind == AtlasFieldKind.Number)
            {
                w.WriteNumber("min", field.Min);
                w.WriteNumber("max", field.Max);
                w.WriteBoolean("log", field.LogScale);
                w.WriteNumber("missing", field.MissingCount);
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        WriteNullable(w, "label", plan.Label);
        WriteNullable(w, "color", plan.Color);
        WriteNullable(w, "size", plan.Size);
        w.WriteStartArray("search"); foreach (var s in plan.Search) w.WriteStringValue(s); w.WriteEndArray();
        w.WriteStartArray("tooltip"); foreach (var s in plan.Tooltip) w.WriteStringValue(s); w.WriteEndArray();
        WriteNullable(w, "link", plan.Link);
        w.WriteStartArray("layouts");
        for (int l = 0; l < plan.Layouts.Length; l++)
        {
            var (all, view) = Bounds(plan.Layouts[l], plan.Count);
            var p = plan.Projections[l];
            w.WriteStartObject();
            w.WriteString("name", plan.LayoutNames[l]);
            w.WriteString("method", p.Method);
            w.WriteString("file", $"layout-{l}");
            w.WriteStartArray("bounds"); foreach (var v in all) w.WriteNumberValue(v); w.WriteEndArray();
            w.WriteStartArray("view"); foreach (var v in view) w.WriteNumberValue(v); w.WriteEndArray();
            w.WriteStartObject("parameters");
            foreach (var (key, value) in p.Provenance.Parameters) w.WriteString(key, Text(value) ?? "");
            w.WriteEndObject();
            if (l < plan.Scores.Count && plan.Scores[l].Count > 0)
            {
                w.WriteStartObject("scores");
                foreach (var key in new[] { "recall@10", "trust", "cont", "acc" })
                    if (plan.Scores[l].TryGetValue(key, out var value)) w.WriteNumber(key, Math.Round(value, 4));
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        if (plan.Galaxy is not null)
        {
            w.WriteStartObject("galaxy");
            w.WriteString("file", "galaxy");
            w.WriteString("source", plan.GalaxySource);
            w.WriteEndObject();
        }
        else w.WriteNull("galaxy");
        if (plan.Neighbors is not null)
        {
            w.WriteStartObject("neighbors");
            w.WriteString("file", "neighbors");
            w.WriteNumber("k", plan.NeighborK);
            w.WriteString("space", plan.NeighborSpace);
            w.WriteNumber("chunkRows", neighborRows);
            w.WriteNumber("chunks", (plan.Count + neighborRows - 1) / neighborRows);
            w.WriteEndObject();
        }
        else w.WriteNull("neighbors");
        w.WriteStartObject("searchIndex");
        w.WriteString("text", "search-text");
        w.WriteString("starts", "search-starts");
        w.WriteString("words", "search-words");
        w.WriteString("order", "search-order");
        w.WriteNumber("columns", plan.SearchIndex.Columns);
        w.WriteEndObject();
        // Data written in several files (each under the size limit): name → number of parts, name.0.js … name.{parts-1}.js.
        w.WriteStartObject("parts");
        foreach (var (name, count) in parts) w.WriteNumber(name, count);
        w.WriteEndObject();
        w.WriteStartArray("changes");
        foreach (var (a, b, _, k) in plan.Changes)
        {
            w.WriteStartObject();
            w.WriteNumber("a", a); w.WriteNumber("b", b); w.WriteString("file", $"change-{a}-{b}"); w.WriteNumber("k", k);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("clusters");
        foreach (var c in plan.Clusters)
        {
            w.WriteStartObject();
            w.WriteNumber("layout", c.Layout); w.WriteNumber("x", c.X); w.WriteNumber("y", c.Y);
            w.WriteString("text", c.Text); w.WriteNumber("level", c.Level); w.WriteNumber("priority", c.Priority);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartObject("provenance");
        w.WriteString("built", DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture));
        w.WriteString("version", ParquetArtifact.LibraryVersion);
        w.WriteStartArray("inputs");
        for (int l = 0; l < plan.Projections.Length; l++)
        {
            var p = plan.Projections[l];
            WriteInput(w, $"layout {plan.LayoutNames[l]}", Describe(p.Provenance, $"{p.Method} projection of {p.EntityCount:N0} entities"));
        }
        if (plan.Embedding is { } e) WriteInput(w, "embedding", Describe(e.Provenance, $"{e.Dimension}-D embedding" + (e.FinalDistortion is { } d ? $", distortion {d:G4}" : "")));
        foreach (var (name, detail) in options.Sources) WriteInput(w, name, detail);
        w.WriteEndArray();
        w.WriteStartObject("parameters");
        for (int l = 0; l < plan.Projections.Length; l++)
        {
            var parameters = string.Join(", ", plan.Projections[l].Provenance.Parameters.Select(kv => $"{kv.Key}={Text(kv.Value)}"));
            if (parameters.Length > 0) w.WriteString($"{plan.LayoutNames[l]} parameters", parameters);
        }
        w.WriteEndObject();
        w.WriteEndObject();
        if (options.FallbackImage) w.WriteString("preview", "preview.png"); else w.WriteNull("preview");
        w.WriteEndObject();
    }

    private static string Describe(Provenance provenance, string what) =>
        provenance.ArtifactPath is { } path ? $"{what}, {Path.GetFileName(path)}" + (provenance.ArtifactSha256 is { } sha ? $" (SHA-256 {sha[..12]}…)" : "") : what;

    private static void WriteInput(Utf8JsonWriter w, string name, string detail)
    {
        w.WriteStartObject();
        w.WriteString("name", name);
        w.WriteString("detail", detail);
        w.WriteEndObject();
    }

    private static void WriteNullable(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null) w.WriteNull(name); else w.WriteString(name, value);
    }

    private static void WriteViewer(string folder, AtlasOptions options)
    {
        var html = AtlasViewerAssets.ReadText("index.html")
            .Replace("{{TITLE}}", WebUtility.HtmlEncode(options.Title), StringComparison.Ordinal)
            .Replace("{{THEME}}", options.Theme == AtlasTheme.Dark ? "dark" : "light", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(folder, "index.html"), html);
        foreach (var asset in new[] { "viewer.js", "style.css" }) File.WriteAllBytes(Path.Combine(folder, asset), AtlasViewerAssets.Read(asset));
    }

    private static void WriteFallbackImage(string folder, AtlasPlan plan, IStageLog log, CancellationToken cancellation)
    {
        log.Progress(0.95, "Fallback image");
        var attributes = new EntityAttributes(plan.Count);
        var color = plan.Fields.FirstOrDefault(f => f.Name == plan.Color);
        if (color is not null) attributes.Add(color.Name, Enumerable.Range(0, plan.Count).Select(color.TextAt).ToArray());
        var x = new float[plan.Count]; var y = new float[plan.Count];
        for (int i = 0; i < plan.Count; i++) { x[i] = plan.Layouts[0][2 * i]; y[i] = plan.Layouts[0][2 * i + 1]; }
        var projection = new ProjectionResult(plan.Entities, plan.Projections[0].Popularity, x, y, plan.Projections[0].Method);
        var options = new PreviewOptions
        {
            Width = 1200,
            Height = 900,
            Theme = PreviewThemeKind.Light,
            Title = "",
            Attributes = color is null ? null : attributes,
            ColorProperty = color?.Name,
        };
        PreviewRenderer.WritePng(Path.Combine(folder, "preview.png"), projection, options, log, cancellation);
    }

    private static void WriteMarker(string folder, AtlasPlan plan, IReadOnlyList<string> files)
    {
        using var stream = File.Create(Path.Combine(folder, MarkerFile));
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("generator", "EmbedPS Export-EmbeddingAtlas");
        w.WriteString("version", ParquetArtifact.LibraryVersion);
        w.WriteString("created", DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture));
        w.WriteNumber("points", plan.Count);
        w.WriteStartArray("layouts"); foreach (var name in plan.LayoutNames) w.WriteStringValue(name); w.WriteEndArray();
        // The files this export wrote: the next export replaces these and keeps everything else a person adds.
        w.WriteStartArray("files"); foreach (var file in files) w.WriteStringValue(file); w.WriteEndArray();
        w.WriteEndObject();
    }
}
