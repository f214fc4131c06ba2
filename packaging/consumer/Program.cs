// A PeerKit user's first program, built against the PeerKit package alone: a message, a protocol with a
// handler, and two nodes on loopback exchanging a message. Exit code 0 and the line "consumer: ok" mean the
// package works: the generator ran as an analyzer (the [Message] serializer and the [Protocol] descriptor and
// dispatch exist), the library loads, and the native shim resolves from runtimes/<rid>/native.
using PeerKit;
using PeerKit.Native;

using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

await using var bob = new PeerNode(new PeerNodeOptions
{
    Name = "bob",
    ListenAddresses = { NodeAddress.Parse("tcp://127.0.0.1:0") },
    Protocols = { new Greeter() },
});
await using var alice = new PeerNode(new PeerNodeOptions { Name = "alice", Protocols = { new Greeter() } });
await bob.StartAsync(timeout.Token);
await alice.StartAsync(timeout.Token);

Peer toBob = await alice.ConnectAsync(bob.ListenAddresses[0], timeout.Token);
await toBob.SendAsync(new Greeter.Hello("alice", 1), timeout.Token);
Greeter.Hello got = await Greeter.Received.Task.WaitAsync(timeout.Token);
Console.WriteLine($"consumer: bob received {got} over {toBob.Protocols[0].Descriptor}");

byte[] wire = MessageSerializer.ToArray(got);
Console.WriteLine($"consumer: {wire.Length} proto3 bytes; native shim {(NativeRuntime.TryGetVersion(out Version? v) ? v.ToString() : "missing")}");
if (got != new Greeter.Hello("alice", 1) || !NativeRuntime.IsAvailable)
{
    Console.Error.WriteLine("consumer: FAILED");
    return 1;
}

Console.WriteLine("consumer: ok");
return 0;

/// <summary>A one-message protocol.</summary>
[Protocol("greeter", Version = 1)]
public sealed partial class Greeter
{
    /// <summary>What bob received.</summary>
    public static TaskCompletionSource<Hello> Received { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A greeting.</summary>
    [Message(Code = 0)]
    public sealed partial record Hello(string From, int Count);

    [Handler]
    private static ValueTask OnHello(Peer peer, Hello message, CancellationToken cancellationToken)
    {
        Received.TrySetResult(message);
        return ValueTask.CompletedTask;
    }
}
