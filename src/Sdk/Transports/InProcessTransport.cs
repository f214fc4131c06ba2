using PeerKit.Links;

namespace PeerKit.Transports;

/// <summary>
/// The <c>inproc</c> scheme: nodes in one process reach each other over <see cref="MemoryLink"/> pairs (no sockets,
/// no encryption) through an <see cref="InProcessNetwork"/>, by addresses such as <c>inproc://alice:0</c> (a port of 0
/// is replaced by a free number). Links are not secure: the ids are the nodes' own, trusted because the process is.
/// </summary>
public sealed class InProcessTransport : IPeerTransport
{
    private readonly PeerTransportContext _context;
    private readonly InProcessNetwork _network;

    /// <summary>Creates the transport for one node, on <paramref name="network"/> (the process-wide <see cref="InProcessNetwork.Shared"/> when null).</summary>
    public InProcessTransport(PeerTransportContext context, InProcessNetwork? network = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        _context = context;
        _network = network ?? InProcessNetwork.Shared;
    }

    /// <inheritdoc/>
    public string Scheme => NodeAddress.InProcess;

    /// <inheritdoc/>
    public Task<IPeerListener> ListenAsync(NodeAddress address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        return Task.FromResult<IPeerListener>(_network.Listen(address, _context.LocalId, _context.MaxPendingHandshakes));
    }

    /// <inheritdoc/>
    public Task<IMessageLink> ConnectAsync(NodeAddress address, NodeId? expectedId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(_network.Connect(address, _context.LocalId, expectedId, options: null));
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => default;
}
