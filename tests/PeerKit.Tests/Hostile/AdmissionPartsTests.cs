using System.Net;
using PeerKit.Links;

namespace PeerKit.Tests.Hostile;

/// <summary>The two admission parts of issue 13, finding 7, alone.</summary>
public sealed class AdmissionPartsTests
{
    private static readonly IPAddress A = IPAddress.Parse("10.0.0.1");
    private static readonly IPAddress B = IPAddress.Parse("10.0.0.2");

    [Fact]
    public void The_startup_gate_admits_all_below_start_drops_some_between_and_all_at_full()
    {
        var gate = new StartupGate(start: 10, full: 20, perAddress: 1000, new Random(7));
        for (int i = 0; i < 10; i++)
        {
            Assert.True(gate.TryEnter(A));
        }

        int admitted = 0;
        for (int i = 0; i < 1000 && gate.Count < 20; i++)
        {
            admitted += gate.TryEnter(A) ? 1 : 0;
        }

        Assert.Equal(20, gate.Count);
        Assert.True(gate.RefusedCount > 0, "nothing was dropped early");
        Assert.False(gate.TryEnter(B)); // full
        gate.Exit(A);
        Assert.Equal(19, gate.Count);
    }

    [Fact]
    public void The_startup_gate_caps_each_address_and_frees_its_places_on_exit()
    {
        var gate = new StartupGate(start: 100, full: 100, perAddress: 2);
        Assert.True(gate.TryEnter(A));
        Assert.True(gate.TryEnter(A));
        Assert.False(gate.TryEnter(A));
        Assert.True(gate.TryEnter(B));
        gate.Exit(A);
        Assert.True(gate.TryEnter(A));
        Assert.Equal(1, gate.RefusedCount);
    }

    [Fact]
    public void Pending_slots_evict_the_oldest_silent_holder_and_never_one_that_spoke()
    {
        var slots = new PendingSlots(capacity: 3, perAddress: 3);
        PendingSlots.Slot first = slots.TryTake(null, out _)!;
        PendingSlots.Slot second = slots.TryTake(null, out _)!;
        PendingSlots.Slot third = slots.TryTake(null, out _)!;
        slots.Progress(first);

        PendingSlots.Slot? fourth = slots.TryTake(null, out PendingSlots.Slot? evicted);
        Assert.NotNull(fourth);
        Assert.Same(second, evicted);
        Assert.True(second.IsEvicted);
        Assert.False(first.IsEvicted);

        slots.Progress(third);
        slots.Progress(fourth!);
        Assert.Null(slots.TryTake(null, out evicted)); // every holder spoke: the newcomer is refused
        Assert.Null(evicted);
        Assert.Equal(1, slots.RefusedCount);
        Assert.Equal(1, slots.EvictedCount);

        slots.Release(second); // an evicted slot given back changes nothing
        Assert.Equal(3, slots.Count);
        slots.Release(first);
        Assert.Equal(2, slots.Count);
    }

    [Fact]
    public void Pending_slots_ask_whether_a_holder_spoke_before_evicting_it()
    {
        var slots = new PendingSlots(capacity: 2, perAddress: 2);
        bool spoke = false;
        PendingSlots.Slot early = slots.TryTake(null, out _, () => spoke)!;
        PendingSlots.Slot late = slots.TryTake(null, out _)!;
        spoke = true; // bytes are waiting, though the holder's code has not run yet
        slots.TryTake(null, out PendingSlots.Slot? evicted);
        Assert.Same(late, evicted);
        Assert.False(early.IsEvicted);
    }
}
