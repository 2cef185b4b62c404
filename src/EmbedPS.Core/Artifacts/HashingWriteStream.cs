namespace EmbedPS.Core.Artifacts;

/// <summary>A write-through stream that hashes every byte written, in order; <see cref="CurrentHash"/> is null after a seek backwards.</summary>
internal sealed class HashingWriteStream(Stream inner) : Stream
{
    private readonly System.Security.Cryptography.IncrementalHash _hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
    private bool _broken;

    public string? CurrentHash() => _broken ? null : Convert.ToHexStringLower(_hash.GetCurrentHash());
    public override bool CanRead => false;
    public override bool CanSeek => inner.CanSeek;
    public override bool CanWrite => true;
    public override long Length => inner.Length;
    public override long Position
    {
        get => inner.Position;
        set { if (value != inner.Position) _broken = true; inner.Position = value; }
    }
    public override void Flush() => inner.Flush();
    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin)
    {
        long before = inner.Position;
        long after = inner.Seek(offset, origin);
        if (after != before) _broken = true;
        return after;
    }
    public override void SetLength(long value) { _broken = true; inner.SetLength(value); }
    public override void Write(byte[] buffer, int offset, int count) { _hash.AppendData(buffer, offset, count); inner.Write(buffer, offset, count); }
    public override void Write(ReadOnlySpan<byte> buffer) { _hash.AppendData(buffer); inner.Write(buffer); }
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _hash.AppendData(buffer.Span);
        await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
    }
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    public override void WriteByte(byte value) { Span<byte> one = [value]; Write(one); }
    protected override void Dispose(bool disposing) { if (disposing) _hash.Dispose(); base.Dispose(disposing); }
}
