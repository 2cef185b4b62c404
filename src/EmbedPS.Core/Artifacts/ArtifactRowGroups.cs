using EmbedPS.Core.Common;
using Parquet;

namespace EmbedPS.Core.Artifacts;

/// <summary>
/// An artifact opened by <see cref="ParquetArtifact.Open"/>: frame, footer and content hash already verified; its row groups are
/// read one at a time (<see cref="ReadRowGroup"/>) or all at once (<see cref="ReadAll"/>). Dispose it to close the file.
/// </summary>
public sealed class ArtifactRowGroups : IDisposable
{
    private readonly FileStream _stream;
    private readonly ParquetReader _reader;
    private readonly long[] _groupRows;
    private readonly long[] _groupStarts;
    private readonly Dictionary<string, Array> _buffers = new(StringComparer.Ordinal);

    internal ArtifactRowGroups(FileStream stream, ParquetReader reader, string path, ArtifactKind kind, int schema, Provenance provenance,
        IReadOnlyDictionary<string, string> metadata, long[] groupRows, long rowCount)
    {
        _stream = stream;
        _reader = reader;
        _groupRows = groupRows;
        _groupStarts = new long[groupRows.Length];
        for (int g = 1; g < groupRows.Length; g++) _groupStarts[g] = _groupStarts[g - 1] + groupRows[g - 1];
        Path = path;
        Kind = kind;
        Schema = schema;
        Provenance = provenance;
        Metadata = metadata;
        RowCount = rowCount;
        ColumnOrder = reader.Schema.GetDataFields().Select(f => f.Name).ToArray();
    }

    public string Path { get; }
    public ArtifactKind Kind { get; }
    public int Schema { get; }
    public Provenance Provenance { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }
    public IReadOnlyList<string> ColumnOrder { get; }
    public long RowCount { get; }
    public int RowGroupCount => _groupRows.Length;
    public long RowGroupRowCount(int rowGroup) => _groupRows[rowGroup];
    public long RowGroupStart(int rowGroup) => _groupStarts[rowGroup];

    /// <summary>
    /// One row group's columns (<paramref name="columns"/>, or all), as a table whose <see cref="ArtifactTable.FirstRow"/> is the
    /// group's first row. The column arrays are reused by the next call: copy what must outlive it.
    /// </summary>
    public ArtifactTable ReadRowGroup(int rowGroup, IReadOnlyList<string>? columns = null, CancellationToken cancellation = default)
    {
        cancellation.ThrowIfCancellationRequested();
        try
        {
            var values = ParquetArtifact.ReadGroupColumns(_reader, rowGroup, columns ?? ColumnOrder, _buffers, Path, _groupStarts[rowGroup], cancellation);
            return new ArtifactTable
            {
                Path = Path, Kind = Kind, Schema = Schema, Provenance = Provenance, Metadata = Metadata,
                Columns = values, ColumnOrder = ColumnOrder, RowCount = _groupRows[rowGroup], FirstRow = _groupStarts[rowGroup],
            };
        }
        catch (EmbedPSException) { throw; }
        catch (OperationCanceledException) { throw; }
        catch (Exception ex) { throw ParquetArtifact.Unreadable(Path, ex); }
    }

    /// <summary>
    /// The whole table, checked by <c>ArtifactValidation.CheckColumns</c>: the first problem is thrown, or, with
    /// <paramref name="collect"/>, every problem is added there and the table is returned anyway.
    /// </summary>
    public ArtifactTable ReadAll(CancellationToken cancellation = default, List<ArtifactProblem>? collect = null)
    {
        ArtifactTable result;
        try
        {
            _stream.Position = 0;
            var table = ParquetArtifact.ReadAllColumns(_reader, Path, cancellation, out var order, out var rows);
            result = new ArtifactTable
            {
                Path = Path, Kind = Kind, Schema = Schema, Provenance = Provenance, Metadata = Metadata,
                Columns = table, ColumnOrder = order, RowCount = rows,
            };
        }
        catch (EmbedPSException) { throw; }
        catch (OperationCanceledException) { throw; }
        catch (Exception ex) { throw ParquetArtifact.Unreadable(Path, ex); }
        var problems = collect ?? new List<ArtifactProblem>();
        ArtifactValidation.CheckColumns(result, problems);
        if (collect is null && problems.Count > 0) throw problems[0].ToException();
        return result;
    }

    public void Dispose()
    {
        ParquetSync.Dispose(_reader);
        _stream.Dispose();
    }
}
