using System.IO.Compression;

namespace EmbedPS.Bench;

/// <summary>
/// Fashion-MNIST (70,000 × 784 pixels, 10 labels) from the Debian package dataset-fashion-mnist
/// (/usr/share/datasets/fashion-mnist, IDX files). Cases that need it are skipped with a message when it is absent.
/// </summary>
public static class FashionMnist
{
    public const string Folder = "/usr/share/datasets/fashion-mnist";
    private static (float[] Pixels, int[] Labels, int Count)? s_cache;

    public static bool Available => File.Exists(Path.Combine(Folder, "train-images-idx3-ubyte.gz"));

    /// <summary>Row-major 70,000 × 784 pixels scaled to [0, 1], train then test, and their labels.</summary>
    public static (float[] Pixels, int[] Labels, int Count) Load()
    {
        if (s_cache is { } cached) return cached;
        if (!Available) throw new FileNotFoundException($"Fashion-MNIST not found in {Folder}; install it with 'apt-get install dataset-fashion-mnist'.");
        var (trainPixels, trainCount) = ReadImages(Path.Combine(Folder, "train-images-idx3-ubyte.gz"));
        var (testPixels, testCount) = ReadImages(Path.Combine(Folder, "t10k-images-idx3-ubyte.gz"));
        var trainLabels = ReadLabels(Path.Combine(Folder, "train-labels-idx1-ubyte.gz"));
        var testLabels = ReadLabels(Path.Combine(Folder, "t10k-labels-idx1-ubyte.gz"));
        int count = trainCount + testCount;
        var pixels = new float[count * 784];
        for (int i = 0; i < trainPixels.Length; i++) pixels[i] = trainPixels[i] / 255f;
        for (int i = 0; i < testPixels.Length; i++) pixels[trainPixels.Length + i] = testPixels[i] / 255f;
        var labels = trainLabels.Concat(testLabels).Select(b => (int)b).ToArray();
        s_cache = (pixels, labels, count);
        return s_cache.Value;
    }

    private static byte[] ReadAll(string path)
    {
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var memory = new MemoryStream();
        gz.CopyTo(memory);
        return memory.ToArray();
    }

    private static int BigEndian(byte[] b, int offset) => (b[offset] << 24) | (b[offset + 1] << 16) | (b[offset + 2] << 8) | b[offset + 3];

    private static (byte[] Pixels, int Count) ReadImages(string path)
    {
        var bytes = ReadAll(path);
        if (BigEndian(bytes, 0) != 2051) throw new InvalidDataException($"{path}: not an IDX image file.");
        int count = BigEndian(bytes, 4), rows = BigEndian(bytes, 8), cols = BigEndian(bytes, 12);
        if (rows * cols != 784) throw new InvalidDataException($"{path}: expected 28×28 images.");
        return (bytes.AsSpan(16, count * 784).ToArray(), count);
    }

    private static byte[] ReadLabels(string path)
    {
        var bytes = ReadAll(path);
        if (BigEndian(bytes, 0) != 2049) throw new InvalidDataException($"{path}: not an IDX label file.");
        int count = BigEndian(bytes, 4);
        return bytes.AsSpan(8, count).ToArray();
    }
}
