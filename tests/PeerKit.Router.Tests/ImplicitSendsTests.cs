using System.Collections.Concurrent;
using PeerKit.Routing;
using Xunit;

namespace PeerKit.Router.Tests;

public sealed class ImplicitSendsTests
{
    private sealed class FakeSession
    {
        public ConcurrentQueue<int> Received { get; } = new();
        public volatile bool Broken;
    }

    private static Func<FakeSession, CancellationToken, ValueTask> Numbered(int n) => async (s, _) =>
    {
        // A real send may complete later: give other sends every chance to overtake this one.
        await Task.Delay(Random.Shared.Next(2));
        await Task.Yield();
        if (s.Broken)
        {
            throw new PeerDisconnectedException(default, DisconnectReason.NetworkError, isRemote: true);
        }

        s.Received.Enqueue(n);
    };

    [Fact]
    public async Task Reliable_messages_arrive_once_in_send_order_while_the_session_comes_up()
    {
        NodeId peer = NodeKey.Generate().Id;
        for (int round = 0; round < 20; round++)
        {
            FakeSession? current = null;
            var session = new FakeSession();
            var sends = new ImplicitSends<FakeSession>(_ => Volatile.Read(ref current), 1 << 20, 1 << 20, CancellationToken.None);
            const int count = 100;
            int upAt = Random.Shared.Next(1, 20);
            for (int i = 0; i < count; i++)
            {
                if (i == upAt)
                {
                    // The session arrives between two sends; the node's PeerAdded runs on another thread.
                    Volatile.Write(ref current, session);
                    _ = Task.Run(() => sends.SessionUp(peer));
                }

                await sends.SendAsync(peer, Numbered(i), reliable: true, bytes: 10, CancellationToken.None);
                await Task.Delay(Random.Shared.Next(2));
            }

            for (int wait = 0; wait < 500 && (session.Received.Count < count || sends.IsFlushing(peer)); wait++)
            {
                await Task.Delay(10);
            }

            Assert.Equal(Enumerable.Range(0, count), session.Received);
            Assert.Equal(0, sends.DroppedReliableBytes);
        }
    }

    [Fact]
    public async Task A_send_made_while_the_flusher_holds_the_last_waiting_message_does_not_overtake_it()
    {
        NodeId peer = NodeKey.Generate().Id;
        FakeSession? current = null;
        var sends = new ImplicitSends<FakeSession>(_ => Volatile.Read(ref current), 1 << 20, 1 << 20, CancellationToken.None);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Assert.True((await sends.SendAsync(peer, async (s, _) =>
        {
            started.TrySetResult();
            await release.Task;
            s.Received.Enqueue(0);
        }, reliable: true, bytes: 10, CancellationToken.None)).Queued);

        var session = new FakeSession();
        Volatile.Write(ref current, session);
        sends.SessionUp(peer);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10));

        // The queue is empty now, but message 0 is not sent yet: message 1 must wait behind it.
        ValueTask<(FakeSession? Session, bool Queued)> second = sends.SendAsync(peer, Numbered(1), reliable: true, bytes: 10, CancellationToken.None);
        release.SetResult();
        await second;
        for (int wait = 0; wait < 500 && session.Received.Count < 2; wait++)
        {
            await Task.Delay(10);
        }

        Assert.Equal([0, 1], session.Received);
    }

    [Fact]
    public async Task A_message_lost_when_the_session_ends_during_a_flush_is_counted_and_the_rest_waits()
    {
        NodeId peer = NodeKey.Generate().Id;
        FakeSession? current = null;
        var sends = new ImplicitSends<FakeSession>(_ => Volatile.Read(ref current), 1 << 20, 1 << 20, CancellationToken.None);
        for (int i = 0; i < 3; i++)
        {
            Assert.True((await sends.SendAsync(peer, Numbered(i), reliable: true, bytes: 100, CancellationToken.None)).Queued);
        }

        var broken = new FakeSession { Broken = true };
        Volatile.Write(ref current, broken);
        sends.SessionUp(peer);
        for (int wait = 0; wait < 500 && (sends.DroppedReliableBytes == 0 || sends.IsFlushing(peer)); wait++)
        {
            await Task.Delay(10);
        }

        Assert.Equal(100, sends.DroppedReliableBytes);

        var next = new FakeSession();
        Volatile.Write(ref current, next);
        sends.SessionUp(peer);
        for (int wait = 0; wait < 500 && next.Received.Count < 2; wait++)
        {
            await Task.Delay(10);
        }

        Assert.Equal([1, 2], next.Received);
        Assert.Equal(0, sends.Drop(peer));
    }

    [Fact]
    public async Task Unreliable_messages_without_a_session_are_dropped_and_counted()
    {
        NodeId peer = NodeKey.Generate().Id;
        var sends = new ImplicitSends<FakeSession>(_ => null, 100, 100, CancellationToken.None);
        (FakeSession? session, bool queued) = await sends.SendAsync(peer, Numbered(0), reliable: false, bytes: 10, CancellationToken.None);
        Assert.Null(session);
        Assert.False(queued);
        Assert.Equal(1, sends.DroppedUnreliableCount);
        await Assert.ThrowsAsync<PendingSendsFullException>(async () => await sends.SendAsync(peer, Numbered(1), reliable: true, bytes: 101, CancellationToken.None));
        Assert.True((await sends.SendAsync(peer, Numbered(2), reliable: true, bytes: 60, CancellationToken.None)).Queued);
        Assert.Equal(60, sends.Drop(peer));
        Assert.Equal(60, sends.DroppedReliableBytes);
    }
}
