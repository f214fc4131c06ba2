using System.Net;

namespace PeerKit.Links;

/// <summary>
/// One secured, bidirectional message link to one remote node: it carries frames (opaque byte strings, such as
/// a session's <c>[varint code][payload]</c>) with a delivery class. Implementations: <see cref="MemoryLink"/>
/// (in-process pair), <see cref="Tcp.TcpLink"/> (TCP with a Noise XX handshake); UDP, relay and radio links
/// implement the same interface later.
/// </summary>
/// <remarks>
/// <para><b>Sending.</b> <see cref="SendAsync"/> is safe to call from several threads at once; frames from one
/// thread are sent in the order of the calls. The caller may reuse the frame's memory as soon as the returned
/// task completes. A send waits (back-pressure) while the link's queues or the transport are full.</para>
/// <para><b>Receiving.</b> <see cref="ReceiveAsync"/> and <see cref="TryReceive"/> hand out pooled
/// <see cref="LinkFrame"/>s that the caller disposes. While nobody receives, the link stops reading from the
/// transport once its bounded receive queue is full, which pushes back on the sender.</para>
/// <para><b>Delivery classes.</b> A link honours at least what <see cref="Reliability"/> asks for: links whose
/// <see cref="LinkCapabilities.IsReliableStream"/> is true carry every class, <see cref="Reliability.Unreliable"/>
/// and <see cref="Reliability.UnreliableSequenced"/> included, reliably and in order.</para>
/// <para><b>Closing.</b> Disposing closes the link (<see cref="LinkCloseReason.Requested"/>) and discards frames
/// not yet received. When the remote side closes, or the transport fails, frames already received can still be
/// received; then <see cref="ReceiveAsync"/> throws <see cref="LinkClosedException"/> with the reason. Sends
/// after the link closed throw <see cref="LinkClosedException"/>. <see cref="Completion"/> completes, with the
/// reason, as soon as the link closes.</para>
/// </remarks>
public interface IMessageLink : IAsyncDisposable
{
    /// <summary>The local node's identity on this link.</summary>
    NodeId LocalId { get; }

    /// <summary>The remote node's identity: for network links, authenticated by the handshake.</summary>
    NodeId RemoteId { get; }

    /// <summary>The remote transport address, or <c>null</c> when the link has none (in-process links).</summary>
    EndPoint? RemoteAddress { get; }

    /// <summary>What the link guarantees and how large its frames may be.</summary>
    LinkCapabilities Capabilities { get; }

    /// <summary>Completes, never faulted, with the reason the link closed, as soon as it closes.</summary>
    Task<LinkCloseReason> Completion { get; }

    /// <summary>Sends one frame with the delivery class <paramref name="reliability"/>.</summary>
    /// <param name="frame">The frame's bytes; at most <see cref="LinkCapabilities.MaxFrameSize"/> of them.</param>
    /// <param name="reliability">The delivery class. Stream links deliver every class reliably and in order.</param>
    /// <param name="cancellationToken">Cancels waiting for room. Cancelling a frame that a stream link has started
    /// writing closes the link (<see cref="LinkCloseReason.Aborted"/>), since the stream is left mid-frame.</param>
    /// <exception cref="FrameTooLargeException">The frame is longer than <see cref="LinkCapabilities.MaxFrameSize"/>;
    /// the link stays open.</exception>
    /// <exception cref="LinkClosedException">The link is closed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    ValueTask SendAsync(ReadOnlyMemory<byte> frame, Reliability reliability = Reliability.ReliableOrdered, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sends a frame already encoded in <paramref name="buffer"/>, rented from <see cref="System.Buffers.ArrayPool{T}.Shared"/>,
    /// and hands the buffer over: a link that keeps frames until they are sent or acknowledged keeps this buffer
    /// instead of a copy (the message is encoded once), and returns it to the pool when done, on every path (also when
    /// this throws or the returned task faults). Otherwise the same as <see cref="SendAsync"/>.
    /// </summary>
    internal ValueTask SendPooledAsync(byte[] buffer, int length, Reliability reliability, CancellationToken cancellationToken)
    {
        ValueTask send;
        try
        {
            send = SendAsync(buffer.AsMemory(0, length), reliability, cancellationToken);
        }
        catch
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }

        if (send.IsCompleted)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            return send;
        }

        return AwaitThenReturn(send, buffer);

        static async ValueTask AwaitThenReturn(ValueTask send, byte[] buffer)
        {
            try
            {
                await send.ConfigureAwait(false);
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>Waits for the next frame. The caller owns it and must dispose it.</summary>
    /// <exception cref="LinkClosedException">The link is closed and every frame it received has been received.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; the link stays open.</exception>
    ValueTask<LinkFrame> ReceiveAsync(CancellationToken cancellationToken = default);

    /// <summary>Takes the next frame if one is waiting. The caller owns it and must dispose it.</summary>
    /// <returns><c>false</c> when no frame is waiting (whether or not the link is closed).</returns>
    bool TryReceive(out LinkFrame frame);
}
