using System.Buffers.Binary;
using PeerKit.Links;
using PeerKit.Links.Noise;

namespace PeerKit.Tests.Links;

/// <summary>What every link over a byte stream (TCP, WebSocket) must do, checked the same way for each.</summary>
internal static class StreamLinkChecks
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary><paramref name="count"/> numbered frames each way at once arrive in order, and both links stay open.</summary>
    public static async Task FramesTravelBothWaysInOrderAsync(IMessageLink client, IMessageLink server, int count)
    {
        await Task.WhenAll(
            MemoryLinkTests.SendNumbersAsync(client, count),
            MemoryLinkTests.SendNumbersAsync(server, count),
            MemoryLinkTests.ReceiveNumbersAsync(server, count),
            MemoryLinkTests.ReceiveNumbersAsync(client, count)).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.False(client.Completion.IsCompleted);
        Assert.False(server.Completion.IsCompleted);
    }

    /// <summary>A 3 MiB frame and an empty one arrive intact, in order.</summary>
    public static async Task LargeAndEmptyFramesArriveIntactAsync(IMessageLink client, IMessageLink server)
    {
        byte[] large = new byte[3 * 1024 * 1024 + 17];
        Random.Shared.NextBytes(large);
        Task sending = Task.Run(async () =>
        {
            await client.SendAsync(large);
            await client.SendAsync(ReadOnlyMemory<byte>.Empty);
        });
        using (LinkFrame frame = await server.ReceiveAsync().AsTask().WaitAsync(Timeout))
        {
            Assert.True(frame.Span.SequenceEqual(large));
        }

        using (LinkFrame empty = await server.ReceiveAsync().AsTask().WaitAsync(Timeout))
        {
            Assert.Equal(0, empty.Length);
        }

        await sending.WaitAsync(Timeout);
    }

    /// <summary>Writes one frame as a raw peer would: its length, then <paramref name="plaintext"/> sealed with <paramref name="cipher"/>.</summary>
    /// <returns>The bytes written.</returns>
    public static async Task<byte[]> WriteFrameAsync(Stream stream, NoiseCipherState cipher, byte[] plaintext)
    {
        byte[] wire = new byte[4 + plaintext.Length + 16];
        BinaryPrimitives.WriteInt32BigEndian(wire, plaintext.Length + 16);
        cipher.Encrypt(default, plaintext, wire.AsSpan(4));
        await stream.WriteAsync(wire);
        return wire;
    }
}
