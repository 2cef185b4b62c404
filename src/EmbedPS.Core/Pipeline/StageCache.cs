using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Common;

namespace EmbedPS.Core.Pipeline;

/// <summary>
/// The pipeline's cache: keys (hashes of inputs and resolved options), the checks that a cached entry is what its record
/// (sidecar) says it is, and writing that record.
/// </summary>
internal static class StageCache
{
    public static string Hash(params string[] parts) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", parts))))[..20];

    public static string Json(SortedDictionary<string, object?> values) => JsonSerializer.Serialize(values);

    public static PipelineSection Without(PipelineSection section, string key)
    {
        var copy = new PipelineSection();
        foreach (var (k, v) in section) if (k != key) copy[k] = v;
        return copy;
    }

    public static string? CheckFile(string path, StageSidecar sidecar)
    {
        var length = new FileInfo(path).Length;
        if (length != sidecar.Bytes) return $"cached artifact is {length:N0} bytes, {sidecar.Bytes:N0} were written (truncated or changed)";
        return FileHash.Sha256(path) == sidecar.Sha256 ? null : "cached artifact fails its SHA-256 check (corrupt)";
    }

    public static string? CheckFolder(string path, StageSidecar sidecar)
    {
        var files = Manifest(path);
        if (sidecar.Files is null || files.Count != sidecar.Files.Count || files.Any(f => !sidecar.Files.TryGetValue(f.Key, out var h) || h != f.Value))
            return "cached folder does not match the SHA-256 manifest recorded when it was written (corrupt)";
        return null;
    }

    public static SortedDictionary<string, string> Manifest(string folder)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
            files[Path.GetRelativePath(folder, file).Replace('\\', '/')] = FileHash.Sha256(file);
        return files;
    }

    public static void DeleteEntry(string path, string sidecar)
    {
        if (File.Exists(sidecar)) File.Delete(sidecar);
        if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        else if (File.Exists(path)) File.Delete(path);
    }

    /// <summary>Writes the record of a just-made entry: its SHA-256 (a file) or every file's (a folder), size and counts.</summary>
    public static StageSidecar WriteSidecar(PipelineStage stage, string pipeline, CancellationToken cancellation)
    {
        var record = stage.Record;
        var sidecar = new StageSidecar { Stage = stage.Name, Key = record.Key, Pipeline = pipeline, Counts = record.Counts, Created = DateTimeOffset.UtcNow };
        if (stage.IsFolder)
        {
            sidecar.Files = Manifest(stage.CachePath);
            sidecar.Bytes = new DirectoryInfo(stage.CachePath).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
        }
        else
        {
            sidecar.Sha256 = FileHash.Sha256(stage.CachePath);
            sidecar.Bytes = new FileInfo(stage.CachePath).Length;
        }
        AtomicFile.Write(stage.SidecarPath, s => JsonSerializer.Serialize(s, sidecar, PipelineRun.JsonOptions), cancellation);
        return sidecar;
    }
}

/// <summary>The SHA-256 of the input files, remembered by size and modification time so an unchanged file is not read again.</summary>
internal sealed class InputFingerprints(string cacheDirectory, IStageLog log)
{
    private sealed record InputPrint(long Length, long Ticks, string Sha256);

    private Dictionary<string, InputPrint>? _loaded;
    private Dictionary<string, InputPrint> Prints => _loaded ??= ReadPrints();

    /// <summary>
    /// SHA-256 of every input file (a folder: every file in it, except names starting with '_' or '.', as Spark and Hadoop do),
    /// with their names. A file whose size and modification time are unchanged since the last run is not read again.
    /// </summary>
    public string Fingerprint(IEnumerable<string> paths, out List<string> changed)
    {
        var text = new StringBuilder();
        changed = new List<string>();
        foreach (var path in paths)
        {
            var files = File.Exists(path) ? new[] { path }
                : Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                    .Where(f => !Path.GetRelativePath(path, f).Split(Path.DirectorySeparatorChar).Any(part => part.StartsWith('_') || part.StartsWith('.')))
                    .OrderBy(f => f, StringComparer.Ordinal).ToArray();
            foreach (var file in files)
            {
                var info = new FileInfo(file);
                bool known = Prints.TryGetValue(file, out var p);
                var sha = known && p!.Length == info.Length && p.Ticks == info.LastWriteTimeUtc.Ticks ? p.Sha256 : FileHash.Sha256(file);
                if (!known || p!.Sha256 != sha) changed.Add(file);
                Prints[file] = new InputPrint(info.Length, info.LastWriteTimeUtc.Ticks, sha);
                text.Append(Path.GetFileName(path)).Append('/').Append(Path.GetRelativePath(path, file)).Append('=').Append(sha).Append('\n');
            }
        }
        return StageCache.Hash(text.ToString());
    }

    private string PrintsPath => Path.Combine(cacheDirectory, "inputs.json");

    private Dictionary<string, InputPrint> ReadPrints()
    {
        try
        {
            if (File.Exists(PrintsPath))
                return JsonSerializer.Deserialize<Dictionary<string, InputPrint>>(File.ReadAllText(PrintsPath)) ?? new();
        }
        catch (Exception ex) when (ex is IOException or JsonException) { }
        return new();
    }

    public void Save()
    {
        try { AtomicFile.Write(PrintsPath, s => JsonSerializer.Serialize(s, Prints)); }
        catch (IOException ex) { log.Warning($"Could not save the input fingerprints: {ex.Message}"); }
    }
}
