using static PeerKit.Tests.Nodes.NodeTestKit;

namespace PeerKit.Tests.Nodes;

/// <summary>A [Protocol] class with generated dispatch, end to end through two nodes.</summary>
public sealed class GeneratedProtocolSessionTests
{
    [Fact]
    public async Task Generated_dispatch_calls_handlers_and_passes_the_rest_to_the_pull_reader()
    {
        var aliceTrades = new TradeProtocol();
        var bobTrades = new TradeProtocol();
        await using PeerNode alice = await StartAsync(Options("alice", aliceTrades).Listening());
        await using PeerNode bob = await StartAsync(Options("bob", bobTrades));
        Peer toAlice = await bob.ConnectAsync(alice.Address()).WaitAsync(Wait);

        Assert.Equal(TradeProtocol.Descriptor, toAlice.Protocols.Single().Descriptor);
        Assert.Equal(4, TradeProtocol.Descriptor.Length); // declared: codes 0-2 and one reserved

        await toAlice.SendAsync(new TradeProtocol.Offer("apples", 12));
        await toAlice.SendAsync(new TradeProtocol.Note("no handler for notes"));
        (string item, int quantity) = await aliceTrades.Offers.Reader.ReadAsync().AsTask().WaitAsync(Wait);
        Assert.Equal(("apples", 12), (item, quantity));

        // The offer handler answered with an Accept (an async handler), which bob's handler received.
        Assert.Equal(12, await bobTrades.Accepted.Reader.ReadAsync().AsTask().WaitAsync(Wait));

        await EventuallyAsync(() => alice.PeerCount == 1, "alice sees bob");
        using ProtocolMessage note = await alice.Peers[0].ReadAsync().AsTask().WaitAsync(Wait);
        Assert.Equal("no handler for notes", note.Decode<TradeProtocol.Note>().Text);
    }

    [Fact]
    public async Task A_code_inside_the_range_but_without_a_message_is_a_breach_of_protocol()
    {
        await using PeerNode node = await StartAsync(Options("node", new TradeProtocol()));
        await using RawPeer raw = RawPeer.Attach(node);
        Peer peer = await raw.HandshakeAsync(new Capability("trade", 1));
        // trade has Length 4 (declared), but no message at code 3: the generated switch reports an unknown code.
        await raw.SendRawAsync(0x10 + 3);
        Assert.Equal(DisconnectReason.BreachOfProtocol, await raw.DisconnectReasonAsync());
        Assert.Equal(DisconnectReason.BreachOfProtocol, (await peer.Completion.WaitAsync(Wait)).Reason);
    }
}

[Protocol("trade", Version = 1, Length = 4)]
public sealed partial class TradeProtocol
{
    public System.Threading.Channels.Channel<(string Item, int Quantity)> Offers { get; } = System.Threading.Channels.Channel.CreateUnbounded<(string, int)>();

    public System.Threading.Channels.Channel<int> Accepted { get; } = System.Threading.Channels.Channel.CreateUnbounded<int>();

    [Message(Code = 0)]
    public sealed partial record Offer(string Item, int Quantity);

    [Message(Code = 1)]
    public readonly partial record struct Accept(int Quantity);

    [Message(Code = 2)]
    public sealed partial record Note(string Text);

    [Handler]
    private async ValueTask OnOffer(Peer peer, Offer offer, CancellationToken cancellationToken)
    {
        Offers.Writer.TryWrite((offer.Item, offer.Quantity));
        await peer.SendAsync(new Accept(offer.Quantity), cancellationToken);
    }

    [Handler]
    private void OnAccept(Peer peer, in Accept accept) => Accepted.Writer.TryWrite(accept.Quantity);
}
