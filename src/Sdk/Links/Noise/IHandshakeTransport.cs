namespace PeerKit.Links.Noise;

/// <summary>
/// The bytes under a stream handshake (<see cref="StreamHandshake"/>). Reads and writes report a closed, failed or
/// timed-out connection by returning false (and <see cref="Failure"/>), not by throwing, so that rejecting a bad
/// connection costs no exception (issue 13, finding 9).
/// </summary>
internal interface IHandshakeTransport
{
    /// <summary>Why the last read or write returned false: <see cref="HandshakeFailure.ConnectionClosed"/> or <see cref="HandshakeFailure.Timeout"/>.</summary>
    HandshakeFailure Failure { get; }

    /// <summary>Whether the caller's cancellation token (not the handshake's deadline) ended the last read or write.</summary>
    bool Cancelled { get; }

    /// <summary>Fills <paramref name="buffer"/>; false when the connection closed, failed or the deadline passed first.</summary>
    ValueTask<bool> ReadExactlyAsync(Memory<byte> buffer);

    /// <summary>Writes <paramref name="bytes"/>; false when the connection failed or the deadline passed first.</summary>
    ValueTask<bool> WriteAsync(ReadOnlyMemory<byte> bytes);
}
