using System.Security.Cryptography;
using PeerKit.Links.Noise;
using PeerKit.Links.Udp;

namespace PeerKit.Tests.Links.Udp;

/// <summary>Packet protection alone: sealing, opening, and key-phase changes on both sides, with fake time (µs).</summary>
public sealed class PacketProtectionTests
{
    private static (PacketProtection Sender, PacketProtection Receiver) Pair(long updatePackets, long updateInterval = long.MaxValue / 2)
    {
        byte[] forward = RandomNumberGenerator.GetBytes(NoiseCipherState.KeySize);
        byte[] backward = RandomNumberGenerator.GetBytes(NoiseCipherState.KeySize);
        NoiseCipher cipher = NoiseCipherState.Default;
        var sender = new PacketProtection(new NoiseCipherState(cipher, forward), new NoiseCipherState(cipher, backward), updatePackets, updateInterval, now: 0);
        var receiver = new PacketProtection(new NoiseCipherState(cipher, backward), new NoiseCipherState(cipher, forward), updatePackets, updateInterval, now: 0);
        return (sender, receiver);
    }

    private static byte[] Seal(PacketProtection protection, ulong pn, ulong? largestAcked, long now, out bool waiting)
    {
        byte[] frames = [UdpWire.FramePing, (byte)pn];
        byte[] packet = new byte[frames.Length + UdpWire.PacketOverhead];
        waiting = protection.Seal(pn, connectionId: 7, frames, packet, largestAcked, now);
        return packet;
    }

    private static bool Open(PacketProtection protection, ulong pn, byte[] packet)
    {
        byte[] plain = new byte[packet.Length];
        return protection.TryOpen(pn, packet, plain) && plain[0] == UdpWire.FramePing && plain[1] == (byte)pn;
    }

    [Fact]
    public void A_sealed_packet_opens_on_the_other_side_and_a_changed_one_does_not()
    {
        (PacketProtection sender, PacketProtection receiver) = Pair(updatePackets: 1_000);
        using (sender)
        using (receiver)
        {
            byte[] packet = Seal(sender, 0, null, 0, out bool waiting);
            Assert.False(waiting);
            Assert.Equal(UdpWire.TypeData, packet[0]);
            Assert.True(Open(receiver, 0, packet));
            byte[] tampered = Seal(sender, 1, null, 0, out _);
            tampered[^1] ^= 1;
            Assert.False(Open(receiver, 1, tampered));
            byte[] header = Seal(sender, 2, null, 0, out _);
            header[4] ^= 1; // the connection id is authenticated
            Assert.False(Open(receiver, 2, header));
        }
    }

    [Fact]
    public void A_key_update_waits_for_an_acknowledgement_of_the_current_phase_and_the_receiver_follows()
    {
        (PacketProtection sender, PacketProtection receiver) = Pair(updatePackets: 4);
        using (sender)
        using (receiver)
        {
            var old = new List<byte[]>();
            for (ulong pn = 0; pn < 4; pn++)
            {
                old.Add(Seal(sender, pn, null, 0, out _));
            }

            Assert.True(Open(receiver, 0, old[0]));
            Seal(sender, 4, largestAcked: null, 0, out bool waiting); // due, but nothing of this phase acknowledged
            Assert.True(waiting);
            Assert.Equal(0, sender.KeyUpdates);

            byte[] updated = Seal(sender, 5, largestAcked: 0, 0, out waiting);
            Assert.False(waiting);
            Assert.Equal(1, sender.KeyUpdates);
            Assert.Equal(UdpWire.KeyPhaseBit, updated[0] & UdpWire.KeyPhaseBit);
            Assert.True(Open(receiver, 5, updated));
            Assert.Equal(1, receiver.PeerKeyUpdates);
            Assert.Equal(UdpWire.KeyPhaseBit, receiver.ReceivePhase);
            Assert.True(Open(receiver, 3, old[3])); // late packets of the old phase still open, with the previous key

            Seal(sender, 9, largestAcked: 4, 0, out waiting); // 4 was sealed before this phase began at 5
            Assert.True(waiting);
            byte[] again = Seal(sender, 10, largestAcked: 5, 0, out waiting);
            Assert.False(waiting);
            Assert.Equal(2, sender.KeyUpdates);
            Assert.Equal(0, again[0] & UdpWire.KeyPhaseBit);
            Assert.True(Open(receiver, 10, again));
            Assert.Equal(2, receiver.PeerKeyUpdates);
            Assert.False(Open(receiver, 2, old[2])); // two phases back: that key is gone
        }
    }

    [Fact]
    public void A_key_is_updated_once_its_interval_has_passed()
    {
        (PacketProtection sender, PacketProtection receiver) = Pair(updatePackets: 1_000_000, updateInterval: 1_000);
        using (sender)
        using (receiver)
        {
            Seal(sender, 0, null, 0, out _);
            sender.OnTick(999);
            Seal(sender, 1, largestAcked: 0, 999, out _);
            Assert.Equal(0, sender.KeyUpdates);
            sender.OnTick(1_000);
            byte[] packet = Seal(sender, 2, largestAcked: 0, 1_000, out _);
            Assert.Equal(1, sender.KeyUpdates);
            Assert.True(Open(receiver, 2, packet));
            Assert.Equal(1, receiver.PeerKeyUpdates);
        }
    }
}
