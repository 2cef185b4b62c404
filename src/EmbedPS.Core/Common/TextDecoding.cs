using System.Globalization;
using System.Text;

namespace EmbedPS.Core.Common;

/// <summary>
/// Strict decoding of text inputs: an invalid byte is an error naming the file, the line and the byte offset, never a silent
/// replacement character (which would merge 'caf\xe9' and 'caf\xe8' into one entity). Without an explicit encoding a byte
/// order mark picks UTF-8, UTF-16 or UTF-32, and anything else must be valid UTF-8.
/// </summary>
public static class TextDecoding
{
    /// <summary>The names -Encoding accepts (as Import-Csv), besides code page numbers and names .NET knows.</summary>
    public static readonly string[] Names = ["utf8", "utf8BOM", "utf8NoBOM", "unicode", "bigendianunicode", "utf32", "bigendianutf32", "ascii", "latin1", "ansi", "oem"];

    /// <summary>A strict decoder for an -Encoding value; null (auto: BOM, else UTF-8) for null or empty.</summary>
    public static Encoding? Parse(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return null;
        var decoder = DecoderFallback.ExceptionFallback;
        switch (name.Trim().ToLowerInvariant())
        {
            case "utf8": case "utf-8": case "utf8bom": case "utf8nobom": return new UTF8Encoding(false, true);
            case "unicode": case "utf-16": case "utf-16le": case "utf16": return new UnicodeEncoding(false, false, true);
            case "bigendianunicode": case "utf-16be": return new UnicodeEncoding(true, false, true);
            case "utf32": case "utf-32": case "utf-32le": return new UTF32Encoding(false, false, true);
            case "bigendianutf32": case "utf-32be": return new UTF32Encoding(true, false, true);
            case "ascii": case "us-ascii": return Encoding.GetEncoding("us-ascii", EncoderFallback.ExceptionFallback, decoder);
            case "latin1": case "iso-8859-1": return Encoding.Latin1;
            case "ansi": case "oem": return Encoding.GetEncoding(CultureInfo.CurrentCulture.TextInfo.ANSICodePage, EncoderFallback.ExceptionFallback, decoder);
        }
        try
        {
            return int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var codePage)
                ? Encoding.GetEncoding(codePage, EncoderFallback.ExceptionFallback, decoder)
                : Encoding.GetEncoding(name, EncoderFallback.ExceptionFallback, decoder);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
        {
            throw new EmbedPSException("UnknownEncoding", EmbedPSErrorKind.InvalidArgument,
                $"-Encoding '{name}' is not an encoding this system knows. Use one of {string.Join(", ", Names)}, or a code page number.") { Value = name };
        }
    }

    /// <summary>Opens <paramref name="stream"/> as text: the given encoding (strict), or the BOM's, or strict UTF-8; a compressed file is an error.</summary>
    public static StreamReader Open(Stream stream, Encoding? encoding)
    {
        if (stream is FileStream file && file.CanSeek && file.Position == 0) CheckNotCompressed(file);
        return new(stream, encoding ?? new UTF8Encoding(false, true), detectEncodingFromByteOrderMarks: encoding is null, bufferSize: 1 << 16, leaveOpen: true);
    }

    /// <summary>A gzip (or zstd, bzip2, xz, zip) file read as text is an error that says it is compressed, whatever its name.</summary>
    public static void CheckNotCompressed(FileStream file)
    {
        Span<byte> head = stackalloc byte[6];
        int n = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        file.Position = 0;
        head = head[..n];
        string? format =
            head.StartsWith(new byte[] { 0x1F, 0x8B }) ? "gzip" :
            head.StartsWith(new byte[] { 0x28, 0xB5, 0x2F, 0xFD }) ? "zstd" :
            head.StartsWith("BZh"u8) ? "bzip2" :
            head.StartsWith(new byte[] { 0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00 }) ? "xz" :
            head.StartsWith(new byte[] { 0x50, 0x4B, 0x03, 0x04 }) ? "zip" : null;
        if (format is null) return;
        var tool = format switch { "gzip" => "gunzip -k", "zstd" => "zstd -d", "bzip2" => "bunzip2 -k", "xz" => "unxz -k", _ => "unzip" };
        throw new EmbedPSException("CompressedInput", EmbedPSErrorKind.InvalidData,
            $"'{file.Name}' is {format}-compressed (it starts with the {format} signature), not text. Decompress it first (for example `{tool} '{file.Name}'`) and read the result.")
        { File = file.Name, Row = 1, Value = format };
    }

    /// <summary>The name of the encoding a reader ended up with, for messages.</summary>
    public static string Describe(Encoding? encoding) => encoding switch
    {
        null => "UTF-8",
        UTF8Encoding => "UTF-8",
        UnicodeEncoding u => u.GetPreamble() is [0xFE, 0xFF] || u.CodePage == 1201 ? "UTF-16 big-endian" : "UTF-16",
        UTF32Encoding => "UTF-32",
        _ => encoding.WebName,
    };

    /// <summary>
    /// The error for a decoding failure: finds the first byte the encoding rejects and names the file, its line and byte offset.
    /// </summary>
    public static EmbedPSException InvalidBytes(string path, Encoding? requested, Exception? inner = null)
    {
        var bom = DetectFromBom(path);
        if (requested is null && bom is null && LooksLikeUtf16Or32(path) is { } guess)
            return new EmbedPSException("WrongTextEncoding", EmbedPSErrorKind.InvalidData,
                $"'{path}': the file is {guess} text without a byte order mark (every other byte is NUL), read as UTF-8. " +
                "Name its encoding with -Encoding unicode (UTF-16 little-endian), bigendianunicode or utf32, or convert it to UTF-8.", inner) { File = path, Row = 1 };
        var encoding = requested ?? bom ?? new UTF8Encoding(false, true);
        var (offset, line, bytes) = FindInvalid(path, encoding);
        var name = Describe(encoding);
        var hint = requested is null
            ? " Name the file's encoding with -Encoding (for example -Encoding latin1 or -Encoding unicode), or convert it to UTF-8."
            : " The file is not in the encoding -Encoding names.";
        return new EmbedPSException("InvalidTextEncoding", EmbedPSErrorKind.InvalidData,
            $"'{path}', line {line}, byte offset {offset}: byte(s) {bytes} are not valid {name}.{hint}", inner)
        { File = path, Row = line, Value = bytes };
    }

    /// <summary>"UTF-16" or "UTF-32" when NUL bytes fill the even or odd positions of the file's start, as in text of those encodings.</summary>
    private static string? LooksLikeUtf16Or32(string path)
    {
        var head = new byte[4096];
        int n;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read)) n = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        if (n < 4) return null;
        int even = 0, odd = 0;
        for (int i = 0; i < n; i++) if (head[i] == 0) { if ((i & 1) == 0) even++; else odd++; }
        int half = n / 2;
        if (even + odd > n * 0.6) return "UTF-32";
        return odd > half * 0.4 || even > half * 0.4 ? "UTF-16" : null;
    }

    private static Encoding? DetectFromBom(string path)
    {
        Span<byte> head = stackalloc byte[4];
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        int n = stream.ReadAtLeast(head, 4, throwOnEndOfStream: false);
        head = head[..n];
        if (head.StartsWith(new byte[] { 0xFF, 0xFE, 0, 0 })) return new UTF32Encoding(false, false, true);
        if (head.StartsWith(new byte[] { 0xEF, 0xBB, 0xBF })) return new UTF8Encoding(false, true);
        if (head.StartsWith(new byte[] { 0xFF, 0xFE })) return new UnicodeEncoding(false, false, true);
        if (head.StartsWith(new byte[] { 0xFE, 0xFF })) return new UnicodeEncoding(true, false, true);
        return null;
    }

    private static (long Offset, long Line, string Bytes) FindInvalid(string path, Encoding encoding)
    {
        var strict = (Encoding)encoding.Clone();
        strict.DecoderFallback = DecoderFallback.ExceptionFallback;
        var decoder = strict.GetDecoder();
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var buffer = new byte[1 << 16];
        var chars = new char[strict.GetMaxCharCount(buffer.Length) + 4];
        long start = 0, lines = 1;
        int read;
        while (true)
        {
            read = stream.Read(buffer, 0, buffer.Length);
            bool last = read == 0;
            try
            {
                decoder.GetChars(buffer, 0, read, chars, 0, flush: last);
            }
            catch (DecoderFallbackException ex)
            {
                long offset = start + Math.Max(0, ex.Index);
                var bad = ex.BytesUnknown is { Length: > 0 } u ? u : new[] { buffer[Math.Clamp(ex.Index, 0, Math.Max(0, read - 1))] };
                // Lines: count line feeds before the offset.
                stream.Position = 0;
                long counted = 0;
                var scan = new byte[1 << 16];
                int r;
                while (counted < offset && (r = stream.Read(scan, 0, (int)Math.Min(scan.Length, offset - counted))) > 0)
                {
                    lines += scan.AsSpan(0, r).Count((byte)'\n');
                    counted += r;
                }
                return (offset, lines, string.Join(" ", bad.Select(b => "0x" + b.ToString("X2", CultureInfo.InvariantCulture))));
            }
            if (last) break;
            start += read;
        }
        return (start, lines, "(none found)");
    }

    /// <summary>
    /// A header with NUL characters is UTF-16 or UTF-32 text read without its byte order mark: say so instead of reporting
    /// a missing column.
    /// </summary>
    public static void CheckHeader(string path, IEnumerable<string> header, Encoding? requested)
    {
        if (header.Any(h => h.Contains('\0')))
            throw new EmbedPSException("WrongTextEncoding", EmbedPSErrorKind.InvalidData,
                $"'{path}', line 1: the header holds NUL characters, so the file is UTF-16 or UTF-32 text without a byte order mark, read as {Describe(requested)}. " +
                "Name its encoding with -Encoding unicode (UTF-16 little-endian), bigendianunicode or utf32.") { File = path, Row = 1 };
    }
}
