using PeerKit.Links;
using PeerKit.Links.Noise;

namespace PeerKit.Tests.Links;

/// <summary>The hot paths allocate nothing (measured on the calling thread, after a warm-up).</summary>
public sealed class LinkAllocationTests
{
    [Fact]
    public async Task Memory_link_send_and_receive_allocate_nothing()
    {
        (MemoryLink first, MemoryLink second) = MemoryLink.CreatePair();
        await using (first)
        await using (second)
        {
            byte[] frame = new byte[256];
            long Measure(int iterations)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < iterations; i++)
                {
                    ValueTask send = first.SendAsync(frame, Reliability.Unreliable);
                    Assert.True(send.IsCompletedSuccessfully);
                    Assert.True(second.TryReceive(out LinkFrame received));
                    received.Dispose();
                }

                return GC.GetAllocatedBytesForCurrentThread() - before;
            }

            Measure(1_000);
            Assert.Equal(0, Measure(10_000));
        }
    }

    [Fact]
    public void Transport_encryption_and_decryption_allocate_nothing()
    {
        byte[] key = new byte[32];
        using var sender = new NoiseCipherState(NoiseCipherState.Default, key);
        using var receiver = new NoiseCipherState(NoiseCipherState.Default, key);
        byte[] plaintext = new byte[1024];
        byte[] wire = new byte[plaintext.Length + NoiseCipherState.TagSize];
        long Measure(int iterations)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < iterations; i++)
            {
                sender.Encrypt(default, plaintext, wire);
                Assert.True(receiver.TryDecrypt(default, wire, wire));
            }

            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Measure(1_000);
        Assert.Equal(0, Measure(10_000));
    }
}
