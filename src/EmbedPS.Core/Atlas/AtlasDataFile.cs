using System.Buffers.Text;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace EmbedPS.Core.Atlas;

/// <summary>
/// Writes the atlas's data scripts. Browsers refuse fetch() of file:// URLs but do run script elements, so each file is
/// one call <c>EmbedAtlasData.put("name", payload)</c>: binary columns as a base64 string (decoded into a typed array,
/// little-endian as every browser platform is), text as a JSON array. Base64 is encoded in fixed-size chunks straight
/// into the file, with no string the size of the column.
/// </summary>
internal static class AtlasDataFile
{
    private static readonly JsonWriterOptions JsonOptions = new()
    {
        // The payload is an external script, never inline HTML: only JSON's own escapes are needed, so names stay UTF-8.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    public static void WriteBinary<T>(string folder, string name, ReadOnlySpan<T> values) where T : unmanaged
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("The atlas data format is little-endian.");
        var bytes = MemoryMarshal.AsBytes(values);
        using var stream = Create(folder, name);
        WritePrefix(stream, name);
        stream.WriteByte((byte)'"');
        const int chunk = 3 * 1 << 16;
        var buffer = new byte[Base64.GetMaxEncodedToUtf8Length(chunk)];
        for (int offset = 0; offset < bytes.Length; offset += chunk)
        {
            var part = bytes.Slice(offset, Math.Min(chunk, bytes.Length - offset));
            Base64.EncodeToUtf8(part, buffer, out _, out int written);
            stream.Write(buffer, 0, written);
        }
        stream.Write("\");\n"u8);
    }

    public static void WriteJson(string folder, string name, Action<Utf8JsonWriter> write)
    {
        using var stream = Create(folder, name);
        WritePrefix(stream, name);
        using (var writer = new Utf8JsonWriter(stream, JsonOptions))
        {
            write(writer);
        }
        stream.Write(");\n"u8);
    }

    public static void WriteStrings(string folder, string name, int count, Func<int, string?> valueAt)
    {
        WriteJson(folder, name, writer =>
        {
            writer.WriteStartArray();
            for (int i = 0; i < count; i++)
            {
                var value = valueAt(i);
                if (value is null) writer.WriteNullValue(); else writer.WriteStringValue(value);
                if ((i & 0xFFFF) == 0xFFFF) writer.Flush();
            }
            writer.WriteEndArray();
        });
    }

    private static FileStream Create(string folder, string name) =>
        new(Path.Combine(folder, "data", name + ".js"), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);

    private static void WritePrefix(Stream stream, string name) => stream.Write(Encoding.UTF8.GetBytes($"EmbedAtlasData.put(\"{name}\","));
}
