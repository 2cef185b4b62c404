namespace EmbedPS.Core.Common;

/// <summary>What kind of failure, so that the cmdlets can pick an ErrorCategory.</summary>
public enum EmbedPSErrorKind
{
    InvalidData,
    InvalidArgument,
    ObjectNotFound,
    ResourceUnavailable,
    NotSupported,
    /// <summary>The target exists and may not be overwritten (-NoClobber).</summary>
    ResourceExists,
    /// <summary>The target is read-only or its folder cannot be written.</summary>
    PermissionDenied,
}

/// <summary>
/// A failure whose message already tells the user what went wrong and where
/// (file, line or row, column, value). The cmdlets turn it into an ErrorRecord with <see cref="ErrorId"/>.
/// </summary>
public class EmbedPSException : Exception
{
    public EmbedPSException(string errorId, EmbedPSErrorKind kind, string message, Exception? inner = null)
        : base(message, inner)
    {
        ErrorId = errorId;
        Kind = kind;
    }

    public string ErrorId { get; }
    public EmbedPSErrorKind Kind { get; }

    /// <summary>The file the error is about, when there is one.</summary>
    public string? File { get; init; }
    /// <summary>1-based line or row, when known.</summary>
    public long? Row { get; init; }
    public string? Column { get; init; }
    public string? Value { get; init; }
}
