using System.Globalization;

namespace EmbedPS.Core.Common;

/// <summary>
/// The ids of the entities of a stage, in dense-index order. Ids keep their source type:
/// 64-bit integers when every source id was an integer, strings otherwise.
/// </summary>
public sealed class EntityIds
{
    private readonly long[]? _integers;
    private readonly string[]? _strings;
    private Dictionary<long, int>? _integerIndex;
    private Dictionary<string, int>? _stringIndex;

    private EntityIds(long[]? integers, string[]? strings)
    {
        _integers = integers;
        _strings = strings;
    }

    public static EntityIds FromIntegers(long[] ids) => new(ids ?? throw new ArgumentNullException(nameof(ids)), null);

    public static EntityIds FromStrings(string[] ids) => new(null, ids ?? throw new ArgumentNullException(nameof(ids)));

    /// <summary>Integers when every string is the canonical text of an int64 (no sign noise, no leading zeros).</summary>
    public static EntityIds FromTextPreferIntegers(string[] ids)
    {
        var integers = new long[ids.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            if (!TryParseCanonicalInteger(ids[i], out integers[i])) return FromStrings(ids);
        }
        return FromIntegers(integers);
    }

    /// <summary>
    /// True when <paramref name="text"/> is exactly what <c>value.ToString(InvariantCulture)</c> gives for an int64: an
    /// optional '-', then digits without a leading zero ("0" itself excepted; "-0", "007", "+7" and " 7" are not).
    /// </summary>
    internal static bool TryParseCanonicalInteger(ReadOnlySpan<char> text, out long value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 20) return false;
        int first = text[0] == '-' ? 1 : 0;
        if (first == text.Length || (text[first] == '0' && text.Length > 1)) return false;
        if (text.Length - first <= 18)
        {
            // At most 18 digits cannot overflow: accumulate while checking (the common case, on every imported row).
            long magnitude = 0;
            for (int i = first; i < text.Length; i++)
            {
                uint digit = (uint)(text[i] - '0');
                if (digit > 9) return false;
                magnitude = magnitude * 10 + digit;
            }
            value = first == 1 ? -magnitude : magnitude;
            return true;
        }
        for (int i = first; i < text.Length; i++) if (!char.IsAsciiDigit(text[i])) return false;
        return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value); // false on overflow
    }

    public int Count => _integers?.Length ?? _strings!.Length;

    public bool IsInteger => _integers is not null;

    /// <summary>The integer ids, or null when ids are strings.</summary>
    public long[]? Integers => _integers;

    /// <summary>The string ids, or null when ids are integers.</summary>
    public string[]? Strings => _strings;

    /// <summary>The id at a dense index, boxed as long or string.</summary>
    public object this[int index] => _integers is not null ? _integers[index] : _strings![index];

    public string GetText(int index) =>
        _integers is not null ? _integers[index].ToString(CultureInfo.InvariantCulture) : _strings![index];

    /// <summary>Dense index of an id given as any object (a long, an int, a string...), or -1.</summary>
    public int IndexOf(object? id)
    {
        if (id is null) return -1;
        if (_integers is not null)
        {
            long key;
            switch (id)
            {
                case long l: key = l; break;
                case int i: key = i; break;
                case short s: key = s; break;
                case uint u: key = u; break;
                case double d when d == Math.Floor(d) && Math.Abs(d) < 9e15: key = (long)d; break;
                case string text when long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed): key = parsed; break;
                default: return -1;
            }
            var index = _integerIndex ??= BuildIntegerIndex();
            return index.TryGetValue(key, out var found) ? found : -1;
        }
        var text2 = id as string ?? Convert.ToString(id, CultureInfo.InvariantCulture);
        if (text2 is null) return -1;
        var sindex = _stringIndex ??= BuildStringIndex();
        return sindex.TryGetValue(text2, out var sfound) ? sfound : -1;
    }

    private Dictionary<long, int> BuildIntegerIndex()
    {
        var map = new Dictionary<long, int>(_integers!.Length);
        for (int i = 0; i < _integers.Length; i++) map.TryAdd(_integers[i], i);
        return map;
    }

    private Dictionary<string, int> BuildStringIndex()
    {
        var map = new Dictionary<string, int>(_strings!.Length, StringComparer.Ordinal);
        for (int i = 0; i < _strings.Length; i++) map.TryAdd(_strings[i], i);
        return map;
    }

    /// <summary>The ids at the given dense indices, in that order.</summary>
    public EntityIds Subset(ReadOnlySpan<int> indices)
    {
        if (_integers is not null)
        {
            var result = new long[indices.Length];
            for (int i = 0; i < indices.Length; i++) result[i] = _integers[indices[i]];
            return FromIntegers(result);
        }
        var strings = new string[indices.Length];
        for (int i = 0; i < indices.Length; i++) strings[i] = _strings![indices[i]];
        return FromStrings(strings);
    }

    /// <summary>True when both lists hold the same ids in the same order.</summary>
    public bool SequenceEqual(EntityIds other)
    {
        if (other.Count != Count || other.IsInteger != IsInteger) return false;
        return IsInteger ? _integers.AsSpan().SequenceEqual(other._integers) : _strings.AsSpan().SequenceEqual(other._strings);
    }

    public override string ToString() => $"{Count} {(IsInteger ? "integer" : "string")} ids";
}
