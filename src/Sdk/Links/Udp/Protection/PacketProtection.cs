using System.Buffers.Binary;
using PeerKit.Links.Noise;

namespace PeerKit.Links.Udp;

/// <summary>
/// Seals and opens a link's data packets, and changes keys (see docs/udp.md, "Key updates"). Sending: the key phase
/// bit in the type byte, the first packet number sealed with the current key, and the packet number from which the
/// next update is due. Receiving: the peer's current phase, the lowest packet number seen in it, the previous key
/// (for packets of the old phase still on their way) and the next one (derived when the first packet of a new phase
/// arrives). Owned by one link and used under its lock.
/// </summary>
internal sealed class PacketProtection : IDisposable
{
    private readonly ulong _updatePackets;
    private readonly long _updateInterval;
    private NoiseCipherState _send;
    private NoiseCipherState? _receive;
    private NoiseCipherState? _receivePrevious;
    private NoiseCipherState? _receiveNext;
    private byte _sendPhase;
    private ulong _sendPhaseStart;
    private long _sendPhaseStartedAt;
    private ulong _sendUpdateAt;
    private byte _receivePhase;
    private ulong _receivePhaseLowest;

    /// <param name="send">The key this side seals with.</param>
    /// <param name="receive">The key this side opens with.</param>
    /// <param name="updatePackets">Packets sealed with one key before the next update is due.</param>
    /// <param name="updateInterval">Microseconds one key is used before the next update is due.</param>
    /// <param name="now">The time (µs) the first key starts.</param>
    public PacketProtection(NoiseCipherState send, NoiseCipherState receive, long updatePackets, long updateInterval, long now)
    {
        _send = send;
        _receive = receive;
        _updatePackets = (ulong)updatePackets;
        _updateInterval = updateInterval;
        _sendUpdateAt = _updatePackets;
        _sendPhaseStartedAt = now;
    }

    /// <summary>The AEAD in use.</summary>
    public NoiseCipher Cipher => _send.Cipher;

    /// <summary>The key phase bit packets are sealed with now.</summary>
    public byte SendPhase => _sendPhase;

    /// <summary>The peer's current key phase bit.</summary>
    public byte ReceivePhase => _receivePhase;

    /// <summary>Keys this side moved to.</summary>
    public long KeyUpdates { get; private set; }

    /// <summary>Keys the peer moved to.</summary>
    public long PeerKeyUpdates { get; private set; }

    /// <summary>
    /// Writes a data packet's header (type with the key phase, <paramref name="connectionId"/>, <paramref name="pn"/>)
    /// and seals <paramref name="frames"/> after it, authenticated with the header. When a key update is due it
    /// happens first, provided <paramref name="largestAcked"/> shows the peer has a packet of the current phase (so it
    /// can tell the next phase from the previous one).
    /// </summary>
    /// <returns>True when an update is due but waits for an acknowledgement of the current phase: the caller makes
    /// sure one is asked for (a PING when nothing is in flight).</returns>
    public bool Seal(ulong pn, uint connectionId, ReadOnlySpan<byte> frames, Span<byte> packet, ulong? largestAcked, long now)
    {
        bool waiting = false;
        if (pn >= _sendUpdateAt)
        {
            if (largestAcked is { } acked && acked >= _sendPhaseStart)
            {
                NoiseCipherState old = _send;
                _send = old.Rekey();
                old.Dispose();
                _sendPhase ^= UdpWire.KeyPhaseBit;
                _sendPhaseStart = pn;
                _sendPhaseStartedAt = now;
                _sendUpdateAt = pn + _updatePackets;
                KeyUpdates++;
            }
            else
            {
                waiting = true;
            }
        }

        packet[0] = (byte)(UdpWire.TypeData | _sendPhase);
        BinaryPrimitives.WriteUInt32BigEndian(packet[1..], connectionId);
        BinaryPrimitives.WriteUInt64BigEndian(packet[5..], pn);
        _send.EncryptAt(pn, packet[..UdpWire.DataHeaderSize], frames, packet[UdpWire.DataHeaderSize..]);
        return waiting;
    }

    /// <summary>Makes the next packet sealed update the key once <paramref name="now"/> is past the key's interval.</summary>
    public void OnTick(long now)
    {
        if (now - _sendPhaseStartedAt >= _updateInterval)
        {
            _sendUpdateAt = 0;
            _sendPhaseStartedAt = now;
        }
    }

    /// <summary>
    /// Opens data packet <paramref name="pn"/> (<paramref name="datagram"/>: header, then ciphertext) into
    /// <paramref name="plain"/>. The key is the current one for the current phase; for the other phase the previous
    /// key if the packet is older than every packet seen in the current phase, else the next key (derived once, on
    /// the first packet that claims it, and moved to when a packet authenticates with it).
    /// </summary>
    /// <returns>False when the packet fails authentication (nothing changes then).</returns>
    public bool TryOpen(ulong pn, ReadOnlySpan<byte> datagram, Span<byte> plain)
    {
        byte phase = (byte)(datagram[0] & UdpWire.KeyPhaseBit);
        NoiseCipherState? key = phase == _receivePhase ? _receive
            : pn < _receivePhaseLowest ? _receivePrevious
            : _receiveNext ??= _receive?.Rekey();
        if (key is null || !key.TryDecryptAt(pn, datagram[..UdpWire.DataHeaderSize], datagram[UdpWire.DataHeaderSize..], plain))
        {
            return false;
        }

        if (ReferenceEquals(key, _receiveNext))
        {
            _receivePrevious?.Dispose();
            _receivePrevious = _receive;
            _receive = key;
            _receiveNext = null;
            _receivePhase = phase;
            _receivePhaseLowest = pn;
            PeerKeyUpdates++;
        }
        else if (phase == _receivePhase && pn < _receivePhaseLowest)
        {
            _receivePhaseLowest = pn;
        }

        return true;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _send.Dispose();
        _receive?.Dispose();
        _receivePrevious?.Dispose();
        _receiveNext?.Dispose();
        _receive = null;
        _receivePrevious = null;
        _receiveNext = null;
    }
}
