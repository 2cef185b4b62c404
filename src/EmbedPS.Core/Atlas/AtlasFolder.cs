using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.RegularExpressions;
using EmbedPS.Core.Common;

namespace EmbedPS.Core.Atlas;

/// <summary>
/// Which files of an atlas folder the exporter wrote, and how a re-export keeps everything else. The exporter's own files
/// are listed in the marker (<see cref="AtlasExporter.MarkerFile"/>, key <c>files</c>); an atlas written before that list
/// existed owns the fixed names of that format (index.html, viewer.js, style.css, preview.png, the marker and the data
/// scripts it named). Every other entry — a person's notes, a sub-folder, a hidden file — is foreign: a re-export carries it
/// into the new folder (a hard link where the file system allows, else a copy) before the folders are swapped, so the swap
/// stays one rename and nothing the exporter did not write is ever deleted. A foreign file in the way of a file the new
/// export writes is an error that names it; nothing is changed then.
/// </summary>
internal static class AtlasFolder
{
    private static readonly HashSet<string> LegacyTopLevel = new(StringComparer.Ordinal)
    {
        "index.html", "viewer.js", "style.css", "preview.png", AtlasExporter.MarkerFile,
    };

    // The data scripts any version of the exporter writes (a part of a split payload adds .N before .js).
    private static readonly Regex LegacyData = new(@"^data/(meta|ids|neighbors|galaxy|layout-\d+|field-\d+|change-\d+-\d+|neighbors-\d+|search-(text|starts|words|order))(\.\d+)?\.js$", RegexOptions.CultureInvariant);

    /// <summary>
    /// Whether a relative path ('/'-separated) is a file the export that wrote <paramref name="folder"/> owns: listed in its
    /// marker, or — for a marker without the list (older atlases) or a damaged one — one of the names the exporter writes.
    /// </summary>
    public static Func<string, bool> OwnedBy(string folder)
    {
        var marker = Path.Combine(folder, AtlasExporter.MarkerFile);
        if (!File.Exists(marker)) return _ => false;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(marker));
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("files", out var files) && files.ValueKind == JsonValueKind.Array)
            {
                var owned = new HashSet<string>(files.EnumerateArray().Where(f => f.ValueKind == JsonValueKind.String).Select(f => f.GetString()!), StringComparer.Ordinal) { AtlasExporter.MarkerFile };
                return owned.Contains;
            }
        }
        catch (JsonException)
        {
            // A damaged marker: fall back to the names every atlas format wrote.
        }
        return path => LegacyTopLevel.Contains(path) || LegacyData.IsMatch(path);
    }

    /// <summary>Every file the export wrote into <paramref name="folder"/> ('/'-separated, sorted), for the marker.</summary>
    public static string[] ListFiles(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => Relative(folder, f))
            .Order(StringComparer.Ordinal)
            .ToArray();

    /// <summary>
    /// Carries every entry of <paramref name="previous"/> that <paramref name="owned"/> does not claim into <paramref name="next"/>,
    /// the new atlas before it is swapped in. Returns the carried paths. Throws, naming the files, when a foreign entry sits
    /// where the new export wrote something.
    /// </summary>
    public static List<string> CarryForeign(string previous, string next, Func<string, bool> owned, CancellationToken cancellation)
    {
        var carried = new List<string>();
        if (!Directory.Exists(previous)) return carried;
        var plan = new List<(string Source, string Relative, EntryKind Kind)>();
        var conflicts = new List<string>();
        Collect(previous, previous, next, owned, plan, conflicts);
        if (conflicts.Count > 0)
            throw new EmbedPSException("AtlasForeignFileInTheWay", EmbedPSErrorKind.ResourceExists,
                $"The atlas folder '{previous}' holds {conflicts.Count} file(s) the exporter did not write where the new export writes its own: {string.Join(", ", conflicts.Take(20))}{(conflicts.Count > 20 ? ", …" : "")}. Nothing was changed; move or rename them and export again.")
            { File = previous };
        foreach (var (source, relative, kind) in plan)
        {
            cancellation.ThrowIfCancellationRequested();
            var target = Path.Combine(next, relative.Replace('/', Path.DirectorySeparatorChar));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            switch (kind)
            {
                case EntryKind.Directory:
                    Directory.CreateDirectory(target);
                    break;
                case EntryKind.Link:
                    var info = new FileInfo(source);
                    if (Directory.Exists(source)) Directory.CreateSymbolicLink(target, info.LinkTarget!);
                    else File.CreateSymbolicLink(target, info.LinkTarget!);
                    break;
                default:
                    LinkOrCopy(source, target);
                    break;
            }
            carried.Add(relative);
        }
        return carried;
    }

    private enum EntryKind { File, Directory, Link }

    private static void Collect(string root, string directory, string next, Func<string, bool> owned,
        List<(string, string, EntryKind)> plan, List<string> conflicts)
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(directory).Order(StringComparer.Ordinal))
        {
            var relative = Relative(root, entry);
            // A symbolic link (even one to nothing) is carried as a link, never followed.
            bool link = new FileInfo(entry).LinkTarget is not null;
            bool isDirectory = !link && Directory.Exists(entry);
            var inNext = Path.Combine(next, relative.Replace('/', Path.DirectorySeparatorChar));
            if (isDirectory)
            {
                if (File.Exists(inNext)) { conflicts.Add(relative + "/"); continue; }
                // A folder the new export also has (data/) is entered; a foreign folder is recreated with its content.
                if (!Directory.Exists(inNext)) plan.Add((entry, relative, EntryKind.Directory));
                Collect(root, entry, next, owned, plan, conflicts);
                continue;
            }
            if (owned(relative)) continue;
            if (File.Exists(inNext) || Directory.Exists(inNext)) { conflicts.Add(relative); continue; }
            plan.Add((entry, relative, link ? EntryKind.Link : EntryKind.File));
        }
    }

    private static string Relative(string root, string path) => Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/');

    /// <summary>A second name for the same file (same inode: content, times and permissions kept, no bytes copied); a copy where hard links are not possible.</summary>
    private static void LinkOrCopy(string source, string target)
    {
        try
        {
            bool linked = OperatingSystem.IsWindows() ? CreateHardLinkW(target, source, IntPtr.Zero) : link(source, target) == 0;
            if (linked) return;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // No hard links here: copy.
        }
        File.Copy(source, target);
        File.SetLastWriteTimeUtc(target, File.GetLastWriteTimeUtc(source));
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int link(string oldPath, string newPath);

    [DllImport("kernel32.dll", CharSet = CharSet.Unicode, SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static extern bool CreateHardLinkW(string fileName, string existingFileName, IntPtr securityAttributes);
}
