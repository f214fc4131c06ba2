namespace PeerKit.WifiDirect;

/// <summary>
/// A failed P2P call, carrying OpenHarmony's error code (<see cref="Code"/>, e.g. 2801000) and PeerKit's reason
/// (<see cref="Failure"/>). The message says what happened and what to do.
/// </summary>
public sealed class WifiP2pException : Exception
{
    /// <summary>Initializes a new instance with <see cref="WifiP2pErrorCode.OperationFailed"/>.</summary>
    public WifiP2pException()
        : this(WifiP2pErrorCode.OperationFailed, WifiP2pFailure.Refused, "The Wi-Fi P2P operation failed.")
    {
    }

    /// <summary>Initializes a new instance with <see cref="WifiP2pErrorCode.OperationFailed"/> and a message.</summary>
    /// <param name="message">What failed.</param>
    public WifiP2pException(string? message)
        : this(WifiP2pErrorCode.OperationFailed, WifiP2pFailure.Refused, message)
    {
    }

    /// <summary>Initializes a new instance with <see cref="WifiP2pErrorCode.OperationFailed"/>, a message and a cause.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The cause.</param>
    public WifiP2pException(string? message, Exception? innerException)
        : this(WifiP2pErrorCode.OperationFailed, WifiP2pFailure.Refused, message, innerException)
    {
    }

    /// <summary>Initializes a new instance.</summary>
    /// <param name="code">OpenHarmony's error code.</param>
    /// <param name="failure">PeerKit's reason.</param>
    /// <param name="message">What failed and what to do.</param>
    /// <param name="innerException">The cause, if any.</param>
    public WifiP2pException(WifiP2pErrorCode code, WifiP2pFailure failure, string? message, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
        Failure = failure;
        HResult = (int)code;
    }

    /// <summary>OpenHarmony's error code: 2801000 operation failed, 401 invalid parameter, 801 not supported, …</summary>
    public WifiP2pErrorCode Code { get; }

    /// <summary>PeerKit's more precise reason.</summary>
    public WifiP2pFailure Failure { get; }
}
