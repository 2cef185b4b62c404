using System.Buffers;
using System.Buffers.Text;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace EmbedPS.Core.Atlas;

/// <summary>
/// Writes the atlas's data scripts. Browsers refuse fetch() of file:// URLs but do run script elements, so each file is
/// one call <c>EmbedAtlasData.put("name", payload)</c>: binary columns as a base64 string (decoded into a typed array,
/// little-endian as every browser platform is), text as a JSON array or one string. Base64 is encoded in fixed-size
/// chunks straight into the file, with no string the size of the column.
/// <para>No file is larger than <see cref="MaxFileBytes"/>: a payload that would be is split into parts
/// <c>name.0.js</c>, <c>name.1.js</c>, … (binary parts at multiples of 3 bytes, so their base64 strings simply concatenate;
/// arrays and strings at element boundaries), and <see cref="Parts"/> records how many, for meta.js. The viewer joins them.</para>
/// </summary>
internal sealed class AtlasDataFile
{
    private static readonly JsonWriterOptions JsonOptions = new()
    {
        // The payload is an external script, never inline HTML: only JSON's own escapes are needed, so names stay UTF-8.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    private readonly string _folder;

    public AtlasDataFile(string folder, long maxFileBytes)
    {
        if (maxFileBytes < 1024) throw new ArgumentOutOfRangeException(nameof(maxFileBytes), "A data file must be allowed at least 1 KB.");
        _folder = folder;
        MaxFileBytes = maxFileBytes;
    }

    public long MaxFileBytes { get; }

    /// <summary>Payloads written in more than one part: name → number of parts.</summary>
    public SortedDictionary<string, int> Parts { get; } = new(StringComparer.Ordinal);

    private static string PartName(string name, int part, int parts) => parts == 1 ? name : $"{name}.{part}";

    private static int Overhead(string name) => Encoding.UTF8.GetByteCount($"EmbedAtlasData.put(\"{name}.9999\",") + 4;

    public void WriteBinary<T>(string name, ReadOnlySpan<T> values) where T : unmanaged
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("The atlas data format is little-endian.");
        var bytes = MemoryMarshal.AsBytes(values);
        // Raw bytes a part may hold: its base64 (4 characters per 3 bytes, quoted) must fit beside the call around it.
        long perPart = Math.Max(3, (MaxFileBytes - Overhead(name) - 2) / 4 * 3);
        int parts = (int)Math.Max(1, (bytes.Length + perPart - 1) / perPart);
        if (parts > 1) Parts[name] = parts;
        for (int part = 0; part < parts; part++)
        {
            long start = part * perPart;
            WriteBase64Part(PartName(name, part, parts), bytes.Slice((int)start, (int)Math.Min(perPart, bytes.Length - start)));
        }
    }

    private void WriteBase64Part(string name, ReadOnlySpan<byte> bytes)
    {
        using var stream = Create(name);
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

    /// <summary>One JSON value in one file (meta.js: small, and the file that lists the parts of the others).</summary>
    public void WriteJson(string name, Action<Utf8JsonWriter> write)
    {
        using var stream = Create(name);
        WritePrefix(stream, name);
        using (var writer = new Utf8JsonWriter(stream, JsonOptions))
        {
            write(writer);
        }
        stream.Write(");\n"u8);
    }

    /// <summary>A JSON array of strings (null for missing), split between elements into parts under the size limit.</summary>
    public void WriteStrings(string name, int count, Func<int, string?> valueAt)
    {
        var item = new ArrayBufferWriter<byte>(256);
        using var itemWriter = new Utf8JsonWriter(item, JsonOptions);
        byte[] Encode(int i)
        {
            item.ResetWrittenCount();
            itemWriter.Reset(item);
            var value = valueAt(i);
            if (value is null) itemWriter.WriteNullValue(); else itemWriter.WriteStringValue(value);
            itemWriter.Flush();
            return item.WrittenSpan.ToArray();
        }
        WriteSequence(name, count, Encode, (byte)'[', (byte)']', (byte)',');
    }

    /// <summary>
    /// One JavaScript string, the concatenation of <paramref name="pieces"/>, split between pieces into parts under the size
    /// limit (the viewer joins the parts). Written as a string literal with raw UTF-8: only the quote, the backslash, line
    /// terminators and lone surrogates are escaped, so every character keeps its UTF-16 position.
    /// </summary>
    public void WriteText(string name, IReadOnlyList<string> pieces) =>
        WriteSequence(name, pieces.Count, i => EncodeStringContent(pieces[i]), (byte)'"', (byte)'"', null);

    private void WriteSequence(string name, int count, Func<int, byte[]> encode, byte open, byte close, byte? separator)
    {
        long budget = MaxFileBytes - Overhead(name) - 2;
        // First pass: where each part starts (items are encoded again while writing, so nothing large is held).
        var starts = new List<int> { 0 };
        long size = 0;
        for (int i = 0; i < count; i++)
        {
            long length = encode(i).Length + (separator is null ? 0 : 1);
            if (size > 0 && size + length > budget)
            {
                starts.Add(i);
                size = 0;
            }
            size += length;
        }
        int parts = starts.Count;
        if (parts > 1) Parts[name] = parts;
        for (int part = 0; part < parts; part++)
        {
            var partName = PartName(name, part, parts);
            int end = part + 1 < parts ? starts[part + 1] : count;
            using var stream = Create(partName);
            WritePrefix(stream, partName);
            stream.WriteByte(open);
            for (int i = starts[part]; i < end; i++)
            {
                if (separator is { } s && i > starts[part]) stream.WriteByte(s);
                stream.Write(encode(i));
            }
            stream.WriteByte(close);
            stream.Write(");\n"u8);
        }
    }

    private static byte[] EncodeStringContent(string text)
    {
        var builder = new StringBuilder(text.Length + 8);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\u2028': builder.Append("\\u2028"); break;
                case '\u2029': builder.Append("\\u2029"); break;
                default:
                    if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { builder.Append(c).Append(text[++i]); }
                    else if (char.IsSurrogate(c)) builder.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
                    else builder.Append(c);
                    break;
            }
        }
        return Encoding.UTF8.GetBytes(builder.ToString());
    }

    private FileStream Create(string name) =>
        new(Path.Combine(_folder, "data", name + ".js"), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);

    private static void WritePrefix(Stream stream, string name) => stream.Write(Encoding.UTF8.GetBytes($"EmbedAtlasData.put(\"{name}\","));
}
