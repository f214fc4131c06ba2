using System.Net;
using System.Runtime.CompilerServices;

namespace PeerKit.Links;

/// <summary>
/// One end of an in-process link pair (go-ethereum's <c>MsgPipe</c>): what one end sends, the other receives,
/// through a bounded queue. For tests and for nodes in one process.
/// </summary>
/// <remarks>
/// A memory link is a reliable stream (<see cref="LinkCapabilities.IsReliableStream"/>) and is not encrypted
/// (<see cref="LinkCapabilities.IsSecure"/> is false; the ids are whatever <see cref="CreatePair(NodeId, NodeId, LinkOptions?)"/>
/// was given). Each send copies the frame into a pooled buffer that the receiver owns. When the receiving end's
/// queue (<see cref="LinkOptions.ReceiveQueueCapacity"/>) is full, sends wait. Disposing one end closes both:
/// it discards its own unreceived frames; the other end can still receive the frames already queued to it,
/// then its receives throw <see cref="LinkClosedException"/> with <see cref="LinkCloseReason.RemoteClosed"/>.
/// </remarks>
public sealed class MemoryLink : IMessageLink
{
    private readonly LinkInbox _inbox;
    private readonly LinkCapabilities _capabilities;
    private MemoryLink _peer = null!;

    private MemoryLink(NodeId localId, NodeId remoteId, LinkOptions options)
    {
        LocalId = localId;
        RemoteId = remoteId;
        _inbox = new LinkInbox(options.ReceiveQueueCapacity);
        _capabilities = new LinkCapabilities
        {
            IsReliableStream = true,
            IsSecure = false,
            MaxFrameSize = options.MaxFrameSize,
            MaxUnreliableFrameSize = options.MaxFrameSize,
        };
    }

    /// <inheritdoc/>
    public NodeId LocalId { get; }

    /// <inheritdoc/>
    public NodeId RemoteId { get; }

    /// <inheritdoc/>
    /// <remarks>Always <c>null</c>: a memory link has no transport address.</remarks>
    public EndPoint? RemoteAddress => null;

    /// <inheritdoc/>
    public LinkCapabilities Capabilities => _capabilities;

    /// <inheritdoc/>
    public Task<LinkCloseReason> Completion => _inbox.Completion;

    /// <summary>Creates two connected ends with random (unauthenticated) ids.</summary>
    /// <param name="options">Frame size limit and queue capacity for both ends; <c>null</c> for the defaults.</param>
    public static (MemoryLink First, MemoryLink Second) CreatePair(LinkOptions? options = null)
    {
        Span<byte> bytes = stackalloc byte[NodeId.Size];
        System.Security.Cryptography.RandomNumberGenerator.Fill(bytes);
        NodeId first = new(bytes);
        System.Security.Cryptography.RandomNumberGenerator.Fill(bytes);
        return CreatePair(first, new NodeId(bytes), options);
    }

    /// <summary>Creates two connected ends.</summary>
    /// <param name="firstId">The first end's <see cref="LocalId"/> (the second end's <see cref="RemoteId"/>).</param>
    /// <param name="secondId">The second end's <see cref="LocalId"/> (the first end's <see cref="RemoteId"/>).</param>
    /// <param name="options">Frame size limit and queue capacity for both ends; <c>null</c> for the defaults.</param>
    public static (MemoryLink First, MemoryLink Second) CreatePair(NodeId firstId, NodeId secondId, LinkOptions? options = null)
    {
        options ??= new LinkOptions();
        var first = new MemoryLink(firstId, secondId, options);
        var second = new MemoryLink(secondId, firstId, options);
        first._peer = second;
        second._peer = first;
        return (first, second);
    }

    /// <inheritdoc/>
    public ValueTask SendAsync(ReadOnlyMemory<byte> frame, Reliability reliability = Reliability.ReliableOrdered, CancellationToken cancellationToken = default)
    {
        if (frame.Length > _capabilities.MaxFrameSize)
        {
            return ValueTask.FromException(new FrameTooLargeException(frame.Length, _capabilities.MaxFrameSize));
        }

        if (_inbox.IsClosed)
        {
            return ValueTask.FromException(_inbox.CreateClosedException());
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        LinkFrame copy = LinkFrame.Copy(frame.Span);
        ValueTask<bool> enqueued = _peer._inbox.EnqueueAsync(copy, cancellationToken);
        if (enqueued.IsCompletedSuccessfully)
        {
            return enqueued.Result ? default : ValueTask.FromException(OnPeerGone());
        }

        return AwaitEnqueueAsync(enqueued);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask AwaitEnqueueAsync(ValueTask<bool> enqueued)
    {
        if (!await enqueued.ConfigureAwait(false))
        {
            throw OnPeerGone();
        }
    }

    /// <inheritdoc/>
    public ValueTask<LinkFrame> ReceiveAsync(CancellationToken cancellationToken = default) => _inbox.ReceiveAsync(cancellationToken);

    /// <inheritdoc/>
    public bool TryReceive(out LinkFrame frame) => _inbox.TryReceive(out frame);

    /// <summary>Closes both ends (see the remarks on <see cref="MemoryLink"/>).</summary>
    public ValueTask DisposeAsync()
    {
        _inbox.Close(LinkCloseReason.Requested, null, discardPending: true);
        _peer._inbox.Close(LinkCloseReason.RemoteClosed, null, discardPending: false);
        return default;
    }

    /// <inheritdoc/>
    public override string ToString() => $"memory link {LocalId:s} → {RemoteId:s}";

    private LinkClosedException OnPeerGone()
    {
        // The peer closed while this send waited; this end is closed by then (DisposeAsync closes both).
        _inbox.Close(LinkCloseReason.RemoteClosed, null, discardPending: false);
        return _inbox.CreateClosedException();
    }
}
