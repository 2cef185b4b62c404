namespace EmbedPS.Core.Atlas;

/// <summary>
/// The viewer (index.html, viewer.js, style.css), built from src/EmbedPS.Viewer by esbuild at build time and embedded in
/// this assembly, so the module needs no Node.js and no files beside the DLL.
/// </summary>
public static class AtlasViewerAssets
{
    private const string Prefix = "EmbedPS.Core.Atlas.Viewer.";

    public static byte[] Read(string name)
    {
        using var stream = typeof(AtlasViewerAssets).Assembly.GetManifestResourceStream(Prefix + name)
            ?? throw new InvalidOperationException($"The atlas viewer asset '{name}' is not embedded in EmbedPS.Core; rebuild the module (the build runs npm in src/EmbedPS.Viewer).");
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }

    public static string ReadText(string name) => System.Text.Encoding.UTF8.GetString(Read(name));
}
