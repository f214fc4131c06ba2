using System.Net;
using PeerKit.Links.Tcp;

namespace PeerKit.Tests.Links;

/// <summary>The TCP listener's handshake slots, alone: shared fairly between addresses, waits that never throw.</summary>
public sealed class HandshakeSlotsTests
{
    private static readonly IPAddress A = IPAddress.Parse("192.0.2.1");
    private static readonly IPAddress B = IPAddress.Parse("192.0.2.2");
    private static readonly IPAddress C = IPAddress.Parse("192.0.2.3");

    [Fact]
    public void One_address_holds_at_most_half_the_slots_and_another_gets_one_at_once()
    {
        var slots = new HandshakeSlots(10);
        int taken = 0;
        while (slots.TryTake(A))
        {
            taken++;
        }

        Assert.Equal(5, taken);
        Assert.True(slots.TryTake(B));
        Assert.Equal(6, slots.Held);
    }

    [Fact]
    public async Task A_freed_slot_goes_to_the_waiter_whose_address_holds_the_fewest()
    {
        var slots = new HandshakeSlots(4);
        Assert.True(slots.TryTake(A));
        Assert.True(slots.TryTake(A));
        Assert.True(slots.TryTake(B));
        Assert.True(slots.TryTake(B));
        Task<bool> fromA = slots.WaitAsync(A, TimeSpan.FromSeconds(30), CancellationToken.None); // A waits first
        Task<bool> fromC = slots.WaitAsync(C, TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.Equal(2, slots.Waiting);

        slots.Release(B);
        Assert.True(await fromC.WaitAsync(TimeSpan.FromSeconds(5))); // C holds none: it goes before A, which waited longer
        Assert.False(fromA.IsCompleted);
        slots.Release(B);
        Assert.False(fromA.IsCompleted); // A already holds its half (2 of 4): the free slot stays free for others
        Assert.True(slots.TryTake(B));
        slots.Release(A);
        Assert.True(await fromA.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task A_wait_that_times_out_or_is_cancelled_returns_false_and_leaves_the_queue()
    {
        var slots = new HandshakeSlots(1);
        Assert.True(slots.TryTake(A));
        Assert.False(await slots.WaitAsync(B, TimeSpan.FromMilliseconds(50), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5)));
        using var cancel = new CancellationTokenSource();
        Task<bool> waiting = slots.WaitAsync(C, TimeSpan.FromSeconds(30), cancel.Token);
        cancel.Cancel();
        Assert.False(await waiting.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(0, slots.Waiting);
        slots.Release(A);
        Assert.Equal(0, slots.Held);
    }
}
