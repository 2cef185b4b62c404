using System.Globalization;
using System.Text;
using EmbedPS.Core.Artifacts;

namespace EmbedPS.Core.Collections;

/// <summary>
/// Writes an <see cref="EntityCollectionSet"/> as long-format CSV (<c>collection,entity[,weight,value,timestamp]</c>,
/// RFC 4180 quoting, UTF-8 without BOM, LF line ends) — the shape <see cref="CollectionImporter"/> reads. For
/// interchange with tools that do not read Parquet, and for round-trip tests and the demo. Written atomically.
/// </summary>
public static class CollectionCsvWriter
{
    private static readonly UTF8Encoding Utf8 = new(false);

    public static void Write(EntityCollectionSet set, string path, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(set);
        AtomicFile.Write(path, stream =>
        {
            // Rows are assembled as UTF-8 bytes: each entity's field is encoded once (not once per pair it is in) and each
            // collection's once per collection, so a pair costs two copies and the separators.
            var output = new Utf8Output(stream);
            var header = new StringBuilder("collection,entity");
            if (set.Weights is not null) header.Append(",weight");
            if (set.Values is not null) header.Append(",value");
            if (set.Timestamps is not null) header.Append(",timestamp");
            header.Append('\n');
            output.Write(Utf8.GetBytes(header.ToString()));
            var entityFields = new byte[set.EntityCount][];
            for (int e = 0; e < entityFields.Length; e++) entityFields[e] = Utf8.GetBytes(Escape(set.Entities.GetText(e)));
            for (int c = 0; c < set.CollectionCount; c++)
            {
                if ((c & 1023) == 0) cancellation.ThrowIfCancellationRequested();
                var collection = Utf8.GetBytes(Escape(set.Collections.GetText(c)));
                int start = set.CollectionOffsets[c];
                var members = set.MembersOf(c);
                for (int k = 0; k < members.Length; k++)
                {
                    output.Write(collection);
                    output.Write((byte)',');
                    output.Write(entityFields[members[k]]);
                    if (set.Weights is not null) { output.Write((byte)','); output.WriteRoundTrip(set.Weights[start + k]); }
                    if (set.Values is not null) { output.Write((byte)','); output.WriteRoundTrip(set.Values[start + k]); }
                    if (set.Timestamps is not null) { output.Write((byte)','); output.WriteRoundTrip(set.Timestamps[start + k]); }
                    output.Write((byte)'\n');
                }
            }
            output.Flush();
        }, cancellation);
    }

    private static string Escape(string text) =>
        text.AsSpan().IndexOfAny(",\"\r\n") < 0 && (text.Length == 0 || (!char.IsWhiteSpace(text[0]) && !char.IsWhiteSpace(text[^1])))
            ? text
            : "\"" + text.Replace("\"", "\"\"") + "\"";

    /// <summary>A 64 KiB byte buffer in front of the stream.</summary>
    private sealed class Utf8Output(Stream stream)
    {
        private readonly byte[] _buffer = new byte[1 << 16];
        private int _used;

        public void Write(byte value)
        {
            if (_used == _buffer.Length) Flush();
            _buffer[_used++] = value;
        }

        public void Write(ReadOnlySpan<byte> bytes)
        {
            if (_used + bytes.Length > _buffer.Length)
            {
                Flush();
                if (bytes.Length > _buffer.Length) { stream.Write(bytes); return; }
            }
            bytes.CopyTo(_buffer.AsSpan(_used));
            _used += bytes.Length;
        }

        /// <summary>The number as <c>ToString("R", InvariantCulture)</c> writes it.</summary>
        public void WriteRoundTrip<T>(T value) where T : IUtf8SpanFormattable
        {
            if (_buffer.Length - _used < 64) Flush();
            if (!value.TryFormat(_buffer.AsSpan(_used), out int written, "R", CultureInfo.InvariantCulture))
                throw new InvalidOperationException($"Cannot format {value}."); // 64 bytes hold any float or double
            _used += written;
        }

        public void Flush()
        {
            stream.Write(_buffer, 0, _used);
            _used = 0;
        }
    }
}
