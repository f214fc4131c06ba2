namespace PeerKit;

/// <summary>
/// A radio failed: no Crazyradio, no permission, old firmware, no libusb, a frame too large, an unacknowledged send.
/// <see cref="Error"/> says which; the message says what to do.
/// </summary>
public sealed class RadioException : Exception
{
    /// <summary>Initializes a new instance with <see cref="RadioError.Io"/> and a default message.</summary>
    public RadioException()
        : this(RadioError.Io, "The radio failed.")
    {
    }

    /// <summary>Initializes a new instance with <see cref="RadioError.Io"/>.</summary>
    /// <param name="message">What failed and what to do.</param>
    public RadioException(string? message)
        : this(RadioError.Io, message)
    {
    }

    /// <summary>Initializes a new instance with <see cref="RadioError.Io"/> and an inner exception.</summary>
    /// <param name="message">What failed and what to do.</param>
    /// <param name="innerException">The cause.</param>
    public RadioException(string? message, Exception? innerException)
        : base(message, innerException) => Error = RadioError.Io;

    /// <summary>Initializes a new instance.</summary>
    /// <param name="error">What went wrong.</param>
    /// <param name="message">What failed and what to do.</param>
    public RadioException(RadioError error, string? message)
        : base(message) => Error = error;

    /// <summary>What went wrong.</summary>
    public RadioError Error { get; }

    /// <summary>Maps a native <c>pk_radio_status</c> to an error.</summary>
    internal static RadioError FromStatus(int status) => status switch
    {
        -2 => RadioError.OutOfMemory,
        -3 => RadioError.TooLarge,
        -4 => RadioError.NoLibUsb,
        -5 => RadioError.NoDevice,
        -6 => RadioError.NoPermission,
        -7 => RadioError.OldFirmware,
        -8 => RadioError.Io,
        -9 => RadioError.Unsupported,
        -10 => RadioError.Socket,
        -11 => RadioError.InUse,
        _ => RadioError.InvalidArgument,
    };
}
