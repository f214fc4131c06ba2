using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using PeerKit.Links.Noise;
using PeerKit.Links.Tcp;

namespace PeerKit.Tests.Hostile;

/// <summary>
/// Handshake floods over TCP: connections that send a genuine first message and then stall hold a handshake slot
/// until <see cref="PeerKit.Links.Streams.StreamLinkOptions.HandshakeTimeout"/>. From one address they hold at most half the slots, so a peer
/// from another address gets in at once.
/// </summary>
public sealed class TcpStalledHandshakeTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Caught by the attack mode of tools/PeerKit.Fuzz: 300 stalled handshakes from one address took all 50 slots and
    /// a fresh peer from another address waited behind them in arrival order (1.7 s, up to the handshake timeout).
    /// </summary>
    [Fact]
    public async Task Stalled_handshakes_from_one_address_hold_half_the_slots_and_a_peer_from_another_gets_in_at_once()
    {
        using NodeKey serverKey = NodeKey.Generate();
        using NodeKey attackerKey = NodeKey.Generate();
        var options = new TcpLinkOptions { HandshakeTimeout = TimeSpan.FromSeconds(10) };
        await using TcpLinkListener listener = TcpLinkListener.Start(new IPEndPoint(IPAddress.Loopback, 0), serverKey, options);

        byte[] preamble = [(byte)'P', (byte)'K', (byte)'L', StreamHandshake.Version, (byte)NoiseCipherState.Default];
        using var noise = new NoiseHandshake(NoiseCipherState.Default, initiator: true, attackerKey, preamble);
        byte[] first = new byte[preamble.Length + 2 + NoiseHandshake.MessageSize(0, 0)];
        preamble.CopyTo(first, 0);
        BinaryPrimitives.WriteUInt16BigEndian(first.AsSpan(preamble.Length), (ushort)noise.WriteMessage(ReadOnlySpan<byte>.Empty, first.AsSpan(preamble.Length + 2)));

        var stalled = new List<Socket>();
        try
        {
            for (int i = 0; i < 100; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                stalled.Add(socket);
                socket.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.3"), 0));
                await socket.ConnectAsync(listener.LocalEndPoint);
                await socket.SendAsync(first);
            }

            await Task.Delay(500);
            Assert.True(listener.PendingHandshakeCount <= options.MaxPendingHandshakes / 2, $"{listener.PendingHandshakeCount} handshakes from one address");

            using NodeKey freshKey = NodeKey.Generate();
            var started = Stopwatch.StartNew();
            await using TcpLink link = await TcpLink.ConnectAsync(listener.LocalEndPoint, freshKey, serverKey.Id).WaitAsync(Wait);
            Assert.True(started.Elapsed < TimeSpan.FromSeconds(1), $"the fresh peer needed {started.Elapsed}");
        }
        finally
        {
            foreach (Socket socket in stalled)
            {
                socket.Dispose();
            }
        }
    }
}
