using EmbedPS.Core.Collections;
using EmbedPS.Core.Common;
using EmbedPS.Core.Cooccurrence;
using EmbedPS.Core.NeighborPreservation;

namespace EmbedPS.Bench.Peers;

/// <summary>
/// The input and output files the peer rows share with the peer scripts (bench/peers/io_formats.md): plain
/// little-endian arrays, so neither side's time includes parsing the other's format.
/// </summary>
public static class PeerFiles
{
    public static void WriteIncidence(string path, EntityCollectionSet set)
    {
        using var writer = new BinaryWriter(File.Create(path));
        writer.Write(set.CollectionCount);
        writer.Write(set.EntityCount);
        foreach (var offset in set.CollectionOffsets) writer.Write(offset);
        foreach (var member in set.Members) writer.Write(member);
    }

    public static EntityCollectionSet ReadIncidence(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        int collections = reader.ReadInt32(), entities = reader.ReadInt32();
        var offsets = ReadInts(reader, collections + 1);
        var members = ReadInts(reader, offsets[^1]);
        return new EntityCollectionSet(Ids(entities), Ids(collections), offsets, members);
    }

    /// <summary>The pairs i &lt; j of a symmetric co-occurrence matrix with their counts.</summary>
    public static void WriteCounts(string path, CooccurrenceMatrix matrix)
    {
        using var writer = new BinaryWriter(File.Create(path));
        writer.Write(matrix.EntityCount);
        writer.Write((int)matrix.PairCount);
        for (int i = 0; i < matrix.EntityCount; i++)
        {
            for (long t = matrix.RowOffsets[i]; t < matrix.RowOffsets[i + 1]; t++)
            {
                int j = matrix.ColumnIndices[t];
                if (j <= i) continue;
                writer.Write(i); writer.Write(j); writer.Write(matrix.Weights[t]);
            }
        }
    }

    /// <summary>Reads the pairs back as the symmetric CSR matrix New-CooccurrenceMatrix would hold.</summary>
    public static CooccurrenceMatrix ReadCounts(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        int n = reader.ReadInt32(), pairs = reader.ReadInt32();
        var a = new int[pairs]; var b = new int[pairs]; var w = new float[pairs];
        var degree = new long[n + 1];
        for (int p = 0; p < pairs; p++)
        {
            a[p] = reader.ReadInt32(); b[p] = reader.ReadInt32(); w[p] = reader.ReadSingle();
            degree[a[p] + 1]++; degree[b[p] + 1]++;
        }
        for (int i = 0; i < n; i++) degree[i + 1] += degree[i];
        var offsets = (long[])degree.Clone();
        var fill = (long[])degree.Clone();
        var columns = new int[offsets[n]];
        var weights = new float[offsets[n]];
        for (int p = 0; p < pairs; p++)
        {
            long s = fill[a[p]]++; columns[s] = b[p]; weights[s] = w[p];
            long t = fill[b[p]]++; columns[t] = a[p]; weights[t] = w[p];
        }
        // The pairs come ordered by (i, j), so every row's columns are already ascending: the i < row ones first, then j > row.
        var popularity = Enumerable.Repeat(1, n).ToArray();
        return new CooccurrenceMatrix(Ids(n), popularity, offsets, columns, weights);
    }

    public static void WriteFloats(string path, float[] data, int rows, int columns)
    {
        using var writer = new BinaryWriter(File.Create(path));
        writer.Write(rows); writer.Write(columns);
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan(0, rows * columns));
        writer.Write(bytes);
    }

    public static (float[] Data, int Rows, int Columns) ReadFloats(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        int rows = reader.ReadInt32(), columns = reader.ReadInt32();
        var data = new float[rows * columns];
        reader.BaseStream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()));
        return (data, rows, columns);
    }

    public static void WriteLabels(string path, int[] labels)
    {
        using var writer = new BinaryWriter(File.Create(path));
        writer.Write(labels.Length);
        foreach (var l in labels) writer.Write(l);
    }

    public static int[] ReadLabels(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        return ReadInts(reader, reader.ReadInt32());
    }

    public static void WriteGraph(string path, NeighborGraph graph)
    {
        using var writer = new BinaryWriter(File.Create(path));
        writer.Write(graph.EntityCount); writer.Write(graph.EdgeCount);
        foreach (var v in graph.EdgeSource) writer.Write(v);
        foreach (var v in graph.EdgeTarget) writer.Write(v);
        foreach (var v in graph.Weights) writer.Write(v);
    }

    /// <summary>A graph file as a NeighborGraph (distances are not stored: they only seed starts, unused here).</summary>
    public static NeighborGraph ReadGraph(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        int n = reader.ReadInt32(), m = reader.ReadInt32();
        var source = ReadInts(reader, m);
        var target = ReadInts(reader, m);
        var weights = new float[m];
        reader.BaseStream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(weights.AsSpan()));
        var distances = weights.Select(w => w > 0 ? 1f : 0f).ToArray();
        return new NeighborGraph(Ids(n), new int[n], source, target, weights, distances);
    }

    private static int[] ReadInts(BinaryReader reader, int count)
    {
        var values = new int[count];
        reader.BaseStream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }

    private static EntityIds Ids(int n) => EntityIds.FromIntegers(Enumerable.Range(0, n).Select(i => (long)i).ToArray());
}
