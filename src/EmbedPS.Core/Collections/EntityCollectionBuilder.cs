using System.Globalization;
using System.Runtime.InteropServices;
using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Common;

namespace EmbedPS.Core.Collections;

/// <summary>
/// Accumulates long-format rows (collection, entity [, weight, value, timestamp]) in arrival order and
/// builds an <see cref="EntityCollectionSet"/>. Memory grows with the pairs added, not the source size.
/// Ids are interned as int64 while every id is the canonical text of one, else as text (see <see cref="IdTable"/>); they
/// are int64 in the set when every id is a canonical integer. Duplicate pairs inside a collection are merged: weights
/// summed, values averaged, earliest timestamp kept.
/// </summary>
public sealed class EntityCollectionBuilder
{
    private readonly IdTable _entities = new();
    private readonly IdTable _collections = new();
    private int[] _pairCollection = new int[1024];
    private int[] _pairEntity = new int[1024];
    private float[]? _weights;
    private double[]? _values;
    private double[]? _timestamps;
    private int _count;
    private bool? _forceStringEntities;
    private bool? _forceStringCollections;
    // The previous row's collection (its text and index): long-format rows usually list a collection's rows together.
    private char[] _lastCollectionText = new char[64];
    private int _lastCollectionLength, _lastCollection = -1;

    public EntityCollectionBuilder(bool hasWeights = false, bool hasValues = false, bool hasTimestamps = false)
    {
        if (hasWeights) _weights = new float[1024];
        if (hasValues) _values = new double[1024];
        if (hasTimestamps) _timestamps = new double[1024];
    }

    public long RowCount => _count;
    public int EntityCount => _entities.Count;
    public int CollectionCount => _collections.Count;

    /// <summary>Keep ids as strings even if they all look like integers (the source column was text).</summary>
    public void KeepEntityIdsAsText() => _forceStringEntities = true;
    public void KeepCollectionIdsAsText() => _forceStringCollections = true;

    public void Add(string collection, string entity, float weight = 1f, double value = 0, double timestamp = 0) =>
        Add(collection.AsSpan(), entity.AsSpan(), weight, value, timestamp);

    /// <summary>
    /// Adds a row from character spans (a CSV field, a formatted number) without allocating when the ids were seen
    /// before. Long-format files usually list a collection's rows together, so the previous collection is checked first.
    /// </summary>
    public void Add(ReadOnlySpan<char> collection, ReadOnlySpan<char> entity, float weight = 1f, double value = 0, double timestamp = 0)
    {
        if (_count == _pairCollection.Length) Grow();
        if (_count == int.MaxValue) throw new EmbedPSException("TooManyPairs", EmbedPSErrorKind.NotSupported, $"More than {int.MaxValue} collection–entity pairs are not supported.");
        int collectionIndex;
        if (_lastCollection >= 0 && collection.SequenceEqual(_lastCollectionText.AsSpan(0, _lastCollectionLength))) collectionIndex = _lastCollection;
        else
        {
            _lastCollection = collectionIndex = _collections.Intern(collection);
            if (_lastCollectionText.Length < collection.Length) _lastCollectionText = new char[Math.Max(collection.Length, 2 * _lastCollectionText.Length)];
            collection.CopyTo(_lastCollectionText);
            _lastCollectionLength = collection.Length;
        }
        _pairCollection[_count] = collectionIndex;
        _pairEntity[_count] = _entities.Intern(entity);
        if (_weights is not null) _weights[_count] = weight;
        if (_values is not null) _values[_count] = value;
        if (_timestamps is not null) _timestamps[_count] = timestamp;
        _count++;
    }

    /// <summary>
    /// Ids of one kind in first-seen order (the index is the position). While every id is the canonical text of an int64
    /// the ids are kept as integers: a long key is hashed and compared far faster than text, and text lookups were most of
    /// a large file's import time. The first other id turns the table into text (the integers formatted, in order, so
    /// every index handed out stays valid). Small non-negative integers (the usual dense ids) are looked up in an array.
    /// </summary>
    private sealed class IdTable
    {
        /// <summary>Ids 0 ≤ id &lt; DirectIds are indexed by an array (index + 1, 0 = not seen; at most 16 MB), the rest by a dictionary.</summary>
        private const int DirectIds = 1 << 22;
        private int[]? _direct = new int[1024];
        private Dictionary<long, int>? _integerIndex = new();
        private List<long>? _integers = new();
        private Dictionary<string, int>? _textIndex;
        private Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _textLookup;
        private List<string>? _texts;

        public int Count => _integers?.Count ?? _texts!.Count;

        public int Intern(ReadOnlySpan<char> id)
        {
            if (_integers is not null)
            {
                if (EntityIds.TryParseCanonicalInteger(id, out long value)) return Intern(value);
                SwitchToText();
            }
            if (!_textLookup.TryGetValue(id, out int found))
            {
                found = _texts!.Count;
                var text = id.ToString();
                _textIndex!.Add(text, found);
                _texts.Add(text);
            }
            return found;
        }

        /// <summary>Interns an integer id (only while the table holds integers).</summary>
        public int Intern(long value)
        {
            if ((ulong)value < DirectIds)
            {
                if (value >= _direct!.Length) Array.Resize(ref _direct, (int)Math.Min(DirectIds, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)value + 1)));
                ref int entry = ref _direct[value];
                if (entry == 0) { _integers!.Add(value); entry = _integers.Count; }
                return entry - 1;
            }
            ref int slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_integerIndex!, value, out bool exists);
            if (!exists) { slot = _integers!.Count; _integers.Add(value); }
            return slot;
        }

        private void SwitchToText()
        {
            _texts = new List<string>(_integers!.Count);
            _textIndex = new Dictionary<string, int>(_integers.Count, StringComparer.Ordinal);
            _textLookup = _textIndex.GetAlternateLookup<ReadOnlySpan<char>>();
            foreach (long value in _integers)
            {
                var text = value.ToString(CultureInfo.InvariantCulture);
                _textIndex.Add(text, _texts.Count);
                _texts.Add(text);
            }
            _integers = null;
            _integerIndex = null;
            _direct = null;
        }

        /// <summary>
        /// Sorts the ids canonically (by value when they are all integers and not kept as text, else ordinally), renumbers
        /// <paramref name="pairs"/> to match, and reorders the table so that it stays usable. Returns the typed ids.
        /// </summary>
        public EntityIds Canonical(bool forceText, int[] pairs, int count)
        {
            if (forceText && _integers is not null) SwitchToText();
            EntityIds typed;
            int[] order;
            if (_integers is not null)
            {
                var keys = _integers.ToArray();
                order = Identity(keys.Length);
                Array.Sort(keys, order);
                typed = EntityIds.FromIntegers(keys);
            }
            else
            {
                var text = _texts!.ToArray();
                var unsorted = forceText ? EntityIds.FromStrings(text) : EntityIds.FromTextPreferIntegers(text);
                order = Identity(text.Length);
                if (unsorted.IsInteger) Array.Sort((long[])unsorted.Integers!.Clone(), order);
                else Array.Sort((string[])text.Clone(), order, StringComparer.Ordinal);
                typed = unsorted.IsInteger ? EntityIds.FromIntegers(order.Select(o => unsorted.Integers![o]).ToArray()) : EntityIds.FromStrings(order.Select(o => text[o]).ToArray());
            }
            var rank = new int[order.Length];
            bool identity = true;
            for (int k = 0; k < order.Length; k++) { rank[order[k]] = k; identity &= order[k] == k; }
            if (identity) return typed;
            for (int i = 0; i < count; i++) pairs[i] = rank[pairs[i]];
            if (_integers is not null)
            {
                _integers.Clear();
                _integers.AddRange(typed.Integers!);
                for (int k = 0; k < order.Length; k++)
                {
                    long value = _integers[k];
                    if ((ulong)value < DirectIds) _direct![value] = k + 1;
                    else _integerIndex![value] = k;
                }
            }
            else
            {
                _texts!.Clear();
                for (int k = 0; k < order.Length; k++) _texts.Add(typed.GetText(k));
                for (int k = 0; k < order.Length; k++) _textIndex![_texts[k]] = k;
            }
            return typed;
        }

        private static int[] Identity(int length)
        {
            var order = new int[length];
            for (int i = 0; i < length; i++) order[i] = i;
            return order;
        }
    }

    private void Grow()
    {
        int size = _pairCollection.Length * 2;
        Array.Resize(ref _pairCollection, size);
        Array.Resize(ref _pairEntity, size);
        if (_weights is not null) Array.Resize(ref _weights, size);
        if (_values is not null) Array.Resize(ref _values, size);
        if (_timestamps is not null) Array.Resize(ref _timestamps, size);
    }

    public EntityCollectionSet Build(Provenance? provenance = null)
    {
        // Entity and collection order is a function of the data alone (not of row order, file order or the path the data
        // took): ids sorted by value (numerically when they are all integers, else ordinally), so that a set re-imported from
        // its artifact, a shuffled file and the in-memory set give the same indices and the same seeded maps.
        var entityIds = _entities.Canonical(_forceStringEntities == true, _pairEntity, _count);
        var collectionIds = _collections.Canonical(_forceStringCollections == true, _pairCollection, _count);
        _lastCollection = -1;
        return Assemble(entityIds, collectionIds, _pairCollection, _pairEntity, _count, _weights, _values, _timestamps, provenance);
    }

    /// <summary>
    /// The set of integer-id rows (a collections artifact's usual columns): the same set as adding each row's ids as text,
    /// without formatting and interning two strings per row. Ids are interned as integers and ranked by value — the order
    /// <see cref="Build"/> gives ids that are all canonical integers.
    /// </summary>
    public static EntityCollectionSet FromIntegerRows(long[] collections, long[] entities, float[]? weights, double[]? values, double[]? timestamps, Provenance? provenance = null)
    {
        ArgumentNullException.ThrowIfNull(collections);
        ArgumentNullException.ThrowIfNull(entities);
        int count = collections.Length;
        if (entities.Length != count || (weights is not null && weights.Length != count) || (values is not null && values.Length != count) || (timestamps is not null && timestamps.Length != count))
            throw new ArgumentException("The id and value columns differ in length.");
        if (count == 0) throw new EmbedPSException("NoRows", EmbedPSErrorKind.InvalidData, "The input holds no collection–entity rows.");
        var pairCollection = new int[count];
        var pairEntity = new int[count];
        var collectionIds = RankIntegers(collections, pairCollection);
        var entityIds = RankIntegers(entities, pairEntity);
        return Assemble(entityIds, collectionIds, pairCollection, pairEntity, count, weights, values, timestamps, provenance);
    }

    /// <summary>Writes each value's rank among the distinct values into <paramref name="ranks"/>; returns the distinct values in order.</summary>
    private static EntityIds RankIntegers(long[] column, int[] ranks)
    {
        var table = new IdTable();
        long previous = 0;
        int previousIndex = -1;
        for (int i = 0; i < column.Length; i++)
        {
            long id = column[i];
            // Rows usually come grouped by collection: repeat the last answer without a lookup.
            if (previousIndex < 0 || id != previous) { previousIndex = table.Intern(id); previous = id; }
            ranks[i] = previousIndex;
        }
        return table.Canonical(forceText: false, ranks, ranks.Length);
    }

    /// <summary>
    /// Groups rows (dense, canonically ranked ids) by collection in arrival order, sorts each collection by entity and
    /// merges duplicate pairs (weights summed, values averaged, earliest timestamp kept).
    /// </summary>
    private static EntityCollectionSet Assemble(EntityIds entityIds, EntityIds collectionIds, int[] pairCollection, int[] pairEntity, int count,
        float[]? rowWeights, double[]? rowValues, double[]? rowTimestamps, Provenance? provenance)
    {
        int collections = collectionIds.Count;
        // Counting sort by collection keeps arrival order inside a collection; then sort each collection by entity.
        var offsets = new int[collections + 1];
        for (int i = 0; i < count; i++) offsets[pairCollection[i] + 1]++;
        for (int c = 0; c < collections; c++) offsets[c + 1] += offsets[c];
        var cursor = offsets.AsSpan(0, collections).ToArray();
        var order = new int[count];
        for (int i = 0; i < count; i++) order[cursor[pairCollection[i]]++] = i;

        var members = new int[count];
        var weights = rowWeights is null ? null : new float[count];
        var values = rowValues is null ? null : new double[count];
        var timestamps = rowTimestamps is null ? null : new double[count];
        var mergedCount = new int[count];
        var newOffsets = new int[collections + 1];
        int write = 0;
        long duplicates = 0;
        var keys = new int[0];
        for (int c = 0; c < collections; c++)
        {
            int start = offsets[c], end = offsets[c + 1], len = end - start;
            if (keys.Length < len) keys = new int[Math.Max(len, keys.Length * 2)];
            var span = order.AsSpan(start, len);
            bool increasing = true;
            for (int k = 0; k < len; k++)
            {
                keys[k] = pairEntity[span[k]];
                if (k > 0 && keys[k] <= keys[k - 1]) increasing = false;
            }
            // Files written from a set list each collection's entities in order already: nothing to sort (or merge).
            if (!increasing) keys.AsSpan(0, len).Sort(span);
            newOffsets[c] = write;
            for (int k = 0; k < len; k++)
            {
                int row = span[k];
                int entity = keys[k];
                if (write > newOffsets[c] && members[write - 1] == entity)
                {
                    duplicates++;
                    int target = write - 1;
                    if (weights is not null) weights[target] += rowWeights![row];
                    if (values is not null) values[target] += rowValues![row];
                    if (timestamps is not null) timestamps[target] = Math.Min(timestamps[target], rowTimestamps![row]);
                    mergedCount[target]++;
                    continue;
                }
                members[write] = entity;
                if (weights is not null) weights[write] = rowWeights![row];
                if (values is not null) values[write] = rowValues![row];
                if (timestamps is not null) timestamps[write] = rowTimestamps![row];
                mergedCount[write] = 1;
                write++;
            }
        }
        newOffsets[collections] = write;
        if (values is not null)
        {
            for (int i = 0; i < write; i++) if (mergedCount[i] > 1) values[i] /= mergedCount[i];
        }
        if (write < count)
        {
            Array.Resize(ref members, write);
            if (weights is not null) Array.Resize(ref weights, write);
            if (values is not null) Array.Resize(ref values, write);
            if (timestamps is not null) Array.Resize(ref timestamps, write);
        }

        return new EntityCollectionSet(entityIds, collectionIds, newOffsets, members, weights, values, timestamps, provenance)
        {
            DuplicatePairsMerged = duplicates,
        };
    }
}
