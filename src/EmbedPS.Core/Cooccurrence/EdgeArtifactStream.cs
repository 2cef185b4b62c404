using System.Globalization;
using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Common;

namespace EmbedPS.Core.Cooccurrence;

/// <summary>
/// Walks a co-occurrence or neighbour-graph artifact (self rows first, then edges) one row group at a time: checks each group
/// (<see cref="ArtifactValidation"/>), maps its entity ids to dense indices (the leading self rows fix the order) and hands
/// the group's indices to the caller, which appends them into its result. Nothing of a row group outlives the next one, so a
/// read holds the result, one row group and the id map.
/// </summary>
internal sealed class EdgeArtifactStream
{
    private readonly ArtifactRowGroups _file;
    private readonly List<long> _longOrder = new();
    private readonly List<string> _stringOrder = new();
    private Dictionary<long, int>? _longMap;
    private Dictionary<string, int>? _stringMap;
    private int[]? _dense;       // long ids in a small range: index by id - _denseMin (-1: unknown)
    private long _denseMin;
    private bool? _integerIds;
    private bool _prefixEnded;
    private int[] _a = [];
    private int[] _b = [];
    private (long Row, string Column, string Id)? _firstUnknown;

    public EdgeArtifactStream(ArtifactRowGroups file) => _file = file;

    /// <summary>Called after each row group has been appended, while its columns are still held (tests measure the live heap there).</summary>
    internal static readonly AsyncLocal<Action?> RowGroupProbe = new();

    public ArtifactRowGroups File => _file;
    /// <summary>Entities seen in the leading self rows so far.</summary>
    public int EntityCount => _integerIds == false ? _stringOrder.Count : _longOrder.Count;

    public EntityIds Entities() => _integerIds == false ? EntityIds.FromStrings(_stringOrder.ToArray()) : EntityIds.FromIntegers(_longOrder.ToArray());

    /// <summary>
    /// One pass over every row group. With <paramref name="check"/>, each group is validated first (the first problem is thrown)
    /// and the leading self rows define the entities; otherwise the entities are already known. <paramref name="visit"/> gets
    /// the group (its columns), the dense indices of entity_a and entity_b (-1 for an entity without a self row) and the row count.
    /// </summary>
    public void Pass(bool check, IReadOnlyList<string>? columns, Action<ArtifactTable, int[], int[], int> visit, CancellationToken cancellation)
    {
        var problems = new List<ArtifactProblem>();
        var state = check ? new ArtifactValidation.RowGroupState() : null;
        if (check && _file.RowCount == 0)
            throw new ArtifactProblem("EmptyArtifact", $"'{_file.Path}': the {ArtifactKinds.Name(_file.Kind)} table has no rows.", _file.Path).ToException();
        for (int g = 0; g < _file.RowGroupCount; g++)
        {
            var group = _file.ReadRowGroup(g, columns, cancellation);
            if (check)
            {
                ArtifactValidation.CheckColumns(group, problems, state);
                if (problems.Count > 0) throw problems[0].ToException();
            }
            int count = checked((int)group.RowCount);
            if (_a.Length != count) { _a = new int[count]; _b = new int[count]; }
            Map(group, count, check);
            visit(group, _a, _b, count);
            RowGroupProbe.Value?.Invoke();
            CollectLibraryGarbage();
        }
        if (check && _firstUnknown is { } u)
        {
            throw new EmbedPSException("UnknownEntity", EmbedPSErrorKind.InvalidData,
                $"'{_file.Path}', row {u.Row}, column '{u.Column}': entity '{u.Id}' has no self row (the artifact lists its {EntityCount:N0} entities first); the edge points to an unknown entity.")
            { File = _file.Path, Row = u.Row, Column = u.Column, Value = u.Id };
        }
    }

    private long _collectedAt = GC.GetTotalAllocatedBytes();

    /// <summary>
    /// The Parquet library decodes each column chunk into fresh buffers, several times the chunk's size and mostly on the large
    /// object heap, which only a full collection frees: left to itself the GC let them pile up to about the size of the matrix
    /// (atlas read: 6.7 GB peak RSS for a 3.2 GB matrix). A full collection once the read has allocated a tenth of the expected
    /// result (at least 64 MiB) bounds that garbage; it is cheap, since the result's arrays hold no references to trace.
    /// </summary>
    private void CollectLibraryGarbage()
    {
        long budget = Math.Max(64L << 20, _file.RowCount * 16 / 10);
        if (GC.GetTotalAllocatedBytes() - _collectedAt < budget) return;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: false);
        _collectedAt = GC.GetTotalAllocatedBytes();
    }

    private void Map(ArtifactTable group, int count, bool defining)
    {
        var ca = group.Columns["entity_a"];
        var cb = group.Columns["entity_b"];
        _integerIds ??= ca is long[] or int[] && cb is long[] or int[];
        if (_integerIds == true)
        {
            var la = Longs(ca); var lb = Longs(cb);
            int r = 0;
            if (defining && !_prefixEnded)
            {
                _longMap ??= new Dictionary<long, int>();
                for (; r < count && la[r] == lb[r]; r++)
                {
                    if (!_longMap.TryGetValue(la[r], out int index)) { index = _longOrder.Count; _longMap.Add(la[r], index); _longOrder.Add(la[r]); }
                    _a[r] = _b[r] = index;
                }
                if (r < count) EndPrefix();
            }
            for (; r < count; r++)
            {
                _a[r] = Find(la[r]);
                _b[r] = Find(lb[r]);
                if (defining && (_a[r] < 0 || _b[r] < 0)) Unknown(group, r, _a[r] < 0 ? la[r].ToString(CultureInfo.InvariantCulture) : lb[r].ToString(CultureInfo.InvariantCulture));
            }
        }
        else
        {
            int r = 0;
            _stringMap ??= new Dictionary<string, int>(StringComparer.Ordinal);
            if (defining && !_prefixEnded)
            {
                for (; r < count; r++)
                {
                    string sa = Text(ca, r, group, "entity_a"), sb = Text(cb, r, group, "entity_b");
                    if (!string.Equals(sa, sb, StringComparison.Ordinal)) break;
                    if (!_stringMap.TryGetValue(sa, out int index)) { index = _stringOrder.Count; _stringMap.Add(sa, index); _stringOrder.Add(sa); }
                    _a[r] = _b[r] = index;
                }
                if (r < count) _prefixEnded = true;
            }
            for (; r < count; r++)
            {
                string sa = Text(ca, r, group, "entity_a"), sb = Text(cb, r, group, "entity_b");
                _a[r] = _stringMap.TryGetValue(sa, out int ia) ? ia : -1;
                _b[r] = _stringMap.TryGetValue(sb, out int ib) ? ib : -1;
                if (defining && (_a[r] < 0 || _b[r] < 0)) Unknown(group, r, _a[r] < 0 ? sa : sb);
            }
        }
    }

    private void Unknown(ArtifactTable group, int r, string id)
    {
        if (_firstUnknown is not null) return;
        _firstUnknown = (group.FirstRow + r + 1, _a[r] < 0 ? "entity_a" : "entity_b", id);
    }

    /// <summary>The self rows are over: integer ids in a range up to four times the entity count are looked up in an array.</summary>
    private void EndPrefix()
    {
        _prefixEnded = true;
        if (_longOrder.Count == 0) return;
        long min = long.MaxValue, max = long.MinValue;
        foreach (var id in _longOrder) { min = Math.Min(min, id); max = Math.Max(max, id); }
        if (max - min >= Math.Max(1024L, 4L * _longOrder.Count)) return;
        _dense = new int[max - min + 1];
        Array.Fill(_dense, -1);
        for (int i = 0; i < _longOrder.Count; i++) _dense[_longOrder[i] - min] = i;
        _denseMin = min;
    }

    private int Find(long id)
    {
        if (_dense is { } dense)
        {
            ulong k = (ulong)(id - _denseMin);
            return k < (ulong)dense.Length ? dense[k] : -1;
        }
        return _longMap!.TryGetValue(id, out int index) ? index : -1;
    }

    private static long[] Longs(Array ids) => ids as long[] ?? Array.ConvertAll((int[])ids, x => (long)x);

    private static string Text(Array ids, int r, ArtifactTable group, string column) => ids switch
    {
        string?[] s => s[r] ?? throw new EmbedPSException("NullId", EmbedPSErrorKind.InvalidData, $"'{group.Path}', row {group.FirstRow + r + 1}, column '{column}': null entity id.") { File = group.Path, Row = group.FirstRow + r + 1, Column = column },
        long[] l => l[r].ToString(CultureInfo.InvariantCulture),
        int[] i => i[r].ToString(CultureInfo.InvariantCulture),
        _ => throw new EmbedPSException("BadColumnType", EmbedPSErrorKind.InvalidData, $"'{group.Path}', column '{column}': ids must be int64 or text.") { File = group.Path, Column = column },
    };

    /// <summary>Refuses a result that does not fit the memory this process may use, naming the file and both amounts.</summary>
    public static void EnsureFits(string path, long neededBytes, string what)
    {
        long available = MemoryBudget.AvailableBytes();
        if (neededBytes > available)
            throw new EmbedPSException("InsufficientMemory", EmbedPSErrorKind.ResourceUnavailable,
                $"'{path}': reading this artifact needs {MemoryBudget.Format(neededBytes)} for {what}, but this process may use only {MemoryBudget.Format(available)} more " +
                $"({MemoryBudget.Describe()}). Free memory, raise the limit, or rebuild the artifact with a smaller -MaxPartners.") { File = path };
    }
}
