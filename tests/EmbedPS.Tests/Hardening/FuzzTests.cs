using System.Globalization;
using System.Text;
using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Collections;
using EmbedPS.Core.Common;
using EmbedPS.Core.Cooccurrence;
using EmbedPS.Core.Mde;
using EmbedPS.Core.NeighborPreservation;
using EmbedPS.Tests.Collections;
using EmbedPS.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using ProjectionResult = EmbedPS.Core.Projection.Projection;

namespace EmbedPS.Tests.Hardening;

/// <summary>
/// Issue 14's fuzz suite: generated, seeded cases per input kind — byte flips, truncations, header and footer edits, encoding
/// changes, duplicated, reordered and retyped columns — for CSV collections, Parquet collections, CSV and Parquet edge lists and
/// every artifact kind. Each case must end in the correct result (checked against the unmutated input, or against a reference
/// parser for CSV) or in an EmbedPSException that names the file (and, where there is one, the line, row, column or footer key);
/// never another exception type, a hang (a time limit per case) or a file left behind. A successful read is also written back
/// and read again.
/// </summary>
[Trait("Category", "Slow")]
public sealed class FuzzTests(ITestOutputHelper output)
{
    private const int CasesPerKind = 250;
    private static readonly TimeSpan CaseLimit = TimeSpan.FromSeconds(20);

    // ---------- the inputs ----------

    private sealed class Inputs
    {
        public required EntityCollectionSet Set;
        public required CooccurrenceMatrix Matrix;
        public required NeighborGraph Graph;
        public required Embedding Embedding;
        public required ProjectionResult Projection;
    }

    private static readonly Lazy<Inputs> Base = new(() =>
    {
        var raw = SyntheticCollectionGenerator.Generate(new SyntheticCollectionOptions
        { EntityCount = 60, CollectionCount = 150, Groups = 3, SubgroupsPerGroup = 2, MeanCollectionSize = 5, MaxCollectionSize = 20, Seed = 9 }).Collections;
        // Text ids with non-ASCII letters, and weights, so that encodings and weight columns matter.
        var builder = new EntityCollectionBuilder(hasWeights: true);
        for (int c = 0; c < raw.CollectionCount; c++)
            foreach (var e in raw.MembersOf(c)) builder.Add(raw.Collections.GetText(c), EntityText(raw.Entities.GetText(e)), 1 + (e + c) % 3);
        var set = builder.Build();
        var matrix = CooccurrenceBuilder.Build(raw);
        var graph = NeighborPreservationBuilder.FromCooccurrence(matrix, new NeighborPreservationOptions { NeighborCount = 5 });
        var embedding = MinimumDistortionEmbedding.Run(graph, new EmbeddingConfiguration(), new MdeOptions { MaxIterations = 15, Device = MdeDevice.Cpu });
        int n = embedding.EntityCount;
        var x = new float[n]; var y = new float[n];
        for (int i = 0; i < n; i++) { x[i] = embedding.Coordinates[i * embedding.Dimension]; y[i] = embedding.Coordinates[i * embedding.Dimension + 1]; }
        var projection = new ProjectionResult(embedding.Entities, embedding.Popularity, x, y, "Pca");
        return new Inputs { Set = set, Matrix = matrix, Graph = graph, Embedding = embedding, Projection = projection };
    });

    private static string EntityText(string id) => (id.Length % 2 == 0 ? "caf\u00e9-" : "map-") + id;

    // ---------- the runner ----------

    private enum Outcome { Correct, EmbedPSError }

    private sealed class Tally(string kind)
    {
        public string Kind { get; } = kind;
        public int Cases, Correct, Errors;
        public readonly SortedDictionary<string, int> ByMutation = new(StringComparer.Ordinal);
        public readonly SortedDictionary<string, int> ErrorIds = new(StringComparer.Ordinal);
        public readonly List<string> Failures = new();
        public override string ToString() =>
            $"{Kind}: {Cases} cases, {Correct} correct results, {Errors} EmbedPS errors; mutations {string.Join(", ", ByMutation.Select(kv => $"{kv.Key} {kv.Value}"))}; " +
            $"errors {string.Join(", ", ErrorIds.Select(kv => $"{kv.Key} {kv.Value}"))}";
    }

    /// <summary>
    /// Runs one case. <paramref name="expected"/> is the fingerprint a success must have, or null when any success is acceptable
    /// (a mutation whose right answer has no oracle; an error must still be an EmbedPSException naming the file).
    /// </summary>
    private static void RunCase(Tally tally, string mutation, string dir, string file, Func<object> read, Func<object, string> fingerprint,
        string? expected, bool mustFail = false, Action<object, string>? writeBack = null)
    {
        tally.Cases++;
        tally.ByMutation[mutation] = tally.ByMutation.GetValueOrDefault(mutation) + 1;
        var before = Directory.GetFiles(dir).OrderBy(f => f, StringComparer.Ordinal).ToArray();
        var task = Task.Run(read);
        string Case() => $"{tally.Kind} case {tally.Cases} ({mutation})";
        if (!((IAsyncResult)task).AsyncWaitHandle.WaitOne(CaseLimit) && !task.IsCompleted)
        {
            tally.Failures.Add($"{Case()}: no result within {CaseLimit.TotalSeconds} s (hang)");
            return;
        }
        if (task.Exception?.InnerException is { } error)
        {
            if (error is not EmbedPSException ex)
                tally.Failures.Add($"{Case()}: {error.GetType().Name}: {error.Message}");
            else if (ex.File is null || !(ex.File == file || ex.Message.Contains(file, StringComparison.Ordinal)) || !ex.Message.Contains(file, StringComparison.Ordinal))
                tally.Failures.Add($"{Case()}: EmbedPS error {ex.ErrorId} does not name the file: {ex.Message}");
            else
            {
                tally.Errors++;
                tally.ErrorIds[ex.ErrorId] = tally.ErrorIds.GetValueOrDefault(ex.ErrorId) + 1;
            }
        }
        else
        {
            var result = task.Result;
            if (mustFail) tally.Failures.Add($"{Case()}: succeeded, but this input must be refused");
            else if (expected is not null && fingerprint(result) != expected)
            {
                tally.Failures.Add($"{Case()}: succeeded with a wrong result");
                if (Environment.GetEnvironmentVariable("EMBEDPS_FUZZ_KEEP") is { Length: > 0 } keep)
                    File.Copy(file, Path.Combine(keep, $"{tally.Kind.Replace(' ', '-')}-{tally.Cases}{Path.GetExtension(file)}"), overwrite: true);
            }
            else
            {
                if (writeBack is not null)
                {
                    var again = Path.Combine(dir, "roundtrip.parquet");
                    writeBack(result, again);
                    var reread = ArtifactStore.Read(again);
                    if (fingerprint(reread) != fingerprint(result)) tally.Failures.Add($"{Case()}: the written-back artifact reads differently");
                    File.Delete(again);
                }
                tally.Correct++;
            }
        }
        var after = Directory.GetFiles(dir).OrderBy(f => f, StringComparer.Ordinal).ToArray();
        if (!before.SequenceEqual(after)) tally.Failures.Add($"{Case()}: files left behind: {string.Join(", ", after.Except(before).Select(Path.GetFileName))}");
    }

    private void Report(Tally tally)
    {
        output.WriteLine(tally.ToString());
        Console.WriteLine("FUZZ " + tally);
        Assert.True(tally.Failures.Count == 0, $"{tally.Failures.Count} of {tally.Cases} {tally.Kind} cases failed:\n" + string.Join("\n", tally.Failures.Take(20)));
        Assert.True(tally.Cases >= CasesPerKind);
        Assert.True(tally.Correct > 0 && tally.Errors > 0, "the cases should reach both outcomes");
    }

    // ---------- byte-level mutations ----------

    private static byte[] FlipBytes(byte[] data, Random rng, int maxFlips, int from = 0)
    {
        var copy = (byte[])data.Clone();
        int flips = rng.Next(1, maxFlips + 1);
        for (int f = 0; f < flips; f++) copy[rng.Next(from, copy.Length)] ^= (byte)rng.Next(1, 256);
        return copy;
    }

    private static byte[] Truncate(byte[] data, Random rng) => data[..rng.Next(0, data.Length)];

    // ---------- CSV collections ----------

    private static string CsvOf(EntityCollectionSet set, string[] columns)
    {
        var text = new StringBuilder(string.Join(",", columns)).Append('\n');
        for (int c = 0; c < set.CollectionCount; c++)
        {
            int start = set.CollectionOffsets[c];
            var members = set.MembersOf(c).ToArray();
            for (int k = 0; k < members.Length; k++)
            {
                int member = members[k], at = start + k, cc = c;
                var values = columns.Select(col => col switch
                {
                    "collection" => set.Collections.GetText(cc),
                    "entity" => set.Entities.GetText(member),
                    "weight" => set.Weights![at].ToString(CultureInfo.InvariantCulture),
                    _ => "n" + at,
                });
                text.Append(string.Join(",", values)).Append('\n');
            }
        }
        return text.ToString();
    }

    private static readonly CollectionImportOptions CsvOptions = new() { CollectionColumn = "collection", EntityColumn = "entity", WeightColumn = "weight" };

    private static string SetFingerprint(object o) => string.Join("\n", CsvImportTests.Pairs((EntityCollectionSet)o));

    /// <summary>
    /// The reference: a plain reading of the file's rules (strict UTF-8 or the BOM's encoding, header on the first non-blank line,
    /// names exact or else one case-insensitive match, equal column counts, non-empty ids, finite weights ≥ 0, duplicate pairs
    /// summed). Null when the file must be refused; "skip" when the text holds quotes or carriage returns (no oracle).
    /// </summary>
    private static string? ReferenceCsv(byte[] bytes)
    {
        string text;
        try
        {
            if (bytes.AsSpan().StartsWith(new byte[] { 0xFF, 0xFE, 0, 0 })) text = new UTF32Encoding(false, false, true).GetString(bytes, 4, bytes.Length - 4);
            else if (bytes.AsSpan().StartsWith(new byte[] { 0xEF, 0xBB, 0xBF })) text = new UTF8Encoding(false, true).GetString(bytes, 3, bytes.Length - 3);
            else if (bytes.AsSpan().StartsWith(new byte[] { 0xFF, 0xFE })) text = new UnicodeEncoding(false, false, true).GetString(bytes, 2, bytes.Length - 2);
            else if (bytes.AsSpan().StartsWith(new byte[] { 0xFE, 0xFF })) text = new UnicodeEncoding(true, false, true).GetString(bytes, 2, bytes.Length - 2);
            else text = new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException) { return null; }
        if (text.Contains('"') || text.Contains('\r')) return "skip";
        var lines = text.Split('\n').Where(l => !string.IsNullOrWhiteSpace(l)).ToList();
        if (lines.Count < 2) return null;
        var header = lines[0].Split(',');
        if (header.Any(h => h.Contains('\0'))) return null;
        int Find(string name)
        {
            int exact = Array.IndexOf(header, name);
            if (exact >= 0) return Array.LastIndexOf(header, name) == exact ? exact : -1;
            var loose = header.Select((h, i) => (h, i)).Where(x => string.Equals(x.h, name, StringComparison.OrdinalIgnoreCase)).ToArray();
            return loose.Length == 1 ? loose[0].i : -1;
        }
        int ci = Find("collection"), ei = Find("entity"), wi = Find("weight");
        if (ci < 0 || ei < 0 || wi < 0) return null;
        var sums = new Dictionary<string, float>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var line in lines.Skip(1))
        {
            var f = line.Split(',');
            if (f.Length != header.Length || f[ci].Length == 0 || f[ei].Length == 0) return null;
            if (!float.TryParse(f[wi], NumberStyles.Float, CultureInfo.InvariantCulture, out var w) || !float.IsFinite(w) || w < 0) return null;
            var key = f[ci] + "|" + f[ei];
            if (sums.TryGetValue(key, out var s)) sums[key] = s + w; else { sums[key] = w; order.Add(key); }
        }
        var pairs = sums.Select(kv => kv.Key + "|" + kv.Value.ToString(CultureInfo.InvariantCulture)).ToList();
        pairs.Sort(StringComparer.Ordinal);
        return string.Join("\n", pairs);
    }

    [Fact]
    public void Csv_collections()
    {
        var inputs = Base.Value;
        var tally = new Tally("CSV collections");
        var rng = new Random(1401);
        using var dir = new TempDirectory();
        var file = dir.File("plays.csv");
        string[] columns = ["collection", "entity", "weight"];
        var original = Encoding.UTF8.GetBytes(CsvOf(inputs.Set, columns));
        var baseline = SetFingerprint(inputs.Set);
        Assert.Equal(baseline, ReferenceCsv(original));
        for (int i = 0; i < CasesPerKind; i++)
        {
            byte[] bytes; string mutation; string? expected = null; bool oracle = true;
            switch (i % 8)
            {
                case 0: case 1: mutation = "byte flips"; bytes = FlipBytes(original, rng, 4); break;
                case 2: mutation = "truncation"; bytes = Truncate(original, rng); break;
                case 3:
                {
                    mutation = "header edit";
                    var text = Encoding.UTF8.GetString(original);
                    int nl = text.IndexOf('\n');
                    var header = text[..nl].Split(',');
                    int which = rng.Next(header.Length);
                    header[which] = rng.Next(4) switch { 0 => header[which].ToUpperInvariant(), 1 => header[which] + "x", 2 => "", _ => header[(which + 1) % header.Length] };
                    bytes = Encoding.UTF8.GetBytes(string.Join(",", header) + text[nl..]);
                    break;
                }
                case 4:
                {
                    var text = Encoding.UTF8.GetString(original);
                    (mutation, bytes) = rng.Next(6) switch
                    {
                        0 => ("encoding UTF-16LE+BOM", new UnicodeEncoding(false, true).GetPreamble().Concat(Encoding.Unicode.GetBytes(text)).ToArray()),
                        1 => ("encoding UTF-16BE+BOM", new UnicodeEncoding(true, true).GetPreamble().Concat(Encoding.BigEndianUnicode.GetBytes(text)).ToArray()),
                        2 => ("encoding UTF-32+BOM", new UTF32Encoding(false, true).GetPreamble().Concat(Encoding.UTF32.GetBytes(text)).ToArray()),
                        3 => ("encoding UTF-8+BOM", new byte[] { 0xEF, 0xBB, 0xBF }.Concat(original).ToArray()),
                        4 => ("encoding UTF-16LE no BOM", Encoding.Unicode.GetBytes(text)),
                        _ => ("encoding Latin-1", Encoding.Latin1.GetBytes(text)),
                    };
                    break;
                }
                case 5:
                {
                    var cols = rng.Next(3) switch
                    {
                        0 => columns.OrderBy(_ => rng.Next()).ToArray(),
                        1 => columns.Append("note").OrderBy(_ => rng.Next()).ToArray(),
                        _ => columns.Append(columns[rng.Next(columns.Length)]).ToArray(),
                    };
                    mutation = cols.Length > columns.Length && cols.Distinct().Count() < cols.Length ? "duplicated column" : "reordered columns";
                    bytes = Encoding.UTF8.GetBytes(CsvOf(inputs.Set, cols));
                    break;
                }
                case 6:
                {
                    mutation = "line edits";
                    var lines = Encoding.UTF8.GetString(original).Split('\n').ToList();
                    int a = rng.Next(1, lines.Count - 1), b = rng.Next(1, lines.Count - 1);
                    switch (rng.Next(3)) { case 0: lines.RemoveAt(a); break; case 1: lines.Insert(b, lines[a]); break; default: (lines[a], lines[b]) = (lines[b], lines[a]); break; }
                    bytes = Encoding.UTF8.GetBytes(string.Join("\n", lines));
                    break;
                }
                default:
                {
                    mutation = "quoted fields";
                    var text = Encoding.UTF8.GetString(original);
                    int at = rng.Next(text.Length);
                    bytes = Encoding.UTF8.GetBytes(text[..at] + "\"" + text[at..]);
                    oracle = false;
                    break;
                }
            }
            var reference = ReferenceCsv(bytes);
            if (reference == "skip" || !oracle) expected = null; else expected = reference;
            File.WriteAllBytes(file, bytes);
            RunCase(tally, mutation, dir.Path, file, () => CsvImportTests.Import(file, CsvOptions), SetFingerprint, expected,
                mustFail: reference is null && oracle, writeBack: (o, p) => ArtifactStore.Write(o, p));
        }
        Report(tally);
    }

    // ---------- Parquet collections and edge lists ----------

    private static (string, Array)[] CollectionColumns(EntityCollectionSet set)
    {
        var collection = new long[set.PairCount]; var entity = new string[set.PairCount];
        for (int c = 0; c < set.CollectionCount; c++)
        {
            int start = set.CollectionOffsets[c];
            var members = set.MembersOf(c);
            for (int k = 0; k < members.Length; k++) { collection[start + k] = set.Collections.Integers![c]; entity[start + k] = set.Entities.GetText(members[k]); }
        }
        return [("collection", collection), ("entity", entity), ("weight", Array.ConvertAll(set.Weights!, w => (double)w))];
    }

    /// <summary>Structural rewrites of a plain Parquet table whose result must not change, or must be refused.</summary>
    private static (string Mutation, (string, Array)[] Columns, bool Same) Restructure((string Name, Array Values)[] columns, Random rng, bool artifact = false)
    {
        // An artifact's columns are a contract (exact names, nothing else): an added or re-cased column must be refused.
        switch (rng.Next(5))
        {
            case 0:
            {
                var order = columns.Select(c => c.Name).ToArray();
                (string, Array)[] shuffled;
                do shuffled = columns.OrderBy(_ => rng.Next()).ToArray(); while (shuffled.Select(c => c.Item1).SequenceEqual(order)); // a real change
                return ("reordered columns", shuffled, true);
            }
            case 1:
            {
                var extra = columns[rng.Next(columns.Length)];
                return ("duplicated column", columns.Append(("copy_of_" + extra.Name, extra.Values)).OrderBy(_ => rng.Next()).ToArray(), !artifact);
            }
            case 2:
            {
                int which = rng.Next(columns.Length);
                var copy = columns.ToArray();
                copy[which] = (copy[which].Name.ToUpperInvariant(), copy[which].Values); // matched case-insensitively
                return ("header case", copy, !artifact);
            }
            case 3:
            {
                int which = rng.Next(columns.Length);
                var copy = columns.ToArray();
                copy[which] = (copy[which].Name + "_renamed", copy[which].Values);
                return ("header rename", copy, false);
            }
            default:
            {
                // Ids retyped: int64 as text keeps the result (the text is the canonical integer).
                var copy = columns.Select(c => c.Values is long[] l ? (c.Name, (Array)Array.ConvertAll(l, v => v.ToString(CultureInfo.InvariantCulture))) : c).ToArray();
                return ("retyped ids", copy, true);
            }
        }
    }

    [Fact]
    public void Parquet_collections()
    {
        var inputs = Base.Value;
        var tally = new Tally("Parquet collections");
        var rng = new Random(1402);
        using var dir = new TempDirectory();
        var file = dir.File("plays.parquet");
        var columns = CollectionColumns(inputs.Set);
        ArtifactValidationTests.WriteRaw(file, new Dictionary<string, string>(), columns);
        var original = File.ReadAllBytes(file);
        var baseline = SetFingerprint(inputs.Set);
        Assert.Equal(baseline, SetFingerprint(CsvImportTests.Import(file, CsvOptions)));
        for (int i = 0; i < CasesPerKind; i++)
        {
            string mutation; string? expected = null; bool mustFail = false;
            switch (i % 4)
            {
                case 0: case 1: mutation = "byte flips"; File.WriteAllBytes(file, FlipBytes(original, rng, 8)); break;
                case 2: mutation = "truncation"; File.WriteAllBytes(file, Truncate(original, rng)); break;
                default:
                {
                    var (m, cols, same) = Restructure(columns, rng);
                    mutation = m;
                    ArtifactValidationTests.WriteRaw(file, new Dictionary<string, string> { ["writer"] = "fuzz" }, cols);
                    if (same) expected = baseline; else mustFail = true;
                    break;
                }
            }
            // A plain Parquet file has no checksum: a flipped value byte is a different, valid file, so only the outcome's type is checked.
            RunCase(tally, mutation, dir.Path, file, () => CsvImportTests.Import(file, CsvOptions), SetFingerprint, expected, mustFail,
                writeBack: (o, p) => ArtifactStore.Write(o, p));
        }
        Report(tally);
    }

    /// <summary>The matrix by entity id (independent of index order: text ids sort differently from int64 ids).</summary>
    private static string MatrixFingerprint(object o)
    {
        var m = (CooccurrenceMatrix)o;
        var lines = new List<string>();
        for (int i = 0; i < m.EntityCount; i++)
        {
            var partners = m.PartnersOf(i).ToArray(); var weights = m.WeightsOf(i).ToArray();
            var entries = Enumerable.Range(0, partners.Length).Select(k => m.Entities.GetText(partners[k]) + "=" + weights[k].ToString("R", CultureInfo.InvariantCulture)).Order(StringComparer.Ordinal);
            lines.Add(m.Entities.GetText(i) + ":" + m.Popularity[i] + " " + string.Join(",", entries));
        }
        lines.Sort(StringComparer.Ordinal);
        return string.Join("\n", lines);
    }

    [Fact]
    public void Edge_lists()
    {
        var inputs = Base.Value;
        var tally = new Tally("edge lists (CSV and Parquet)");
        var rng = new Random(1403);
        using var dir = new TempDirectory();
        var m = inputs.Matrix;
        var a = new List<long>(); var b = new List<long>(); var w = new List<double>();
        for (int i = 0; i < m.EntityCount; i++) { a.Add(m.Entities.Integers![i]); b.Add(m.Entities.Integers![i]); w.Add(m.Popularity[i]); }
        for (int i = 0; i < m.EntityCount; i++)
        {
            var partners = m.PartnersOf(i); var weights = m.WeightsOf(i);
            for (int k = 0; k < partners.Length; k++) if (partners[k] > i) { a.Add(m.Entities.Integers![i]); b.Add(m.Entities.Integers![partners[k]]); w.Add(weights[k]); }
        }
        (string, Array)[] columns = [("entity_a", a.ToArray()), ("entity_b", b.ToArray()), ("weight", w.ToArray())];
        var csvText = "entity_a,entity_b,weight\n" + string.Join("\n", Enumerable.Range(0, a.Count).Select(r => $"{a[r]},{b[r]},{w[r].ToString(CultureInfo.InvariantCulture)}")) + "\n";
        var csvBytes = Encoding.UTF8.GetBytes(csvText);
        var parquetFile = dir.File("edges.parquet");
        var csvFile = dir.File("edges.csv");
        ArtifactValidationTests.WriteRaw(parquetFile, new Dictionary<string, string>(), columns);
        var parquetBytes = File.ReadAllBytes(parquetFile);
        File.Delete(parquetFile);
        var baseline = MatrixFingerprint(m);
        for (int i = 0; i < CasesPerKind; i++)
        {
            bool csv = i % 2 == 0;
            var file = csv ? csvFile : parquetFile;
            string mutation; string? expected = null; bool mustFail = false;
            switch ((i / 2) % 4)
            {
                case 0: case 1: mutation = "byte flips"; File.WriteAllBytes(file, FlipBytes(csv ? csvBytes : parquetBytes, rng, 6)); break;
                case 2: mutation = "truncation"; File.WriteAllBytes(file, Truncate(csv ? csvBytes : parquetBytes, rng)); break;
                default:
                    if (csv)
                    {
                        (mutation, var bytes, expected) = rng.Next(4) switch
                        {
                            0 => ("encoding UTF-16LE+BOM", new UnicodeEncoding(false, true).GetPreamble().Concat(Encoding.Unicode.GetBytes(csvText)).ToArray(), baseline),
                            1 => ("encoding UTF-16LE no BOM", Encoding.Unicode.GetBytes(csvText), (string?)null),
                            2 => ("reordered columns", Encoding.UTF8.GetBytes("weight,entity_b,entity_a\n" + string.Join("\n", Enumerable.Range(0, a.Count).Select(r => $"{w[r].ToString(CultureInfo.InvariantCulture)},{b[r]},{a[r]}")) + "\n"), baseline),
                            _ => ("shuffled rows", Encoding.UTF8.GetBytes("entity_a,entity_b,weight\n" + string.Join("\n", Enumerable.Range(0, a.Count).OrderBy(_ => rng.Next()).Select(r => $"{a[r]},{b[r]},{w[r].ToString(CultureInfo.InvariantCulture)}")) + "\n"), baseline),
                        };
                        mustFail = mutation == "encoding UTF-16LE no BOM";
                        File.WriteAllBytes(file, bytes);
                    }
                    else
                    {
                        var (mm, cols, same) = Restructure(columns, rng);
                        mutation = mm;
                        ArtifactValidationTests.WriteRaw(file, new Dictionary<string, string>(), cols);
                        if (same) expected = baseline; else mustFail = true;
                    }
                    break;
            }
            RunCase(tally, (csv ? "CSV " : "Parquet ") + mutation, dir.Path, file, () => EdgeListImporter.Read(file), MatrixFingerprint, expected, mustFail,
                writeBack: (o, p) => ArtifactStore.Write(o, p));
            File.Delete(file);
        }
        Report(tally);
    }

    // ---------- artifacts ----------

    private static string Fingerprint(object o) => o switch
    {
        EntityCollectionSet s => SetFingerprint(s),
        CooccurrenceMatrix m => MatrixFingerprint(m),
        NeighborGraph g => string.Join(";", Enumerable.Range(0, g.EntityCount).Select(i => g.Entities.GetText(i) + ":" + g.Popularity[i])) + "|" +
                           string.Join(";", Enumerable.Range(0, g.EdgeCount).Select(e => $"{g.EdgeSource[e]}-{g.EdgeTarget[e]}:{g.Weights[e]:R}:{g.Distances[e]:R}")),
        Embedding e => string.Join(";", Enumerable.Range(0, e.EntityCount).Select(i => e.Entities.GetText(i) + ":" + e.Popularity[i] + ":" +
                           string.Join(",", e.Coordinates.Skip(i * e.Dimension).Take(e.Dimension).Select(v => v.ToString("R", CultureInfo.InvariantCulture))))),
        ProjectionResult p => string.Join(";", Enumerable.Range(0, p.Entities.Count).Select(i => $"{p.Entities.GetText(i)}:{p.Popularity[i]}:{p.X[i]:R}:{p.Y[i]:R}")),
        _ => throw new ArgumentException(o.GetType().Name),
    };

    private static readonly (string Key, string[] Values)[] FooterEdits =
    [
        ("embedps.schema", ["99", "abc", "0", "", "1.5"]),
        ("embedps.kind", ["nonsense", "embedding", "projection", "cooccurrence"]),
        ("embedps.parameters", ["{", "[1,2]", "null", "{\"Seed\":5}"]),
        ("embedps.inputs", ["{", "[{\"size\":\"big\"}]", "[]"]),
        ("embedps.created", ["yesterday", "2026-11-28T00:00:00.000Z"]),
        ("embedps.version", ["x.y", "0.0.1"]),
        ("embedps.configuration", ["{", "{}", "{\"dimension\":3,\"attractivePenalty\":\"Nope\",\"repulsivePenalty\":\"Log\",\"constraint\":\"Centered\",\"init\":\"Random\"}"]),
        ("embedps.history", ["[1,", "[\"a\"]", "[]"]),
        ("embedps.quality", ["{", "{\"recall\":\"high\"}", "{}"]),
        ("embedps.distortion", ["NaN", "abc", "0.5"]),
        ("embedps.iterations", ["-1", "ten", "12"]),
    ];

    [Theory]
    [InlineData(ArtifactKind.Collections)]
    [InlineData(ArtifactKind.Cooccurrence)]
    [InlineData(ArtifactKind.NeighborGraph)]
    [InlineData(ArtifactKind.Embedding)]
    [InlineData(ArtifactKind.Projection)]
    public void Artifacts(ArtifactKind kind)
    {
        var inputs = Base.Value;
        object stage = kind switch
        {
            ArtifactKind.Collections => inputs.Set,
            ArtifactKind.Cooccurrence => inputs.Matrix,
            ArtifactKind.NeighborGraph => inputs.Graph,
            ArtifactKind.Embedding => inputs.Embedding,
            _ => inputs.Projection,
        };
        var tally = new Tally(ArtifactKinds.Name(kind) + " artifacts");
        var rng = new Random(1410 + (int)kind);
        using var dir = new TempDirectory();
        var file = dir.File("artifact.parquet");
        ArtifactStore.Write(stage, file);
        var original = File.ReadAllBytes(file);
        var table = ParquetArtifact.Read(file);
        var columns = table.ColumnOrder.Select(c => (c, table.Columns[c])).ToArray();
        var baseline = Fingerprint(ArtifactStore.Read(file));
        Assert.Equal(Fingerprint(stage), baseline);
        for (int i = 0; i < CasesPerKind; i++)
        {
            string mutation; string? expected = baseline; bool mustFail = false;
            switch (i % 5)
            {
                case 0: case 1: mutation = "byte flips"; File.WriteAllBytes(file, FlipBytes(original, rng, 8)); break;
                case 2: mutation = "truncation"; File.WriteAllBytes(file, Truncate(original, rng)); break;
                case 3:
                {
                    // Footer edit: keeping the now stale content hash (must be refused), dropping it as another tool might
                    // (must be refused: the content cannot be verified), or re-sealed as a deliberate edit (then the footer checks decide).
                    var (key, values) = FooterEdits[rng.Next(FooterEdits.Length)];
                    var value = values[rng.Next(values.Length)];
                    int hash = rng.Next(3); // 0 stale, 1 dropped, 2 re-sealed
                    bool remove = rng.Next(6) == 0;
                    var footer = new Dictionary<string, string>(table.Metadata);
                    bool changed = remove ? footer.Remove(key) : !(footer.TryGetValue(key, out var old) && old == value);
                    if (!remove) footer[key] = value;
                    if (hash == 1) footer.Remove(ParquetArtifact.ContentHashKey);
                    mutation = "footer edit, hash " + (hash switch { 0 => "stale", 1 => "dropped", _ => "re-sealed" });
                    ArtifactValidationTests.WriteRaw(file, footer, seal: hash == 2, columns);
                    if (hash == 1 || (hash == 0 && changed)) mustFail = true;
                    else if (changed && key == "embedps.configuration") expected = null; // a valid new configuration is a different graph
                    break;
                }
                default:
                {
                    var (m, cols, same) = Restructure(columns, rng, artifact: true);
                    bool reseal = rng.Next(4) != 0;
                    mutation = m + (reseal ? "" : ", hash stale");
                    ArtifactValidationTests.WriteRaw(file, table.Metadata, seal: reseal, cols);
                    // A stale hash no longer matches the schema; a re-sealed file is judged by its columns.
                    if (!same || !reseal) { mustFail = true; expected = null; }
                    break;
                }
            }
            RunCase(tally, mutation, dir.Path, file, () => ArtifactStore.Read(file), Fingerprint, expected, mustFail,
                writeBack: (o, p) => ArtifactStore.Write(o, p));
        }
        Report(tally);
    }
}
