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
    public static void Write(EntityCollectionSet set, string path, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(set);
        AtomicFile.Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
            writer.Write("collection,entity");
            if (set.Weights is not null) writer.Write(",weight");
            if (set.Values is not null) writer.Write(",value");
            if (set.Timestamps is not null) writer.Write(",timestamp");
            writer.Write('\n');
            for (int c = 0; c < set.CollectionCount; c++)
            {
                if ((c & 1023) == 0) cancellation.ThrowIfCancellationRequested();
                var collection = Escape(set.Collections.GetText(c));
                int start = set.CollectionOffsets[c];
                var members = set.MembersOf(c);
                for (int k = 0; k < members.Length; k++)
                {
                    writer.Write(collection);
                    writer.Write(',');
                    writer.Write(Escape(set.Entities.GetText(members[k])));
                    if (set.Weights is not null) { writer.Write(','); writer.Write(set.Weights[start + k].ToString("R", CultureInfo.InvariantCulture)); }
                    if (set.Values is not null) { writer.Write(','); writer.Write(set.Values[start + k].ToString("R", CultureInfo.InvariantCulture)); }
                    if (set.Timestamps is not null) { writer.Write(','); writer.Write(set.Timestamps[start + k].ToString("R", CultureInfo.InvariantCulture)); }
                    writer.Write('\n');
                }
            }
        }, cancellation);
    }

    private static string Escape(string text) =>
        text.AsSpan().IndexOfAny(",\"\r\n") < 0 && (text.Length == 0 || (!char.IsWhiteSpace(text[0]) && !char.IsWhiteSpace(text[^1])))
            ? text
            : "\"" + text.Replace("\"", "\"\"") + "\"";
}
