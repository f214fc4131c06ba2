// go-ethereum's "foo" → "bar" sub-protocol (the p2p package's introduction), written the PeerKit way:
//   dotnet run --project samples/FooBar
//
// Two nodes on loopback. Bob runs MyProtocol with a generated dispatch to a [Handler]; alice runs the same
// protocol (the same generated descriptor) with a go-ethereum style read loop on a MessageReadWriter.
using PeerKit;

using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

// srv := p2p.Server{MaxPeers: 10, PrivateKey: nodekey, Name: "my node name", ListenAddr: ":30300", Protocols: …}
await using var bob = new PeerNode(new PeerNodeOptions
{
    Name = "bob",
    MaxPeers = 10,
    ListenAddresses = { NodeAddress.Parse("tcp://127.0.0.1:0") },
    Protocols = { new MyProtocol() },
});
var aliceLoop = new MyProtocolLoop();
await using var alice = new PeerNode(new PeerNodeOptions { Name = "alice", MaxPeers = 10, Protocols = { aliceLoop } });
await bob.StartAsync(timeout.Token);
await alice.StartAsync(timeout.Token);
Console.WriteLine($"bob   listening on {bob.ListenAddresses[0]}");

Peer peer = await alice.ConnectAsync(bob.ListenAddresses[0], timeout.Token);
NegotiatedProtocol negotiated = peer.Protocols.Single();
Console.WriteLine($"alice connected to {peer.Name}: {negotiated.Descriptor} (Length {negotiated.Descriptor.Length}) at code 0x{negotiated.Offset:x2}");

Console.WriteLine("alice sends: foo");
await peer.SendAsync(new MyProtocol.Message("foo"), timeout.Token);
string reply = await aliceLoop.Received.Task.WaitAsync(timeout.Token);
Console.WriteLine($"alice recv: {reply}");
return reply == "bar" ? 0 : 1;

/// <summary>The protocol: one message, code 0, so Length is 1 (generated).</summary>
[Protocol("MyProtocol", Version = 1)]
public sealed partial class MyProtocol
{
    /// <summary>go-ethereum's <c>type Message string</c>, as a record with one string field.</summary>
    [Message(Code = 0)]
    public sealed partial record Message(string Text);

    /// <summary>Answers "foo" with "bar"; prints anything else.</summary>
    [Handler]
    private static async ValueTask OnMessage(Peer peer, Message message, CancellationToken cancellationToken)
    {
        switch (message.Text)
        {
            case "foo":
                Console.WriteLine("bob   recv: foo, sends: bar");
                await peer.SendAsync(new Message("bar"), cancellationToken);
                break;
            default:
                Console.WriteLine($"bob   recv: {message.Text}");
                break;
        }
    }
}

/// <summary>The same protocol with go-ethereum's Run: a read loop over the peer's messages of this protocol.</summary>
public sealed class MyProtocolLoop : IProtocol
{
    /// <summary>The first message that was not "foo".</summary>
    public TaskCompletionSource<string> Received { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The generated descriptor: name, version, Length and the message table.</summary>
    public ProtocolDescriptor Descriptor => MyProtocol.Descriptor;

    /// <summary>msgHandler: read, decode, answer "foo" with "bar", report the rest.</summary>
    public async ValueTask RunAsync(Peer peer, MessageReadWriter readWriter, CancellationToken cancellationToken)
    {
        while (true)
        {
            using ProtocolMessage message = await readWriter.ReadAsync(cancellationToken); // ws.ReadMsg()
            MyProtocol.Message decoded = message.Decode<MyProtocol.Message>();           // msg.Decode(&myMessage)
            if (decoded.Text == "foo")
            {
                await readWriter.SendAsync(new MyProtocol.Message("bar"), cancellationToken); // p2p.SendItems(ws, messageId, "bar")
            }
            else
            {
                Received.TrySetResult(decoded.Text);
            }
        }
    }
}
