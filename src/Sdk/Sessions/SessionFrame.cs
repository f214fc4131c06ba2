using System.Buffers;
using PeerKit.Links;
using PeerKit.Serialization;

namespace PeerKit.Sessions;

/// <summary>The session frame, <c>[varint code][payload]</c>: encoding into pooled buffers and reading the code.</summary>
internal static class SessionFrame
{
    /// <summary>Codes are below 2^24 (a 4-byte varint at most), far beyond what any session negotiates.</summary>
    public const int MaxCode = (1 << 24) - 1;

    /// <summary>
    /// Messages whose largest encoding is at most this many bytes are written in one pass into a buffer of that size
    /// (a fixed layout in straight-line code, strings transcoded once); larger ones are sized first, so a long string
    /// does not rent three bytes per character.
    /// </summary>
    internal const int OnePassLimit = 16 * 1024;

    /// <summary>Encodes <paramref name="message"/> with <paramref name="code"/> into a buffer rented from the shared pool.</summary>
    public static byte[] Encode<T>(int code, in T message, out int length) where T : IMessage<T>
    {
        int header = WireSize.Varint32((uint)code);
        int bound = T.MaxSize;
        if (bound < 0)
        {
            bound = T.GetSizeBound(in message);
        }

        bool onePass = (uint)bound <= OnePassLimit;
        int size = onePass ? bound : T.GetSize(in message);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(header + size);
        try
        {
            WriteCode(buffer, code);
            int written = MessageSerializer.Write(in message, buffer.AsSpan(header, size));
            length = header + written;
            return buffer;
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    /// <summary>Copies <paramref name="payload"/> behind <paramref name="code"/> into a rented buffer.</summary>
    public static byte[] Encode(int code, ReadOnlySpan<byte> payload, out int length)
    {
        int header = WireSize.Varint32((uint)code);
        length = header + payload.Length;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(length);
        WriteCode(buffer, code);
        payload.CopyTo(buffer.AsSpan(header));
        return buffer;
    }

    /// <summary>Encodes <paramref name="message"/> with <paramref name="code"/> and sends it, reliably and in order.</summary>
    public static async ValueTask SendAsync<T>(IMessageLink link, int code, T message, CancellationToken cancellationToken) where T : IMessage<T>
    {
        byte[] buffer = Encode(code, in message, out int length);
        try
        {
            await link.SendAsync(buffer.AsMemory(0, length), Reliability.ReliableOrdered, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Sends a Disconnect as a courtesy, within <paramref name="timeout"/>; a closed or stuck link is ignored, since it is closed next anyway.</summary>
    public static async ValueTask TrySendDisconnectAsync(IMessageLink link, DisconnectReason reason, TimeSpan timeout)
    {
        if (link.Completion.IsCompleted)
        {
            return;
        }

        try
        {
            using var deadline = new CancellationTokenSource(timeout);
            await SendAsync(link, BaseProtocol.DisconnectCode, new BaseProtocol.Disconnect(reason), deadline.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is LinkException or OperationCanceledException or ObjectDisposedException)
        {
            // Best effort.
        }
    }

    /// <summary>The state a connection ends in for <paramref name="reason"/>: Timeout for a read timeout, else Closed.</summary>
    public static ConnectionState EndState(DisconnectReason reason) =>
        reason == DisconnectReason.ReadTimeout ? ConnectionState.Timeout : ConnectionState.Closed;

    /// <summary>Reads the code at the start of a frame.</summary>
    /// <returns><c>false</c> when the frame is empty or the code is not a varint of at most <see cref="MaxCode"/>.</returns>
    public static bool TryReadCode(ReadOnlySpan<byte> frame, out int code, out int headerLength)
    {
        headerLength = 0;
        if (!Varint.TryRead(frame, ref headerLength, out ulong value) || value > MaxCode)
        {
            code = 0;
            return false;
        }

        code = (int)value;
        return true;
    }

    private static void WriteCode(Span<byte> destination, int code) => Varint.Write(destination, (uint)code);
}
