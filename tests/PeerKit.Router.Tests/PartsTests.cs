using PeerKit.Routing;

namespace PeerKit.Router.Tests;

public class PartsTests
{
    [Fact]
    public void The_rate_limit_allows_a_burst_then_the_rate()
    {
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var limit = new SignalingRateLimit(10, 5, t0);
        Assert.Equal(5, Enumerable.Range(0, 20).Count(_ => limit.TryTake(t0)));
        Assert.False(limit.TryTake(t0.AddMilliseconds(50)));
        Assert.True(limit.TryTake(t0.AddMilliseconds(100)));
        Assert.Equal(5, Enumerable.Range(0, 20).Count(_ => limit.TryTake(t0.AddSeconds(60))));
    }

    [Fact]
    public void Reconnect_delays_grow_with_jitter_up_to_the_maximum()
    {
        var backoff = new RouterReconnectBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1));
        Assert.Equal(TimeSpan.FromMilliseconds(50), backoff.Next(0));
        Assert.Equal(TimeSpan.FromMilliseconds(200), backoff.Next(1));
        Assert.Equal(TimeSpan.FromMilliseconds(300), backoff.Next(0.5));
        for (int i = 0; i < 10; i++)
        {
            TimeSpan d = backoff.Next(0.999);
            Assert.InRange(d, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1));
        }

        backoff.Reset();
        Assert.Equal(TimeSpan.FromMilliseconds(100), backoff.Next(1));
    }

    [Fact]
    public void Pending_sends_keep_order_and_their_byte_limits()
    {
        NodeId a = NodeKey.Generate().Id, b = NodeKey.Generate().Id;
        var pending = new PendingSends(maxPerPeer: 100, maxTotal: 150);
        Func<Peer, CancellationToken, ValueTask> one = (_, _) => ValueTask.CompletedTask, two = (_, _) => ValueTask.CompletedTask;
        Assert.True(pending.TryEnqueue(a, one, 60));
        Assert.True(pending.TryEnqueue(a, two, 40));
        Assert.False(pending.TryEnqueue(a, one, 1));
        Assert.True(pending.TryEnqueue(b, one, 50));
        Assert.False(pending.TryEnqueue(b, one, 1));
        Assert.Equal(150, pending.TotalBytes);
        Assert.True(pending.TryDequeue(a, out var first));
        Assert.Same(one, first);
        Assert.True(pending.TryDequeue(a, out var second));
        Assert.Same(two, second);
        Assert.False(pending.TryDequeue(a, out _));
        Assert.Equal(50, pending.Drop(b));
        Assert.Equal(0, pending.TotalBytes);
    }

    [Fact]
    public void Rooms_keep_members_and_limits()
    {
        NodeId a = NodeKey.Generate().Id, b = NodeKey.Generate().Id, c = NodeKey.Generate().Id;
        var rooms = new RoomDirectory(maxRooms: 2, maxMembers: 2, maxRoomsPerNode: 2);
        Assert.Equal(RouterStatus.Ok, rooms.Create("x", a));
        Assert.Equal(RouterStatus.RoomExists, rooms.Create("x", b));
        Assert.Equal(RouterStatus.Malformed, rooms.Create("", b));
        Assert.Equal(RouterStatus.Malformed, rooms.Create("a\nb", b));
        Assert.Equal(RouterStatus.Ok, rooms.Join("x", b, out bool added));
        Assert.True(added);
        Assert.Equal(RouterStatus.Ok, rooms.Join("x", b, out added));
        Assert.False(added);
        Assert.Equal(RouterStatus.RoomFull, rooms.Join("x", c, out _));
        Assert.Equal(RouterStatus.Ok, rooms.Create("y", c));
        Assert.Equal(RouterStatus.Busy, rooms.Create("z", c));
        Assert.Equal(["x"], rooms.LeaveAll(a));
        Assert.Equal([b], rooms.Members("x"));
        Assert.Equal(RouterStatus.Ok, rooms.Leave("x", b));
        Assert.Equal(["y"], rooms.Names(100));
        Assert.Equal(RouterStatus.NotInRoom, rooms.Leave("y", a));
    }
}
