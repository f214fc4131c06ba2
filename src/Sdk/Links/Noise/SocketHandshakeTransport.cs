using System.Net.Sockets;

namespace PeerKit.Links.Noise;

/// <summary>
/// A connected socket as an <see cref="IHandshakeTransport"/>: one <see cref="SocketAsyncEventArgs"/>, whose result is
/// an error code rather than an exception, and one deadline for the whole handshake. When the deadline passes or the
/// token is cancelled, the read or write in progress is abandoned: the caller must then close the socket (which
/// completes it) before disposing this.
/// </summary>
internal sealed class SocketHandshakeTransport : IHandshakeTransport, IDisposable
{
    private readonly Socket _socket;
    private readonly SocketAsyncEventArgs _args = new();
    private readonly CancellationTokenSource _waits;
    private readonly Task _deadline;
    private readonly CancellationToken _cancellationToken;
    private TaskCompletionSource? _completion;
    private bool _abandoned;

    /// <param name="socket">A connected stream socket; not disposed by this.</param>
    /// <param name="timeout">The deadline for everything read and written through this.</param>
    /// <param name="cancellationToken">Ends waits early.</param>
    public SocketHandshakeTransport(Socket socket, TimeSpan timeout, CancellationToken cancellationToken)
    {
        _socket = socket;
        _cancellationToken = cancellationToken;
        _waits = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _deadline = Task.Delay(timeout, _waits.Token);
        _args.Completed += static (_, e) => ((SocketHandshakeTransport)e.UserToken!)._completion!.TrySetResult();
        _args.UserToken = this;
    }

    /// <inheritdoc/>
    public HandshakeFailure Failure { get; private set; } = HandshakeFailure.ConnectionClosed;

    /// <inheritdoc/>
    public bool Cancelled { get; private set; }

    /// <inheritdoc/>
    public async ValueTask<bool> ReadExactlyAsync(Memory<byte> buffer)
    {
        while (buffer.Length > 0)
        {
            if (!await RunAsync(buffer, receive: true).ConfigureAwait(false))
            {
                return false;
            }

            if (_args.BytesTransferred == 0)
            {
                Failure = HandshakeFailure.ConnectionClosed; // the peer closed
                return false;
            }

            buffer = buffer[_args.BytesTransferred..];
        }

        return true;
    }

    /// <inheritdoc/>
    public async ValueTask<bool> WriteAsync(ReadOnlyMemory<byte> bytes)
    {
        while (bytes.Length > 0)
        {
            if (!await RunAsync(System.Runtime.InteropServices.MemoryMarshal.AsMemory(bytes), receive: false).ConfigureAwait(false))
            {
                return false;
            }

            if (_args.BytesTransferred == 0)
            {
                Failure = HandshakeFailure.ConnectionClosed;
                return false;
            }

            bytes = bytes[_args.BytesTransferred..];
        }

        return true;
    }

    /// <summary>Releases the event args, unless an abandoned operation still holds them (closing the socket ends it).</summary>
    public void Dispose()
    {
        _waits.Cancel(); // stops the deadline's timer
        _waits.Dispose();
        if (!_abandoned)
        {
            _args.Dispose();
        }
    }

    private async ValueTask<bool> RunAsync(Memory<byte> buffer, bool receive)
    {
        if (_abandoned || _deadline.IsCompleted)
        {
            return Fail();
        }

        _args.SetBuffer(buffer);
        var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _completion = completion;
        bool pending;
        try
        {
            pending = receive ? _socket.ReceiveAsync(_args) : _socket.SendAsync(_args);
        }
        catch (ObjectDisposedException)
        {
            // The socket was closed under the handshake (the listener stopping): not the peer's doing.
            Failure = HandshakeFailure.ConnectionClosed;
            return false;
        }

        if (pending && await Task.WhenAny(completion.Task, _deadline).ConfigureAwait(false) != completion.Task)
        {
            _abandoned = true; // the caller closes the socket, which completes the operation
            return Fail();
        }

        if (_args.SocketError != SocketError.Success)
        {
            Failure = HandshakeFailure.ConnectionClosed;
            return false;
        }

        return true;
    }

    private bool Fail()
    {
        Cancelled = _cancellationToken.IsCancellationRequested;
        Failure = Cancelled ? HandshakeFailure.ConnectionClosed : HandshakeFailure.Timeout;
        return false;
    }
}
