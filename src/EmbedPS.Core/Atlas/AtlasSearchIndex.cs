using System.Globalization;
using System.Text;

namespace EmbedPS.Core.Atlas;

/// <summary>
/// The viewer's search index, built at export so that a million points answer every keystroke in milliseconds with nothing
/// to prepare in the page. It searches what the viewer's search always searched — the label (the id where it is empty), the
/// id and the -SearchProperty fields, each as the page displays it, normalised as the page normalises (Unicode NFD, marks
/// removed, lower case, trimmed: <see cref="Normalize"/> mirrors search.ts's normalizeText) — and ranks the same way: the
/// whole text, then a prefix, then a word prefix, then any substring; within a rank, more popular first, then by row.
/// <list type="bullet">
/// <item><c>text</c>: one string, the rows in popularity order (most popular first), each row its normalised texts joined by
/// U+0001 and ended by U+0002 (U+0000–U+0002 inside a text become U+FFFD, so the separators are unambiguous and sort
/// below every text character).</item>
/// <item><c>starts</c>: the position in <c>text</c> of every non-empty text, sorted by the text (ordinal, UTF-16 code
/// units, as JavaScript compares strings): the exact and prefix matches of a query are one contiguous range, found by
/// binary search, with the exact matches first.</item>
/// <item><c>words</c>: every position that starts a word (after whitespace or one of <c>-_.,:;/(</c>), sorted by the rest of
/// its text: the word-prefix matches are one range.</item>
/// <item><c>order</c>: the row at each popularity position.</item>
/// </list>
/// Substring matches are found by scanning <c>text</c> in popularity order, which stops as soon as enough rows are found.
/// </summary>
internal sealed class AtlasSearchIndex
{
    public const char ColumnEnd = '\u0001';
    public const char RowEnd = '\u0002';

    public required string[] Rows { get; init; }
    public required int[] Starts { get; init; }
    public required int[] Words { get; init; }
    public required int[] Order { get; init; }
    public required int Columns { get; init; }

    /// <summary>The texts the viewer searches for each row, as displayed (before normalisation).</summary>
    public static AtlasSearchIndex Build(int n, Func<int, string> id, AtlasField? label, IReadOnlyList<AtlasField> searchFields, AtlasField? popularity, CancellationToken cancellation)
    {
        // Popularity order: as the viewer sorts (NaN counts as 0), most popular first, ties by row.
        var order = new int[n];
        var keys = new double[n];
        for (int i = 0; i < n; i++)
        {
            order[i] = i;
            var v = popularity?.Numbers is { } values ? values[i] : 0;
            keys[i] = double.IsNaN(v) ? 0 : v;
        }
        Array.Sort(order, (a, b) => keys[b].CompareTo(keys[a]) is var c && c != 0 ? c : a.CompareTo(b));
        int columns = 2 + searchFields.Count;
        var rows = new string[n];
        var rowStarts = new long[n];
        Parallel.For(0, n, new ParallelOptions { CancellationToken = cancellation }, p =>
        {
            int row = order[p];
            var builder = new StringBuilder(64);
            var labelText = label is null ? "" : DisplayText(label, row);
            if (string.IsNullOrEmpty(labelText)) labelText = id(row);
            builder.Append(Sanitize(Normalize(labelText))).Append(ColumnEnd).Append(Sanitize(Normalize(id(row))));
            foreach (var field in searchFields) builder.Append(ColumnEnd).Append(Sanitize(Normalize(DisplayText(field, row))));
            builder.Append(RowEnd);
            rows[p] = builder.ToString();
        });
        long total = 0;
        for (int p = 0; p < n; p++) { rowStarts[p] = total; total += rows[p].Length; }
        if (total > int.MaxValue / 2)
            throw new Common.EmbedPSException("AtlasSearchTextTooLarge", Common.EmbedPSErrorKind.InvalidData,
                $"The searchable texts hold {total:N0} characters; the viewer's search index takes at most {int.MaxValue / 2:N0}. Search fewer or shorter fields (-SearchProperty).");
        cancellation.ThrowIfCancellationRequested();

        var all = string.Concat(rows);
        var starts = new List<int>(n * 2);
        var words = new List<int>(n * 2);
        for (int p = 0; p < n; p++)
        {
            int at = (int)rowStarts[p];
            var row = rows[p];
            int begin = 0;
            for (int i = 0; i < row.Length; i++)
            {
                char c = row[i];
                if (c is ColumnEnd or RowEnd)
                {
                    if (i > begin) starts.Add(at + begin);
                    begin = i + 1;
                }
                else if (i > begin && IsWordSeparator(row[i - 1])) words.Add(at + i);
            }
        }
        int[] startArray = null!, wordArray = null!;
        Parallel.Invoke(new ParallelOptions { CancellationToken = cancellation },
            () => startArray = SortByText(all, starts),
            () => wordArray = SortByText(all, words));
        return new AtlasSearchIndex { Rows = rows, Starts = startArray, Words = wordArray, Order = order, Columns = columns };
    }

    /// <summary>
    /// Positions of the index string sorted by their text up to the end of its column (ordinal), ties by position. Each
    /// position carries its first four characters packed in a number (a separator and what follows count as 0, below every
    /// text character), so most comparisons never look at the string.
    /// </summary>
    private static int[] SortByText(string all, List<int> positions)
    {
        var keyed = new (ulong Key, int Position)[positions.Count];
        for (int i = 0; i < keyed.Length; i++)
        {
            int p = positions[i];
            ulong key = 0;
            bool ended = false;
            for (int j = 0; j < 4; j++)
            {
                char c = p + j < all.Length ? all[p + j] : RowEnd;
                if (c is ColumnEnd or RowEnd) ended = true;
                key = (key << 16) | (ended ? 0u : c);
            }
            keyed[i] = (key, p);
        }
        Array.Sort(keyed, (x, y) =>
        {
            int c = x.Key.CompareTo(y.Key);
            if (c != 0) return c;
            if (x.Position == y.Position) return 0;
            // Same first four characters (or a shorter, equal text): compare the rest.
            c = Text(all, x.Position).SequenceCompareTo(Text(all, y.Position));
            return c != 0 ? c : x.Position.CompareTo(y.Position);
        });
        var sorted = new int[keyed.Length];
        for (int i = 0; i < sorted.Length; i++) sorted[i] = keyed[i].Position;
        return sorted;
    }

    private static ReadOnlySpan<char> Text(string all, int at)
    {
        var rest = all.AsSpan(at);
        int end = rest.IndexOfAny(ColumnEnd, RowEnd);
        return end < 0 ? rest : rest[..end];
    }

    /// <summary>The separators before a word start: JavaScript's \s and -_.,:;/( (the viewer's word-prefix rule).</summary>
    public static bool IsWordSeparator(char c) => c switch
    {
        '-' or '_' or '.' or ',' or ':' or ';' or '/' or '(' => true,
        '\t' or '\n' or '\v' or '\f' or '\r' or ' ' or '\u00a0' or '\u1680' or '\u2028' or '\u2029' or '\u202f' or '\u205f' or '\u3000' or '\ufeff' => true,
        >= '\u2000' and <= '\u200a' => true,
        _ => false,
    };

    private static string Sanitize(string text)
    {
        if (text.AsSpan().IndexOfAnyInRange('\u0000', RowEnd) < 0) return text;
        var chars = text.ToCharArray();
        for (int i = 0; i < chars.Length; i++) if (chars[i] <= RowEnd) chars[i] = '\uFFFD';
        return new string(chars);
    }

    /// <summary>
    /// search.ts's normalizeText: <c>text.normalize('NFD').replace(/\p{M}+/gu, '').toLowerCase().trim()</c> — canonical
    /// decomposition, combining marks (Mn, Mc, Me) removed, lower case (with JavaScript's final sigma), then the characters
    /// JavaScript's trim removes. Tables of Unicode 14 (decompositions) and of the running .NET (categories, case): a
    /// character newer than either may normalise differently from the browser's.
    /// </summary>
    public static string Normalize(string text)
    {
        if (text.Length == 0) return text;
        // NFD then marks removed, from the generated table (string.Normalize depends on ICU, absent in invariant mode).
        var kept = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            int v = rune.Value;
            if (v is >= 0xAC00 and <= 0xD7A3)
            {
                // A Hangul syllable: its leading consonant, vowel and trailing consonant (letters, so all kept).
                int syllable = v - 0xAC00;
                kept.Append((char)(0x1100 + syllable / 588)).Append((char)(0x1161 + syllable % 588 / 28));
                if (syllable % 28 != 0) kept.Append((char)(0x11A7 + syllable % 28));
                continue;
            }
            if (Decomposed.Value.TryGetValue(v, out var replacement)) { kept.Append(replacement); continue; }
            var category = Rune.GetUnicodeCategory(rune);
            if (category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark) continue;
            kept.Append(rune.ToString());
        }
        var marksRemoved = kept.ToString();
        var lower = new StringBuilder(marksRemoved.Length);
        for (int i = 0; i < marksRemoved.Length;)
        {
            var rune = Rune.GetRuneAt(marksRemoved, i);
            if (rune.Value == 0x03A3) lower.Append(IsFinalSigma(marksRemoved, i) ? '\u03C2' : '\u03C3');
            else if (rune.Value == 0x0130) lower.Append("i\u0307");
            else lower.Append(Rune.ToLowerInvariant(rune).ToString());
            i += rune.Utf16SequenceLength;
        }
        var s = lower.ToString();
        int start = 0, end = s.Length;
        while (start < end && IsJsTrimmed(s[start])) start++;
        while (end > start && IsJsTrimmed(s[end - 1])) end--;
        return s[start..end];
    }

    private static readonly Lazy<Dictionary<int, string>> Decomposed = new(() =>
    {
        var map = new Dictionary<int, string>(2100);
        foreach (var entry in AtlasSearchDecompositions.Table.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            int colon = entry.IndexOf(':');
            int from = int.Parse(entry.AsSpan(0, colon), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            var to = new StringBuilder();
            foreach (var hex in entry[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
                to.Append(char.ConvertFromUtf32(int.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture)));
            map[from] = to.ToString();
        }
        return map;
    });

    private static bool IsJsTrimmed(char c) =>
        c is '\t' or '\n' or '\v' or '\f' or '\r' or ' ' or '\u00a0' or '\ufeff' or '\u2028' or '\u2029'
        || char.GetUnicodeCategory(c) == UnicodeCategory.SpaceSeparator;

    /// <summary>Unicode's Final_Sigma: a cased letter before (skipping case-ignorables) and none after.</summary>
    private static bool IsFinalSigma(string s, int at)
    {
        static bool Ignorable(char c) => c is '\'' or '.' or ':' or '\u00b7' or '\u2018' or '\u2019' or '\u2024' or '\u2027' or '\u0387' or '\u05f4' or '\ufe13' or '\ufe52' or '\ufe55' or '\uff07' or '\uff0e' or '\uff1a'
            || char.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.Format or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol;
        static bool Cased(char c) => char.GetUnicodeCategory(c) is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter;
        int i = at - 1;
        while (i >= 0 && Ignorable(s[i])) i--;
        if (i < 0 || !Cased(s[i])) return false;
        int j = at + 1;
        while (j < s.Length && Ignorable(s[j])) j++;
        return j >= s.Length || !Cased(s[j]);
    }

    /// <summary>data.ts's cellText: a value as the page shows it ('' when missing).</summary>
    public static string DisplayText(AtlasField field, int row)
    {
        switch (field.Kind)
        {
            case AtlasFieldKind.Text:
                return field.Text![row] ?? "";
            case AtlasFieldKind.Number:
                var v = field.Numbers![row];
                return double.IsNaN(v) ? "" : FormatNumber(v);
            default:
                int code = field.Codes![row];
                return code == field.MissingCode ? "" : field.Categories[code];
        }
    }

    /// <summary>data.ts's formatNumber: integers with thousands separators, very small or large numbers as 1.235e+9, else 6 significant digits.</summary>
    public static string FormatNumber(double v)
    {
        var invariant = CultureInfo.InvariantCulture;
        if (Math.Floor(v) == v && Math.Abs(v) < 1e15) return v.ToString("#,0", invariant);
        double abs = Math.Abs(v);
        var sign = v < 0 ? "-" : "";
        if (abs != 0 && (abs < 1e-3 || abs >= 1e9))
        {
            // toExponential(3)
            var (d, e) = JsDigits(abs, 4);
            return $"{sign}{d[0]}.{d[1..]}e{(e < 0 ? "-" : "+")}{Math.Abs(e)}";
        }
        // String(Number(v.toPrecision(6)))
        var (digits, exponent) = JsDigits(abs, 6);
        return double.Parse($"{sign}{digits}E{exponent - 5}", invariant).ToString("R", invariant);
    }

    /// <summary>
    /// The first <paramref name="count"/> significant digits of a positive number and the exponent of the first, rounded as
    /// JavaScript's toPrecision and toExponential round: to the nearest, an exact tie to the larger (.NET's formats
    /// round the exact value too, but an exact tie to even).
    /// </summary>
    private static (string Digits, int Exponent) JsDigits(double abs, int count)
    {
        var invariant = CultureInfo.InvariantCulture;
        if (abs == 0) return (new string('0', count), 0);
        var exact = abs.ToString("E40", invariant);                 // d.ddd…E±xxx, exact as far as 41 digits go
        int at = exact.IndexOf('E');
        var mantissa = exact[..at].Replace(".", "", StringComparison.Ordinal);
        int exponent = int.Parse(exact[(at + 1)..], NumberStyles.AllowLeadingSign, invariant);
        bool tie = mantissa[count] == '5' && mantissa.AsSpan(count + 1).IndexOfAnyExcept('0') < 0;
        if (!tie)
        {
            var rounded = abs.ToString("E" + (count - 1).ToString(invariant), invariant);
            int r = rounded.IndexOf('E');
            return (rounded[..r].Replace(".", "", StringComparison.Ordinal), int.Parse(rounded[(r + 1)..], NumberStyles.AllowLeadingSign, invariant));
        }
        var up = (long.Parse(mantissa[..count], invariant) + 1).ToString(invariant);
        if (up.Length > count) { up = up[..count]; exponent++; }
        return (up, exponent);
    }
}
