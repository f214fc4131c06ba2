using System.Collections.Concurrent;

namespace PeerKit.Router.Tests;

/// <summary>A small application protocol the clients run beside the router's: lines (reliable) and ticks (unreliable).</summary>
[Protocol("test-chat")]
public sealed partial class TestChat
{
    [Message(Code = 0)]
    public sealed partial record Line(string Text);

    [Message(Code = 1, Reliability = Reliability.Unreliable)]
    public readonly partial record struct Tick(int N);

    public ConcurrentQueue<(NodeId From, string Text)> Lines { get; } = new();

    public ConcurrentQueue<(NodeId From, int N)> Ticks { get; } = new();

    [Handler]
    private void OnLine(Peer peer, Line line) => Lines.Enqueue((peer.Id, line.Text));

    [Handler]
    private void OnTick(Peer peer, Tick tick) => Ticks.Enqueue((peer.Id, tick.N));
}
