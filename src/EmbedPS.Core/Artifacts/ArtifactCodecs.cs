using System.Collections.Concurrent;

namespace EmbedPS.Core.Artifacts;

/// <summary>
/// One artifact kind's reader and writer, owned by the stage that produces it (Collections, Cooccurrence, NeighborPreservation,
/// Mde, Projection) and registered with <see cref="ArtifactCodecs"/> when EmbedPS.Core loads.
/// </summary>
public sealed class ArtifactCodec
{
    internal ArtifactCodec(ArtifactKind kind, Type objectType, Func<ArtifactTable, object> fromTable,
        Func<ArtifactRowGroups, CancellationToken, object>? read, Action<object, string, CancellationToken> write)
    {
        Kind = kind; ObjectType = objectType; _fromTable = fromTable; _read = read; _write = write;
    }

    private readonly Func<ArtifactTable, object> _fromTable;
    private readonly Func<ArtifactRowGroups, CancellationToken, object>? _read;
    private readonly Action<object, string, CancellationToken> _write;

    public ArtifactKind Kind { get; }

    /// <summary>The stage object this kind reads back as (EntityCollectionSet, CooccurrenceMatrix, …).</summary>
    public Type ObjectType { get; }

    /// <summary>The typed object from a table read whole (every check the stage makes on import).</summary>
    public object FromTable(ArtifactTable table) => _fromTable(table);

    /// <summary>The typed object from an opened file: one row group at a time where the stage streams, else the whole table.</summary>
    public object Read(ArtifactRowGroups file, CancellationToken cancellation) =>
        _read is { } read ? read(file, cancellation) : _fromTable(file.ReadAll(cancellation));

    public void Write(object stageObject, string path, CancellationToken cancellation) => _write(stageObject, path, cancellation);
}

/// <summary>
/// The registry of artifact codecs. It sits below the stages so that <see cref="ArtifactStore"/> reads and writes every kind
/// without knowing them: each stage registers its codec from a module initializer in its own *Artifact.cs.
/// </summary>
public static class ArtifactCodecs
{
    private static readonly ConcurrentDictionary<ArtifactKind, ArtifactCodec> ByKind = new();

    /// <summary>Registers a stage's codec (once per kind; a module initializer calls this when EmbedPS.Core loads).</summary>
    public static void Register<T>(ArtifactKind kind, Func<ArtifactTable, T> fromTable, Action<T, string, CancellationToken> write,
        Func<ArtifactRowGroups, CancellationToken, T>? read = null) where T : class
    {
        var codec = new ArtifactCodec(kind, typeof(T), table => fromTable(table),
            read is null ? null : (file, ct) => read(file, ct), (o, path, ct) => write((T)o, path, ct));
        if (!ByKind.TryAdd(kind, codec)) throw new InvalidOperationException($"A codec for {kind} artifacts is already registered.");
    }

    /// <summary>The codec of a kind.</summary>
    public static ArtifactCodec For(ArtifactKind kind) =>
        ByKind.TryGetValue(kind, out var codec) ? codec : throw new NotSupportedException(kind.ToString());

    /// <summary>The codec whose object type the stage object is, or null when it is no EmbedPS stage object.</summary>
    public static ArtifactCodec? ForObject(object stageObject)
    {
        foreach (var codec in ByKind.Values) if (codec.ObjectType.IsInstanceOfType(stageObject)) return codec;
        return null;
    }

    /// <summary>The registered kinds.</summary>
    public static IReadOnlyCollection<ArtifactKind> Kinds => ByKind.Keys.ToArray();
}
