using System.Collections.Concurrent;

namespace PeerKit.Cluster.Tests;

/// <summary>A small application protocol the clients run beside the router's: numbered lines (reliable).</summary>
[Protocol("cluster-test-chat")]
public sealed partial class TestChat
{
    [Message(Code = 0)]
    public sealed partial record Line(string Text);

    public ConcurrentQueue<(NodeId From, string Text)> Lines { get; } = new();

    [Handler]
    private void OnLine(Peer peer, Line line) => Lines.Enqueue((peer.Id, line.Text));
}
