using System.Buffers.Binary;
using PeerKit.Links;
using PeerKit.Links.Udp;

namespace PeerKit.Tests.Links.Udp;

/// <summary>
/// Datagrams are sealed under the link's lock and sent outside it (the outbox). However many threads send, flush,
/// acknowledge and probe at once, they must reach the network in packet-number order, as they did when every send
/// was made under the lock: a receiver's loss detection and replay window are built for that order.
/// </summary>
public sealed class UdpOutboxTests
{
    [Fact]
    public async Task Datagrams_leave_in_packet_number_order_while_many_threads_send()
    {
        await using var harness = new UdpHarness(seed: 11);
        (UdpLink client, UdpLink server) = await harness.ConnectAsync();
        var numbers = new List<ulong>();
        harness.Network.Filter = (from, data) =>
        {
            // Called under the network's lock, in the order datagrams were handed to it.
            if (from == harness.ClientTransport && (data[0] & ~UdpWire.KeyPhaseBit) == UdpWire.TypeData)
            {
                lock (numbers)
                {
                    numbers.Add(BinaryPrimitives.ReadUInt64BigEndian(data.AsSpan(5)));
                }
            }

            return false;
        };

        const int Senders = 3;
        const int PerSender = 3_000;
        Task receiving = Task.Run(async () =>
        {
            int reliable = 0;
            while (reliable < Senders * PerSender / 2)
            {
                using LinkFrame frame = await server.ReceiveAsync();
                if (frame.Span[0] == 0)
                {
                    reliable++;
                }
            }
        });

        // The server talks back, so the client's receive thread flushes acknowledgements between the senders' flushes.
        using var stop = new CancellationTokenSource();
        Task echo = Task.Run(async () =>
        {
            byte[] back = new byte[32];
            while (!stop.IsCancellationRequested)
            {
                server.TrySend(back, Reliability.Unreliable);
                await Task.Delay(1);
            }
        });
        Task draining = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (client.TryReceive(out LinkFrame frame))
                {
                    frame.Dispose();
                }
                else
                {
                    await Task.Delay(1);
                }
            }
        });

        Task[] senders = Enumerable.Range(0, Senders).Select(s => Task.Run(async () =>
        {
            byte[] frame = new byte[40 + (s * 300)];
            for (int i = 0; i < PerSender; i++)
            {
                bool reliable = i % 2 == 0;
                frame[0] = reliable ? (byte)0 : (byte)1;
                await client.SendAsync(frame, reliable ? Reliability.ReliableOrdered : Reliability.Unreliable);
                if (i % 64 == 63)
                {
                    await Task.Yield(); // lets the other tests of the run have the thread pool too
                }
            }
        })).ToArray();

        await Task.WhenAll(senders).WaitAsync(UdpHarness.Timeout);
        await receiving.WaitAsync(UdpHarness.Timeout);
        stop.Cancel();
        await Task.WhenAll(echo, draining).WaitAsync(UdpHarness.Timeout);

        ulong[] seen;
        lock (numbers)
        {
            seen = [.. numbers];
        }

        Assert.True(seen.Length > Senders * PerSender / 20, $"only {seen.Length} data packets");
        for (int i = 1; i < seen.Length; i++)
        {
            Assert.True(seen[i] > seen[i - 1], $"packet {seen[i]} left after {seen[i - 1]} (datagram {i} of {seen.Length})");
        }
    }
}
