using System.Buffers.Binary;
using PeerKit.Links.Noise;

namespace PeerKit.Links.Udp;

/// <summary>
/// Both roles of the Noise XX handshake over datagrams (docs/udp.md, "Handshake"). The initiator sends INIT (message
/// 1, echoing a cookie when the responder asked for one with RETRY), reads RESPONSE (message 2) and sends FINISH
/// (message 3), resending its latest packet on a doubling timer until answered; the responder reads INIT, answers
/// with RESPONSE (sent again when INIT comes again) and completes on FINISH. The packet to (re)send is
/// <see cref="Packet"/>. Not thread-safe: the initiator's is used under its link's lock, the responder's under the
/// endpoint's handshake lock. Times in microseconds.
/// </summary>
internal sealed class UdpHandshake : IDisposable
{
    private NoiseHandshake? _noise;
    private long _interval;

    private UdpHandshake(NoiseHandshake noise, byte[] packet, long interval, long deadline)
    {
        _noise = noise;
        Packet = packet;
        _interval = interval;
        Deadline = deadline;
    }

    /// <summary>The packet this side sends (again) now: INIT, RESPONSE or FINISH.</summary>
    public byte[] Packet { get; private set; }

    /// <summary>When the initiator resends <see cref="Packet"/>.</summary>
    public long NextSendAt { get; private set; }

    /// <summary>When the handshake fails for want of an answer.</summary>
    public long Deadline { get; }

    /// <summary>Whether <see cref="Packet"/> is the initiator's INIT (no response read yet).</summary>
    public bool AwaitsResponse => Packet[0] == UdpWire.TypeInit;

    /// <summary>The initiator: builds INIT for <paramref name="localCid"/> with the dialer's cipher; it gives up <paramref name="timeout"/> after <paramref name="now"/>.</summary>
    public static UdpHandshake Initiate(NodeKey localKey, UdpLinkOptions options, uint localCid, long now, TimeSpan timeout)
    {
        Span<byte> prologue = stackalloc byte[9];
        NoiseCipher cipher = options.DialCipher ?? NoiseCipherState.Default;
        WritePrologue(prologue, (byte)cipher, localCid);
        var noise = new NoiseHandshake(cipher, initiator: true, localKey, prologue);
        byte[] packet = new byte[UdpWire.InitSize];
        packet[0] = UdpWire.TypeInit;
        packet[1] = UdpWire.Version;
        packet[2] = (byte)cipher;
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(3), localCid);
        packet[7] = 0;
        noise.WriteMessage(ReadOnlySpan<byte>.Empty, packet.AsSpan(UdpWire.InitHeaderSize));
        return new UdpHandshake(noise, packet, UdpClock.Micros(options.HandshakeRetransmitInterval), now + UdpClock.Micros(timeout));
    }

    /// <summary>The initiator got RETRY: INIT carries its cookie from now on (between the header and message 1).</summary>
    public void EchoCookie(ReadOnlySpan<byte> retry)
    {
        byte[] packet = Packet;
        if (packet[7] == 0)
        {
            packet.AsSpan(UdpWire.InitHeaderSize, NoiseHandshake.PublicKeySize).CopyTo(packet.AsSpan(UdpWire.InitHeaderSize + UdpWire.CookieSize));
        }

        packet[7] = UdpWire.CookieSize;
        retry.Slice(5, UdpWire.CookieSize).CopyTo(packet.AsSpan(UdpWire.InitHeaderSize));
    }

    /// <summary>The throwing form of <see cref="TryReadResponse"/>.</summary>
    /// <exception cref="HandshakeException">The response is malformed, fails authentication, or names another node.</exception>
    public UdpSession ReadResponse(ReadOnlySpan<byte> response, UdpLinkOptions options, uint localCid, NodeId? expectedRemoteId)
        => TryReadResponse(response, options, localCid, expectedRemoteId, out HandshakeException? failure)
            ?? throw (failure ?? new HandshakeException(HandshakeFailure.AuthenticationFailed, NoiseHandshake.Describe(HandshakeFailure.AuthenticationFailed, 1)));

    /// <summary>
    /// The initiator got RESPONSE: reads message 2, checks the responder is <paramref name="expectedRemoteId"/> (before
    /// revealing this side's static key), and makes <see cref="Packet"/> FINISH (message 3), with the retransmission
    /// timer restarted. Null, without throwing, when it fails: with <paramref name="failure"/> null when the message did
    /// not authenticate (it changed nothing: the real response may still come), or the failure that ends the handshake
    /// (an authenticated response with a bad payload, or another node), made but not thrown.
    /// </summary>
    public UdpSession? TryReadResponse(ReadOnlySpan<byte> response, UdpLinkOptions options, uint localCid, NodeId? expectedRemoteId, out HandshakeException? failure)
    {
        failure = null;
        if (_noise is not { } noise)
        {
            return null;
        }

        uint remoteCid = BinaryPrimitives.ReadUInt32BigEndian(response[5..]);
        Span<byte> payload = stackalloc byte[256];
        if (!noise.TryReadMessage(response[UdpWire.ResponseHeaderSize..], payload, out int length, out _))
        {
            return null;
        }

        RemoteAuthenticated = true;
        if (!TryParsePayload(payload[..length], out HandshakeParameters remote) || remote.Cid != remoteCid)
        {
            failure = new HandshakeException(HandshakeFailure.InvalidMessage, "The responder's handshake payload is malformed or does not match its connection id.");
            return null;
        }

        byte[] remoteStatic = noise.RemoteStaticKey.ToArray();
        NodeId remoteId = NodeId.FromPublicKey(remoteStatic);
        if (expectedRemoteId is { } expected && expected != remoteId)
        {
            failure = new IdentityMismatchException(expected, remoteId);
            return null;
        }

        Span<byte> ours = stackalloc byte[UdpWire.HandshakePayloadSize];
        WritePayload(ours, options, localCid);
        byte[] finish = new byte[UdpWire.FinishHeaderSize + NoiseHandshake.MessageSize(2, ours.Length)];
        finish[0] = UdpWire.TypeFinish;
        BinaryPrimitives.WriteUInt32BigEndian(finish.AsSpan(1), remoteCid);
        noise.WriteMessage(ours, finish.AsSpan(UdpWire.FinishHeaderSize));
        UdpSession session = Complete(noise, remoteStatic, remote, remoteCid);
        Packet = finish;
        _interval = UdpClock.Micros(options.HandshakeRetransmitInterval);
        NextSendAt = 0;
        return session;
    }

    /// <summary>
    /// The responder: reads INIT's message 1 (<paramref name="message"/>) and builds RESPONSE announcing
    /// <paramref name="cid"/>; null when message 1 is malformed (not a P-256 point), without throwing.
    /// </summary>
    public static UdpHandshake? TryRespond(NoiseCipher cipher, uint initiatorCid, ReadOnlySpan<byte> message, NodeKey localKey, UdpLinkOptions options, uint cid, long now)
    {
        Span<byte> prologue = stackalloc byte[9];
        WritePrologue(prologue, (byte)cipher, initiatorCid);
        var noise = new NoiseHandshake(cipher, initiator: false, localKey, prologue);
        try
        {
            Span<byte> scratch = stackalloc byte[64];
            if (!noise.TryReadMessage(message, scratch, out _, out _))
            {
                noise.Dispose();
                return null;
            }

            Span<byte> payload = stackalloc byte[UdpWire.HandshakePayloadSize];
            WritePayload(payload, options, cid);
            byte[] reply = new byte[UdpWire.ResponseHeaderSize + NoiseHandshake.MessageSize(1, payload.Length)];
            reply[0] = UdpWire.TypeResponse;
            BinaryPrimitives.WriteUInt32BigEndian(reply.AsSpan(1), initiatorCid);
            BinaryPrimitives.WriteUInt32BigEndian(reply.AsSpan(5), cid);
            noise.WriteMessage(payload, reply.AsSpan(UdpWire.ResponseHeaderSize));
            return new UdpHandshake(noise, reply, 0, now + UdpClock.Micros(options.HandshakeTimeout));
        }
        catch
        {
            noise.Dispose();
            throw;
        }
    }

    /// <summary>The throwing form of <see cref="TryRespond"/>.</summary>
    /// <exception cref="HandshakeException">Message 1 is malformed.</exception>
    public static UdpHandshake Respond(NoiseCipher cipher, uint initiatorCid, ReadOnlySpan<byte> message, NodeKey localKey, UdpLinkOptions options, uint cid, long now)
        => TryRespond(cipher, initiatorCid, message, localKey, options, cid, now)
            ?? throw new HandshakeException(HandshakeFailure.InvalidMessage, NoiseHandshake.Describe(HandshakeFailure.InvalidMessage, 0));

    /// <summary>The throwing form of <see cref="TryReadFinish"/>.</summary>
    /// <exception cref="HandshakeException">Message 3 is malformed or fails authentication.</exception>
    public UdpSession ReadFinish(ReadOnlySpan<byte> finish, uint initiatorCid)
        => TryReadFinish(finish, initiatorCid, out HandshakeFailure failure)
            ?? throw new HandshakeException(failure, NoiseHandshake.Describe(failure, 2));

    /// <summary>
    /// The responder got FINISH: reads message 3, which must come from the initiator of <paramref name="initiatorCid"/>.
    /// Null when it is malformed or fails authentication (<paramref name="failure"/> says which), without throwing;
    /// <see cref="RemoteAuthenticated"/> then says whether it changed anything.
    /// </summary>
    /// <remarks>When the handshake is complete or was disposed (it expired), null with <see cref="HandshakeFailure.ConnectionClosed"/>.</remarks>
    public UdpSession? TryReadFinish(ReadOnlySpan<byte> finish, uint initiatorCid, out HandshakeFailure failure)
    {
        if (_noise is not { } noise)
        {
            failure = HandshakeFailure.ConnectionClosed;
            return null;
        }

        Span<byte> payload = stackalloc byte[256];
        if (!noise.TryReadMessage(finish[UdpWire.FinishHeaderSize..], payload, out int length, out failure))
        {
            return null;
        }

        RemoteAuthenticated = true;
        if (!TryParsePayload(payload[..length], out HandshakeParameters remote) || remote.Cid != initiatorCid)
        {
            failure = HandshakeFailure.InvalidMessage;
            return null;
        }

        return Complete(noise, noise.RemoteStaticKey.ToArray(), remote, initiatorCid);
    }

    /// <summary>
    /// Whether the remote side's last message authenticated. When <see cref="ReadResponse"/> or <see cref="ReadFinish"/>
    /// throws and this is false, the message changed nothing (the Noise state rolls back) and the handshake goes on:
    /// a packet anyone could have sent must not end it (issue 13, finding 5).
    /// </summary>
    public bool RemoteAuthenticated { get; private set; }

    /// <summary>Whether the initiator's packet is due again.</summary>
    public bool Due(long now) => now >= NextSendAt;

    /// <summary>The initiator sent <see cref="Packet"/>: the next time waits twice as long.</summary>
    public void OnSent(long now)
    {
        NextSendAt = now + _interval;
        _interval *= 2;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _noise?.Dispose();
        _noise = null;
    }

    /// <summary>The prologue both sides bind the handshake to: "PKU", the version, the cipher and the initiator's connection id.</summary>
    internal static void WritePrologue(Span<byte> prologue, byte cipher, uint initiatorCid)
    {
        prologue[0] = (byte)'P';
        prologue[1] = (byte)'K';
        prologue[2] = (byte)'U';
        prologue[3] = UdpWire.Version;
        prologue[4] = cipher;
        BinaryPrimitives.WriteUInt32BigEndian(prologue[5..], initiatorCid);
    }

    /// <summary>Writes this side's handshake payload (<see cref="UdpWire.HandshakePayloadSize"/> bytes).</summary>
    internal static void WritePayload(Span<byte> payload, UdpLinkOptions options, uint cid)
    {
        payload[0] = UdpWire.Version;
        BinaryPrimitives.WriteInt32BigEndian(payload[1..], options.MaxFrameSize);
        BinaryPrimitives.WriteUInt16BigEndian(payload[5..], (ushort)Math.Min(options.Mtu, ushort.MaxValue));
        BinaryPrimitives.WriteUInt32BigEndian(payload[7..], cid);
        BinaryPrimitives.WriteInt32BigEndian(payload[11..], options.ReceiveWindow);
        BinaryPrimitives.WriteUInt16BigEndian(payload[15..], (ushort)Math.Min(options.MaxMtu, ushort.MaxValue));
    }

    /// <summary>Reads the peer's handshake payload.</summary>
    /// <exception cref="HandshakeException">It is malformed or announces impossible values.</exception>
    internal static HandshakeParameters ParsePayload(ReadOnlySpan<byte> payload)
        => TryParsePayload(payload, out HandshakeParameters remote)
            ? remote
            : throw new HandshakeException(HandshakeFailure.InvalidMessage, "The remote handshake payload is malformed, or announces an invalid frame size, MTU, receive window or maximum MTU.");

    /// <summary>Reads the peer's handshake payload; false when it is malformed or announces impossible values.</summary>
    internal static bool TryParsePayload(ReadOnlySpan<byte> payload, out HandshakeParameters remote)
    {
        remote = default!;
        if (payload.Length < UdpWire.HandshakePayloadSize || payload[0] < UdpWire.Version)
        {
            return false;
        }

        int max = BinaryPrimitives.ReadInt32BigEndian(payload[1..]);
        int mtu = BinaryPrimitives.ReadUInt16BigEndian(payload[5..]);
        int window = BinaryPrimitives.ReadInt32BigEndian(payload[11..]);
        int maxMtu = BinaryPrimitives.ReadUInt16BigEndian(payload[15..]);
        if (max < 1 || mtu < UdpWire.MinMtu || window < 1 || maxMtu < mtu)
        {
            return false;
        }

        remote = new HandshakeParameters(max, mtu, BinaryPrimitives.ReadUInt32BigEndian(payload[7..]), window, maxMtu);
        return true;
    }

    private UdpSession Complete(NoiseHandshake noise, byte[] remoteStatic, HandshakeParameters remote, uint remoteCid)
    {
        (NoiseCipherState send, NoiseCipherState receive) = noise.Split();
        byte[] hash = noise.HandshakeHash.ToArray();
        noise.Dispose();
        _noise = null;
        return new UdpSession(send, receive, remoteStatic, hash, remote, remoteCid);
    }
}
