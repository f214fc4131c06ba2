using System.Collections.Concurrent;
using PeerKit.Routing;

namespace PeerKit.Router.Tests;

/// <summary>
/// The client's side of the router's protocol, written out by hand so a test can send exactly the requests it means
/// (many connects, no open) and see every answer. It accepts every incoming connect when <see cref="AcceptAll"/>.
/// </summary>
[Protocol("peerkit-router", Version = 1)]
public sealed partial class RawRouterClient
{
    [Message(Code = 0)]
    public sealed partial record Open(RouterAccessToken? Token, string[] LocalAddresses);

    /// <summary>A presence query without the router's bound on the number of ids, to send too many.</summary>
    [Message(Code = 1)]
    public sealed partial record Who(uint RequestId, byte[][] NodeIds);

    [Message(Code = 2)]
    public sealed partial record Connect(uint RequestId, byte[] Target, string Room, RoutingMode Mode);

    [Message(Code = 3)]
    public sealed partial record Answer(uint RequestId, bool Accept, bool RevealRefusal, bool Crossed = false);

    /// <summary>A JoinRoom whose name is bytes where the router expects text: invalid UTF-8 makes it malformed.</summary>
    [Message(Code = 5)]
    public sealed partial record BadJoinRoom(uint RequestId, byte[] Name);

    [Message(Code = 8)]
    public sealed partial record Opened(RouterStatus Status, string Detail, string ObservedAddress);

    [Message(Code = 9)]
    public sealed partial record Result(uint RequestId, RouterStatus Status, string Detail);

    [Message(Code = 11)]
    public sealed partial record Incoming(uint RequestId, byte[] From, string Room);

    [Message(Code = 12)]
    public sealed partial record Candidates(uint RequestId, byte[] Peer, string[] Addresses, uint RelayChannel, RoutingMode Mode);

    public bool AcceptAll { get; set; } = true;

    /// <summary>Declines every incoming connect claiming a crossed request (that this node never made).</summary>
    public bool ClaimCrossed { get; set; }

    public ConcurrentQueue<Opened> OpenedAnswers { get; } = new();

    public ConcurrentQueue<Result> Results { get; } = new();

    public ConcurrentQueue<Candidates> CandidateAnswers { get; } = new();

    [Handler]
    private void OnOpened(Peer peer, Opened opened) => OpenedAnswers.Enqueue(opened);

    [Handler]
    private void OnResult(Peer peer, Result result) => Results.Enqueue(result);

    [Handler]
    private void OnCandidates(Peer peer, Candidates candidates) => CandidateAnswers.Enqueue(candidates);

    /// <summary>Incoming connect requests seen.</summary>
    public int IncomingCount => Volatile.Read(ref _incoming);

    private int _incoming;

    [Handler]
    private async ValueTask OnIncoming(Peer peer, Incoming incoming, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _incoming);
        if (ClaimCrossed)
        {
            await peer.SendAsync(new Answer(incoming.RequestId, false, false, Crossed: true), cancellationToken);
        }
        else if (AcceptAll)
        {
            await peer.SendAsync(new Answer(incoming.RequestId, true, false), cancellationToken);
        }
    }

    /// <summary>A node on loopback UDP running this protocol, attached to the router; opened unless <paramref name="open"/> is false.</summary>
    public static async Task<(PeerNode Node, Peer Router, RawRouterClient Client)> AttachAsync(NodeAddress router, bool open = true, NodeKey? key = null)
    {
        var client = new RawRouterClient();
        var node = new PeerNode(new PeerNodeOptions { ListenAddresses = { NodeAddress.Parse("udp://127.0.0.1:0") }, Protocols = { client }, Identity = key });
        await node.StartAsync();
        Peer session = await node.ConnectAsync(router);
        if (open)
        {
            await session.SendAsync(new Open(null, []));
            await Loopback.EventuallyAsync(() => !client.OpenedAnswers.IsEmpty, "the router answers the open");
            Assert.Equal(RouterStatus.Ok, client.OpenedAnswers.Single().Status);
        }

        return (node, session, client);
    }
}
