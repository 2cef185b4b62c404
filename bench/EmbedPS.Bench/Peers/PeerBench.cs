using System.Globalization;
using System.Text;
using EmbedPS.Bench.Cases;
using EmbedPS.Core.Collections;
using EmbedPS.Core.Common;
using EmbedPS.Core.Cooccurrence;
using EmbedPS.Core.Mde;
using EmbedPS.Core.NeighborPreservation;
using EmbedPS.Core.Projection;
using EmbedPS.Core.Quality;

namespace EmbedPS.Bench.Peers;

/// <summary>One line of the peers table.</summary>
public sealed record PeerLine(string Step, string Input, string Peer, string EmbedPSFigure, string PeerFigure, string TimeRatio,
    string EmbedPSRss, string PeerRss, string MemoryRatio, string Quality);

/// <summary>
/// `EmbedPS.Bench --peers`: EmbedPS next to the tools a user would pick instead (SciPy, PyMDE, umap-learn, scikit-learn),
/// each side its own process on the same input file with the same thread count; writes bench-results/peers.md.
/// Inputs are written once under bench-data/peers/ (the real datasets are prepared by build.ps1 -Task Bench -Peers).
/// </summary>
public static class PeerBench
{
    private const string Data = "bench-data";
    private static readonly string Folder = Path.Combine(Data, "peers");

    public static int Run(string output, List<string> filters, string? modulePath, string? pwsh)
    {
        Directory.CreateDirectory(Folder);
        var runner = new PeerRunner();
        var problems = new Dictionary<string, string?>();
        string? Missing(string peer) => problems.TryGetValue(peer, out var p) ? p : problems[peer] = runner.PeerProblem(peer);
        var lines = new List<PeerLine>();
        var notes = new List<string>();
        var rows = Rows(runner, modulePath, pwsh).Where(r => filters.Count == 0 || filters.Any(f => r.Name.Contains(f, StringComparison.OrdinalIgnoreCase))).ToList();
        Console.WriteLine($"EmbedPS peer bench: {rows.Count} rows, {runner.Threads} threads per tool, peers from {runner.PeersSource}, Python {runner.Python}");
        foreach (var row in rows)
        {
            Console.WriteLine($"== {row.Name}");
            var missing = row.Peers.Select(Missing).FirstOrDefault(p => p is not null);
            try
            {
                var produced = row.Run(missing);
                foreach (var line in produced) Console.WriteLine($"   {line.Step}: EmbedPS {line.EmbedPSFigure} | {line.Peer} {line.PeerFigure} | {line.TimeRatio} | RSS {line.EmbedPSRss} vs {line.PeerRss} | {line.Quality}");
                lines.AddRange(produced);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Console.WriteLine($"   failed: {ex}");
                lines.Add(new PeerLine(row.Name, "", "", "did not run: " + ex.Message.ReplaceLineEndings(" ").Replace("|", "/"), "", "", "", "", "", ""));
            }
            if (missing is not null && !notes.Contains(missing)) notes.Add(missing);
        }
        var table = new StringBuilder();
        table.AppendLine($"# EmbedPS next to its peers — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {runner.Threads} threads per tool");
        table.AppendLine();
        table.AppendLine("Each side runs as its own process on the same input file (bench-data/peers/); time = the step inside the process " +
                         "(input reading excluded), peak RSS = the process's maximum resident set (`/usr/bin/time -v`), input included; process CPU = its user + system time, whole process. " +
                         "Speed-up = peer time / EmbedPS time; memory = EmbedPS peak RSS / peer peak RSS. Measured in this run.");
        table.AppendLine();
        table.AppendLine("| step | input | peer | EmbedPS | peer | speed-up | EmbedPS peak RSS | peer peak RSS | memory | quality (EmbedPS / peer) |");
        table.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var l in lines)
            table.AppendLine($"| {l.Step} | {l.Input} | {l.Peer} | {l.EmbedPSFigure} | {l.PeerFigure} | {l.TimeRatio} | {l.EmbedPSRss} | {l.PeerRss} | {l.MemoryRatio} | {l.Quality} |");
        if (notes.Count > 0)
        {
            table.AppendLine();
            table.AppendLine("Peers not run: " + string.Join("; ", notes.Distinct()) + ". " + InstallHelp);
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        File.WriteAllText(output, table.ToString());
        Console.WriteLine();
        Console.WriteLine(table);
        Console.WriteLine($"Written to {Path.GetFullPath(output)}");
        return 0;
    }

    public const string InstallHelp =
        "To install them (Debian 12, as root): `apt-get install python3-scipy python3-sklearn python3-torch python3-numba " +
        "python3-pynndescent python3-tqdm python3-pandas`, then unpack PyMDE's source (github.com/cvxgrp/pymde) and umap-learn 0.5.7's " +
        "(github.com/lmcinnes/umap, tag release-0.5.7) into $EMBEDPS_PEERS_SRC (default /work/peers-src) as pymde/ and umap/ " +
        "(the scripts put both on Python's path themselves; by hand: PYTHONPATH=$EMBEDPS_PEERS_SRC/pymde:$EMBEDPS_PEERS_SRC/umap). " +
        "build.ps1 -Task Bench -Peers installs the apt packages itself when run as root on Debian.";

    private sealed record Row(string Name, string[] Peers, Func<string?, List<PeerLine>> Run);

    private static IEnumerable<Row> Rows(PeerRunner runner, string? modulePath, string? pwsh)
    {
        yield return Cooccurrence(runner, "cooccurrence small (5k entities, 20k collections)", "small", () => BenchData.Small.Collections, modulePath, pwsh);
        yield return Cooccurrence(runner, "cooccurrence atlas (50k entities, 300k collections)", "atlas", () => BenchData.Atlas.Collections, modulePath, pwsh);
        yield return Graph(runner, "debian", "real: Debian dependencies");
        yield return Graph(runner, "wordnet", "real: WordNet glosses");
        yield return Graph(runner, "synthetic-5k", "synthetic small");
        yield return Vectors(runner);
        yield return SameGraphMde(runner);
        yield return Umap(runner, "debian", "3-D EmbedPS embedding of the Debian dependencies");
        yield return Umap(runner, "wordnet", "3-D EmbedPS embedding of the WordNet glosses");
        // UMAP across the sizes issue 23 names (5,000 to 70,000 points): the first N Fashion-MNIST images, as the t-SNE rows.
        foreach (int points in new[] { 5_000, 10_000, 20_000 }) yield return Umap(runner, $"fashion-{points / 1000}k", $"Fashion-MNIST {points:N0} × 3 (PCA; the first {points:N0} images)");
        yield return Umap(runner, "fashion-70k", "Fashion-MNIST 70,000 × 3 (PCA)");
        // t-SNE across the sizes issue 23 names: Barnes–Hut territory (5k, 10k) to FFT territory (70k).
        foreach (int points in new[] { 5_000, 10_000, 20_000, 70_000 }) yield return Tsne(runner, points);
        // The real datasets of the quality rows (folders under bench-data/ holding pairs.csv and labels.csv).
        var datasets = Environment.GetEnvironmentVariable("EMBEDPS_PEERS_DATASETS") is { Length: > 0 } listed ? listed.Split(',', StringSplitOptions.TrimEntries) : new[] { "debian", "wordnet" };
        foreach (var dataset in datasets) yield return RealDataQuality(runner, dataset, modulePath, pwsh);
    }

    // ---------------------------------------------------------------- rows

    /// <summary>
    /// The kernel (CooccurrenceBuilder.Build, in the bench's own process) and, when the module is built, the same count through
    /// the cmdlet a user runs (<c>$set | New-CooccurrenceMatrix</c> in pwsh, the timer around the pipeline only): both against
    /// the same SciPy run, so the cmdlet's overhead over the kernel is a row of its own.
    /// </summary>
    private static Row Cooccurrence(PeerRunner runner, string input, string name, Func<EntityCollectionSet> source, string? modulePath, string? pwsh) =>
        new($"cooccurrence/{name}", new[] { "scipy" }, missing =>
        {
            var file = Path.Combine(Folder, name + ".incidence");
            if (!File.Exists(file)) { PeerFiles.WriteIncidence(file, source()); BenchData.ReleaseAtlasCooccurrence(); }
            var ours = runner.RunEmbedPS("cooccurrence", file);
            var peer = missing is null ? runner.RunPython("scipy_cooccurrence.py", file) : SideResult.Failed(missing);
            string Quality(SideResult side) => $"{Count(side.Get("nonzeros"))} non-zeros / {Count(peer.Get("nonzeros_with_diagonal"))} with the diagonal";
            var lines = new List<PeerLine> { Line("co-occurrence", input, "SciPy `A.T @ A` (csr)", ours, peer, "seconds", rss: true, quality: Quality(ours)) };
            if (modulePath is not null && pwsh is not null)
            {
                // The same synthetic preset (New-SyntheticCollection -Size Small|Atlas, seed 42) is the input the incidence file holds.
                var shell = Path.GetFileNameWithoutExtension(pwsh) == "dotnet" ? new[] { "pwsh" } : Array.Empty<string>();
                var cmdlet = runner.RunCommand(pwsh, shell.Concat(new[] { "-NoProfile", "-File", Path.Combine(runner.ScriptFolder, "Invoke-EmbedPSCooccurrence.ps1"),
                    "-ModulePath", modulePath, "-Size", name == "atlas" ? "Atlas" : "Small" }).ToArray());
                lines.Add(Line("co-occurrence through New-CooccurrenceMatrix (pwsh)", input, "SciPy `A.T @ A` (csr)", cmdlet, peer, "seconds", rss: true, quality: Quality(cmdlet)));
            }
            return lines;
        });

    /// <summary>A co-occurrence graph read directly (raw counts, lengths 1/ln(1 + count)): kNN by shortest paths, then MDE.</summary>
    private static Row Graph(PeerRunner runner, string name, string label) =>
        new($"graph/{name}", new[] { "pymde" }, missing =>
        {
            var file = Path.Combine(Folder, name + ".counts");
            int entities;
            if (!File.Exists(file))
            {
                var matrix = name == "synthetic-5k" ? CooccurrenceBuilder.Build(BenchData.Small.Collections) : CooccurrenceBuilder.Build(RealData.Collections(name));
                PeerFiles.WriteCounts(file, matrix);
            }
            using (var reader = new BinaryReader(File.OpenRead(file))) entities = reader.ReadInt32();
            var ours = runner.RunEmbedPS("graph", file);
            var peer = missing is null ? runner.RunPython("pymde_graph.py", file) : SideResult.Failed(missing);
            string input = $"{label}, {entities:N0} entities, k = 15";
            return new()
            {
                Line("graph kNN (shortest paths, radius 3 × q75)", input, "PyMDE `preserve_neighbors(Graph)`", ours, peer, "neighbors_s", rss: true,
                    quality: EdgeCounts(ours, peer)),
                Line("MDE on that graph, dim 3, ≤ 300 iterations", input, "PyMDE `embed`", ours, peer, "embed_s", rss: false,
                    quality: DistortionAndIterations(ours, peer)),
            };
        });

    /// <summary>The graph rows' quality column: both sides' edge counts.</summary>
    private static string EdgeCounts(SideResult ours, SideResult peer) => $"{Count(ours.Get("edges"))} / {Count(peer.Get("edges"))} edges";

    /// <summary>The MDE rows' quality column: both sides' final distortion and iteration count.</summary>
    private static string DistortionAndIterations(SideResult ours, SideResult peer) =>
        $"distortion {F(ours.Get("distortion"), "F4")} / {F(peer.Get("distortion"), "F4")}, iterations {F(ours.Get("iterations"), "F0")} / {F(peer.Get("iterations"), "F0")}";

    private static Row Vectors(PeerRunner runner) =>
        new("vectors/fashion", new[] { "pymde" }, missing =>
        {
            var file = FashionPixels();
            var ours = runner.RunEmbedPS("vectors", file, Path.Combine(Folder, "fashion.graph"));
            var peer = missing is null ? runner.RunPython("pymde_vectors.py", file) : SideResult.Failed(missing);
            const string input = "Fashion-MNIST 70,000 × 784, k = 15";
            return new()
            {
                Line("vector kNN + preserve_neighbors graph", input, "PyMDE `preserve_neighbors(X)`", ours, peer, "neighbors_s", rss: true,
                    quality: EdgeCounts(ours, peer)),
                Line("MDE, dim 3, ≤ 300 iterations (each its own graph)", input, "PyMDE `embed`", ours, peer, "embed_s", rss: false,
                    quality: DistortionAndIterations(ours, peer)),
            };
        });

    private static Row SameGraphMde(PeerRunner runner) =>
        new("mde/fashion-same-graph", new[] { "pymde" }, missing =>
        {
            var graphFile = Path.Combine(Folder, "fashion.graph");
            if (!File.Exists(graphFile))
            {
                var (pixels, _, count) = FashionMnist.Load();
                var ids = EntityIds.FromIntegers(Enumerable.Range(0, count).Select(i => (long)i).ToArray());
                PeerFiles.WriteGraph(graphFile, NeighborPreservationBuilder.FromVectors(ids, new int[count], pixels, 784, new NeighborPreservationOptions { NeighborCount = 15, Seed = 0 }));
            }
            var ours = runner.RunEmbedPS("mde", graphFile);
            var peer = missing is null ? runner.RunPython("pymde_mde.py", graphFile) : SideResult.Failed(missing);
            return new() { Line("MDE solve, same graph, dim 3, ≤ 300 iterations", $"Fashion-MNIST 15-NN graph ({Count(ours.Get("edges"))} edges, EmbedPS's)", "PyMDE `MDE.embed`",
                ours, peer, "embed_s", rss: true,
                quality: DistortionAndIterations(ours, peer)) };
        });

    private static Row Umap(PeerRunner runner, string name, string label) =>
        new($"umap/{name}", new[] { "umap" }, missing =>
        {
            var (input, labels) = name.StartsWith("fashion-", StringComparison.Ordinal)
                ? FashionThreeD(int.Parse(name["fashion-".Length..^1], CultureInfo.InvariantCulture) * 1000)
                : RealData.ThreeD(name, Folder);
            var (data, rows, _) = PeerFiles.ReadFloats(input);
            var ourFile = Path.Combine(Folder, $"umap-{name}.embedps.f32");
            var peerFile = Path.Combine(Folder, $"umap-{name}.umap-learn.f32");
            for (int fit = 0; fit < EmbedPSSide.UmapWarmFits; fit++) { File.Delete($"{ourFile}.{fit}"); File.Delete($"{peerFile}.{fit}"); }
            var ours = runner.RunEmbedPS("umap", input, ourFile);
            var peer = missing is null ? runner.RunPython("umap_fit.py", input, peerFile) : SideResult.Failed(missing);
            string quality = $"{MeanLayoutQuality(ours, ourFile, data, rows, labels)} / {MeanLayoutQuality(peer, peerFile, data, rows, labels)} " +
                $"(recall@10, 10-NN accuracy: mean of {EmbedPSSide.UmapWarmFits} warm fits [lowest–highest accuracy]; 3-D input accuracy {F(ThreeDAccuracy(data, rows, labels), "F3")})";
            string text = $"{label}, {rows:N0} points";
            return new()
            {
                Line("UMAP 2-D, warm fit (median of 3)", text, "umap-learn 0.5.7 warm (median of fits 2–4)", ours, peer, "warm_fit_s", "warm_fit_s", rss: true, quality: quality),
                Line("UMAP 2-D, first fit of the process", text, "umap-learn first fit (numba JIT)", ours, peer, "first_fit_s", "first_fit_s", rss: false, quality: ""),
            };
        });

    private static Row Tsne(PeerRunner runner, int points) =>
        new($"tsne/fashion-{points / 1000}k", new[] { "sklearn" }, missing =>
        {
            var (input, labels) = FashionThreeD(points);
            var (data, rows, _) = PeerFiles.ReadFloats(input);
            var ourFile = Path.Combine(Folder, $"tsne-{points}.embedps.f32");
            var peerFile = Path.Combine(Folder, $"tsne-{points}.sklearn.f32");
            var ours = runner.RunEmbedPS("tsne", input, ourFile);
            var peer = missing is null ? runner.RunPython("sklearn_tsne.py", input, peerFile) : SideResult.Failed(missing);
            return new() { Line("t-SNE 2-D (each tool's defaults)", $"Fashion-MNIST {rows:N0} × 3 (PCA; the first {rows:N0} images)", "scikit-learn 1.2 TSNE (Barnes-Hut)", ours, peer, "seconds", rss: true,
                quality: $"{LayoutQuality(ours, ourFile, data, rows, labels)} / {LayoutQuality(peer, peerFile, data, rows, labels)} (recall@10, 10-NN accuracy; 3-D input accuracy {F(ThreeDAccuracy(data, rows, labels), "F3")})") };
        });

    /// <summary>The method's author's PyMDE → umap-learn pipeline and EmbedPS's cmdlet defaults on one real dataset;
    /// bench/peers/quality.py measures both with the same code.</summary>
    private static Row RealDataQuality(PeerRunner runner, string dataset, string? modulePath, string? pwsh) =>
        new($"quality/{dataset}", new[] { "pymde", "umap", "scipy" }, missing =>
        {
            var folder = Path.Combine(Data, dataset);
            if (!File.Exists(Path.Combine(folder, "pairs.csv"))) throw new InvalidOperationException($"{folder}/pairs.csv is missing: build.ps1 -Task Bench -Peers prepares it.");
            if (modulePath is null || pwsh is null) throw new InvalidOperationException("needs the built module (--module) and PowerShell (--pwsh): run it through build.ps1 -Task Bench -Peers.");
            // `dotnet pwsh` (the repo's local tool) shows up as the dotnet host: call it the same way.
            var shell = Path.GetFileNameWithoutExtension(pwsh) == "dotnet" ? new[] { "pwsh" } : Array.Empty<string>();
            var ours = runner.RunCommand(pwsh, shell.Concat(new[] { "-NoProfile", "-File", Path.Combine(runner.ScriptFolder, "Invoke-EmbedPSRealData.ps1"),
                "-ModulePath", modulePath, "-Dataset", folder, "-OutputPath", Path.Combine(folder, "embedps") }).ToArray());
            var peer = missing is null ? runner.RunPython("realdata_pymde_umap.py", folder, Path.Combine(folder, "pymde-umap")) : SideResult.Failed(missing);
            var specs = new List<string> { folder };
            if (ours.Failure is null) specs.AddRange(new[] { $"embedps3d={folder}/embedps/embedding.csv", $"embedps2d={folder}/embedps/map.csv" });
            if (peer.Failure is null) specs.AddRange(new[] { $"peer3d={folder}/pymde-umap/embedding.csv", $"peer2d={folder}/pymde-umap/map.csv" });
            var q = missing is null || missing.StartsWith("pymde") || missing.StartsWith("umap") ? runner.RunPython("quality.py", specs.ToArray()) : SideResult.Failed(missing);
            string Pair(string tool, string dim) => q.Failure is null && q.Values.ContainsKey($"{tool}{dim}.partners_recall@10")
                ? $"{F(q.Get($"{tool}{dim}.partners_recall@10"), "F3")}, {F(q.Get($"{tool}{dim}.10nn_accuracy"), "F3")}" : "—";
            string input = $"real: {dataset}, {Count(q.Get("entities"))} entities ({Count(q.Get("labelled"))} labelled)";
            double ourTotal = ours.Get("cooccurrence_s") + ours.Get("neighbors_s") + ours.Get("embed_s") + ours.Get("umap_s");
            double peerTotal = peer.Get("read_s") + peer.Get("neighbors_s") + peer.Get("embed_s") + peer.Get("umap_first_fit_s");
            var oursTotal = ours with { Values = new(ours.Values) { ["total"] = ourTotal } };
            var peerTotalResult = peer with { Values = new(peer.Values) { ["total"] = peerTotal } };
            return new()
            {
                Line("map quality, 3-D embedding; time = the whole pipeline, one process each (EmbedPS: the cmdlets in PowerShell; peer: umap-learn's first fit, numba JIT included)", input, "PyMDE `preserve_neighbors(Graph, 3, 15, init=\"random\")` → umap-learn", oursTotal, peerTotalResult, "total", rss: true,
                    quality: $"{Pair("embedps", "3d")} / {Pair("peer", "3d")} (partners recall@10, 10-NN label accuracy)"),
                new PeerLine("map quality, 2-D map", input, "same", "", "", "", "", "", "",
                    $"{Pair("embedps", "2d")} / {Pair("peer", "2d")}"),
            };
        });

    // ---------------------------------------------------------------- inputs

    private static string FashionPixels()
    {
        var file = Path.Combine(Folder, "fashion-784.f32");
        if (!File.Exists(file))
        {
            var (pixels, _, count) = FashionMnist.Load();
            PeerFiles.WriteFloats(file, pixels, count, 784);
        }
        return file;
    }

    /// <summary>Fashion-MNIST reduced to 3-D by PCA (the first <paramref name="points"/> images) and its labels.</summary>
    private static (string File, int[] Labels) FashionThreeD(int points)
    {
        var file = Path.Combine(Folder, $"fashion-3d-{points}.f32");
        var labelsFile = Path.Combine(Folder, $"fashion-3d-{points}.labels");
        if (!File.Exists(file) || !File.Exists(labelsFile))
        {
            var (embedding, labels) = ProjectionBenchData.Fashion;
            PeerFiles.WriteFloats(file, embedding.Coordinates, points, 3);
            PeerFiles.WriteLabels(labelsFile, Enumerable.Range(0, points).Select(i => int.Parse(labels[i.ToString(CultureInfo.InvariantCulture)], CultureInfo.InvariantCulture)).ToArray());
        }
        return (file, PeerFiles.ReadLabels(labelsFile));
    }

    // ---------------------------------------------------------------- figures

    private static PeerLine Line(string step, string input, string peerName, SideResult ours, SideResult peer, string key, bool rss, string quality) =>
        Line(step, input, peerName, ours, peer, key, key, rss, quality);

    private static PeerLine Line(string step, string input, string peerName, SideResult ours, SideResult peer, string ourKey, string peerKey, bool rss, string quality)
    {
        string Figure(SideResult side, string key) => side.Failure is not null ? "did not run: " + side.Failure.Replace("|", "/") : $"{F(side.Get(key), "F2")} s";
        double a = ours.Get(ourKey), b = peer.Get(peerKey);
        string ratio = ours.Failure is null && peer.Failure is null && a > 0 ? $"{F(b / a, "F1")}×" : "—";
        // The process's CPU time (user + system) beside its peak: on a shared machine it moves less with the load than the wall time.
        string Rss(SideResult side) => rss && side.PeakRssMb is { } mb ? $"{F(mb, "N0")} MB{(side.CpuSeconds is { } cpu ? $" (process CPU {F(cpu, "F0")} s)" : "")}" : "";
        string memory = rss && ours.PeakRssMb is { } m1 && peer.PeakRssMb is { } m2 && peer.Failure is null ? $"{F(m1 / m2, "F2")}×" : "";
        return new PeerLine(step, input, peerName, Figure(ours, ourKey), Figure(peer, peerKey), ratio, Rss(ours), Rss(peer), memory, quality);
    }

    private static string LayoutQuality(SideResult side, string file, float[] input, int rows, int[] labels) =>
        Measure(side, file, input, rows, labels) is var (recall, accuracy) ? $"{F(recall, "F3")}, {F(accuracy, "F3")}" : "—";

    /// <summary>The mean recall@10 and 10-NN accuracy of the layouts FILE.0, FILE.1, … one side wrote, and the accuracy's range.</summary>
    private static string MeanLayoutQuality(SideResult side, string file, float[] input, int rows, int[] labels)
    {
        var measured = Enumerable.Range(0, EmbedPSSide.UmapWarmFits).Select(fit => Measure(side, $"{file}.{fit}", input, rows, labels)).ToList();
        if (measured.Any(m => m is null)) return "—";
        var values = measured.Select(m => m!.Value).ToList();
        return $"{F(values.Average(v => v.Recall), "F4")}, {F(values.Average(v => v.Accuracy), "F4")} " +
            $"[{F(values.Min(v => v.Accuracy), "F4")}–{F(values.Max(v => v.Accuracy), "F4")}]";
    }

    private static (double Recall, double Accuracy)? Measure(SideResult side, string file, float[] input, int rows, int[] labels)
    {
        if (side.Failure is not null || !File.Exists(file)) return null;
        var (layout, n, _) = PeerFiles.ReadFloats(file);
        if (n != rows) return null;
        var ids = EntityIds.FromIntegers(Enumerable.Range(0, rows).Select(i => (long)i).ToArray());
        var subject = new PointSet(ids, layout, 2);
        var reference = new PointSet(ids, input, 3);
        var labelMap = Enumerable.Range(0, rows).Where(i => labels[i] >= 0).ToDictionary(i => i.ToString(CultureInfo.InvariantCulture), i => labels[i].ToString(CultureInfo.InvariantCulture));
        return (EmbeddingQuality.NeighborRecall(subject, reference, 10), EmbeddingQuality.LabelAccuracy(subject, labelMap).Accuracy ?? double.NaN);
    }

    private static double ThreeDAccuracy(float[] input, int rows, int[] labels)
    {
        var ids = EntityIds.FromIntegers(Enumerable.Range(0, rows).Select(i => (long)i).ToArray());
        var labelMap = Enumerable.Range(0, rows).Where(i => labels[i] >= 0).ToDictionary(i => i.ToString(CultureInfo.InvariantCulture), i => labels[i].ToString(CultureInfo.InvariantCulture));
        return EmbeddingQuality.LabelAccuracy(new PointSet(ids, input, 3), labelMap).Accuracy ?? double.NaN;
    }

    private static string F(double v, string format) => double.IsNaN(v) ? "—" : v.ToString(format, CultureInfo.InvariantCulture);
    private static string Count(double v) => double.IsNaN(v) ? "—" : v.ToString("N0", CultureInfo.InvariantCulture);
}
