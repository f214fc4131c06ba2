namespace PeerKit.Transports;

/// <summary>
/// A dial found nobody at the address: the port is closed, there is no route, or nothing answered within the dial
/// timeout. The node reports it as <see cref="DisconnectReason.NetworkError"/> on every transport.
/// </summary>
public sealed class PeerUnreachableException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="address">The address dialed.</param>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The transport's own error, if any.</param>
    public PeerUnreachableException(NodeAddress address, string message, Exception? innerException = null)
        : base($"{address}: {message}", innerException)
    {
        Address = address;
    }

    /// <summary>The address dialed.</summary>
    public NodeAddress Address { get; }
}
