namespace PeerKit.Tests.Nodes;

/// <summary>The dialer's parts alone: the redial backoff with given times, the address book's bound, the dial tracking.</summary>
public sealed class DialerTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static NodeId Id(int n)
    {
        var bytes = new byte[NodeId.Size];
        BitConverter.TryWriteBytes(bytes, n);
        return new NodeId(bytes);
    }

    [Fact]
    public void Redial_backoff_doubles_from_the_minimum_to_the_maximum_and_resets_on_connect()
    {
        var backoff = new RedialBackoff(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(3));
        Assert.Equal(Start + TimeSpan.FromMilliseconds(500), backoff.Failed(Start));
        Assert.Equal(Start + TimeSpan.FromSeconds(1), backoff.Failed(Start));
        Assert.Equal(Start + TimeSpan.FromSeconds(2), backoff.Failed(Start));
        Assert.Equal(Start + TimeSpan.FromSeconds(3), backoff.Failed(Start));
        Assert.Equal(Start + TimeSpan.FromSeconds(3), backoff.Failed(Start));
        backoff.Connected();
        Assert.Equal(TimeSpan.FromMilliseconds(500), backoff.NextDelay);
        DateTimeOffset later = Start + TimeSpan.FromMinutes(1);
        Assert.Equal(later + TimeSpan.FromMilliseconds(500), backoff.Failed(later));
    }

    [Fact]
    public void The_address_book_keeps_user_addresses_always_and_learned_ones_up_to_its_bound()
    {
        var book = new AddressBook(maxLearned: 2);
        book.Learn(new NodeAddress("tcp", "10.0.0.1", 1, Id(1)));
        book.Learn(new NodeAddress("tcp", "10.0.0.2", 1, Id(2)));
        book.Learn(new NodeAddress("tcp", "10.0.0.3", 1, Id(3))); // full: not learned
        Assert.False(book.TryGet(Id(3), out _));

        // A known node's address is updated even when full; the user's are always added.
        book.Learn(new NodeAddress("udp", "10.0.0.9", 9, Id(1)));
        Assert.True(book.TryGet(Id(1), out NodeAddress? updated));
        Assert.Equal("udp", updated.Scheme);
        book.Add(new NodeAddress("tcp", "10.0.0.4", 1, Id(4)));
        Assert.True(book.TryGet(Id(4), out _));

        // Addresses without an id are not kept.
        book.Add(new NodeAddress("tcp", "10.0.0.5", 1));
        Assert.Equal(3, book.Count);
    }

    [Fact]
    public async Task A_dial_in_progress_is_tracked_by_id_until_every_handle_ends()
    {
        var dialer = new Dialer((_, _) => throw new InvalidOperationException("not dialing here"), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
        Assert.True(dialer.WhenIdleAsync(Id(1)).IsCompleted);
        Dialer.DialHandle first = dialer.Begin(Id(1));
        Dialer.DialHandle second = dialer.Begin(Id(1));
        Task idle = dialer.WhenIdleAsync(Id(1));
        Assert.True(dialer.WhenIdleAsync(Id(2)).IsCompleted);
        first.Dispose();
        first.Dispose(); // once only
        Assert.False(idle.IsCompleted);
        second.Dispose();
        await idle.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_static_peer_is_redialed_with_backoff_until_stopped()
    {
        int dials = 0;
        using var stop = new CancellationTokenSource();
        var dialer = new Dialer((_, _) =>
        {
            if (Interlocked.Increment(ref dials) == 3)
            {
                stop.Cancel();
            }

            throw new PeerConnectException("tcp://x:1", DisconnectReason.NetworkError, isRemote: false);
        }, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(4));
        await dialer.KeepConnectedAsync(NodeAddress.Parse("tcp://127.0.0.1:1"), stop.Token).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(3, dials);
    }
}
