using System.Net;
using System.Net.Sockets;
using PeerKit.Links;
using PeerKit.Links.Noise;
using PeerKit.Links.Udp;

namespace PeerKit.Tests.Hostile;

/// <summary>
/// A short mutation fuzz (issue 13) over real handshake packets captured from a genuine exchange: bit flips, byte
/// changes, truncations, extensions and type swaps, sent to a live endpoint that also holds an established link. The
/// endpoint must keep serving: the established link still carries data and a fresh peer still gets in. CI sends
/// 20,000 inputs; <c>PEERKIT_FUZZ_INPUTS</c> raises it (10^6 for the full run).
/// </summary>
public sealed class PacketMutationFuzzTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Mutated_handshake_packets_never_break_the_endpoint_or_its_links()
    {
        int inputs = int.TryParse(Environment.GetEnvironmentVariable("PEERKIT_FUZZ_INPUTS"), out int n) ? n : 20_000;
        using NodeKey serverKey = NodeKey.Generate();
        using NodeKey clientKey = NodeKey.Generate();
        await using UdpEndpoint server = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), serverKey);
        await using UdpEndpoint client = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), clientKey);
        await using UdpLink link = await client.ConnectAsync(server.LocalEndPoint, serverKey.Id).WaitAsync(Wait);
        await using UdpLink accepted = await server.AcceptAsync().AsTask().WaitAsync(Wait);

        // Captured: a genuine Init, Response and Finish of another exchange, with the established link's id.
        var options = new UdpLinkOptions();
        using NodeKey otherKey = NodeKey.Generate();
        using UdpHandshake initiator = UdpHandshake.Initiate(otherKey, options, localCid: 7, now: 0, options.HandshakeTimeout);
        byte[] init = initiator.Packet.ToArray();
        int cookie = init[7];
        using UdpHandshake responder = UdpHandshake.Respond((NoiseCipher)init[2], 7, init.AsSpan(UdpWire.InitHeaderSize + cookie, NoiseHandshake.PublicKeySize), serverKey, options, accepted.LocalConnectionId, now: 0);
        byte[] response = responder.Packet.ToArray();
        UdpSession session = initiator.ReadResponse(response, options, 7, serverKey.Id);
        byte[] finish = initiator.Packet.ToArray();
        session.Send.Dispose();
        session.Receive.Dispose();
        byte[][] corpus = [init, response, finish];

        using var attacker = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var random = new Random(2026);
        byte[] buffer = new byte[2048];
        for (int i = 0; i < inputs; i++)
        {
            int length = Mutate(corpus[random.Next(corpus.Length)], buffer, random);
            attacker.SendTo(buffer.AsSpan(0, length), SocketFlags.None, server.LocalEndPoint);
            if (i % 1000 == 999)
            {
                await Task.Delay(1); // let the receive loop keep up
            }
        }

        await Task.Delay(300);
        await link.SendAsync(new byte[] { 4, 5, 6 });
        using (LinkFrame frame = await accepted.ReceiveAsync().AsTask().WaitAsync(Wait))
        {
            Assert.Equal(new byte[] { 4, 5, 6 }, frame.ToArray());
        }

        using NodeKey freshKey = NodeKey.Generate();
        await using UdpEndpoint fresh = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), freshKey);
        await using UdpLink freshLink = await fresh.ConnectAsync(server.LocalEndPoint, serverKey.Id).WaitAsync(Wait);
        Assert.False(accepted.Completion.IsCompleted, "a mutated packet closed an established link");
        UdpEndpointStatistics stats = server.GetStatistics();
        Assert.True(stats.DatagramsReceived >= inputs / 2);
    }

    /// <summary>One mutation of <paramref name="seed"/> into <paramref name="output"/>; returns its length.</summary>
    internal static int Mutate(byte[] seed, byte[] output, Random random)
    {
        int length = seed.Length;
        seed.CopyTo(output, 0);
        switch (random.Next(6))
        {
            case 0: // bit flips
                for (int k = random.Next(1, 4); k > 0; k--)
                {
                    output[random.Next(length)] ^= (byte)(1 << random.Next(8));
                }

                break;
            case 1: // a random byte
                output[random.Next(length)] = (byte)random.Next(256);
                break;
            case 2: // truncated
                length = random.Next(1, length);
                break;
            case 3: // extended with garbage
                int extra = random.Next(1, output.Length - length);
                random.NextBytes(output.AsSpan(length, extra));
                length += extra;
                break;
            case 4: // another type byte
                output[0] = (byte)random.Next(256);
                break;
            default: // a random run inside
                int start = random.Next(length);
                random.NextBytes(output.AsSpan(start, random.Next(1, length - start + 1)));
                break;
        }

        return length;
    }
}
