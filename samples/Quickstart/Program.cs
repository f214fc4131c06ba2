// The PeerKit tour. Each capability of the SDK adds a step here; run it with
//   dotnet run --project samples/Quickstart
using System.Net;
using PeerKit;
using PeerKit.Links;
using PeerKit.Links.Tcp;
using PeerKit.Native;

Console.WriteLine("PeerKit quickstart");
Console.WriteLine();

// Step 1. Messages are code: a [Message] record gets a generated protobuf (proto3) serializer at compile time.
Step("1. A message, written and read back");
var chat = new ChatMessage(From: 7, To: 9, Room: "lobby", Text: "hello, peers ✓") { Tags = [1, 2, 300] };
byte[] bytes = MessageSerializer.ToArray(chat);
Console.WriteLine($"   ChatMessage ({MessageSerializer.GetSize(chat)} bytes): {Convert.ToHexString(bytes)}");
ChatMessage back = MessageSerializer.Read<ChatMessage>(bytes);
Console.WriteLine($"   read back: From={back.From} To={back.To} Room={back.Room} Text=\"{back.Text}\" Tags=[{string.Join(", ", back.Tags)}]");
Console.WriteLine($"   equal to what was sent: {back.Text == chat.Text && back.Tags.SequenceEqual(chat.Tags)}");

// Step 2. Hot paths write into a span without allocating; MaxSize is proven at compile time.
Step("2. An unreliable avatar transform, written into a stack buffer");
var pose = new AvatarTransform(Id: 42, X: 1.5f, Y: 0, Z: -2, Qx: 0, Qy: 0, Qz: 0, Qw: 1);
Span<byte> buffer = stackalloc byte[MessageInfo<AvatarTransform>.MaxSize];
int written = MessageSerializer.Write(pose, buffer);
Console.WriteLine($"   AvatarTransform ({written} of at most {MessageInfo<AvatarTransform>.MaxSize} bytes, {MessageInfo<AvatarTransform>.Reliability}): {Convert.ToHexString(buffer[..written])}");
Console.WriteLine($"   read back: {MessageSerializer.Read<AvatarTransform>(buffer[..written])}");

// Step 3. Bad bytes are a typed error with the offset, never a crash.
Step("3. Malformed input");
byte[] truncated = bytes[..^2];
Console.WriteLine($"   TryRead of {truncated.Length} truncated bytes: {MessageSerializer.TryRead<ChatMessage>(truncated, out _)}");
try
{
    MessageSerializer.Read<ChatMessage>(truncated);
}
catch (MessageFormatException e)
{
    Console.WriteLine($"   MessageFormatException at byte {e.Offset}: {e.Reason}");
}

// Step 4. The native shim (radio and Wi-Fi Direct drivers will live there) is built with the SDK.
Step("4. Native shim");
Console.WriteLine(NativeRuntime.TryGetVersion(out Version? version)
    ? $"   libpeerkit_native {version} loaded"
    : "   libpeerkit_native is not available on this machine");

// Step 5. Two peers on loopback: each has a node key; a Noise XX handshake over TCP proves both identities,
// then every frame is encrypted. Frames carry encoded messages (sessions and PeerNode come next).
Step("5. Two peers over an encrypted TCP link");
NodeKey aliceKey = NodeKey.Generate();
NodeKey bobKey = NodeKey.Generate();
await using (TcpLinkListener listener = TcpLinkListener.Start(new IPEndPoint(IPAddress.Loopback, 0), bobKey))
{
    ValueTask<TcpLink> accepted = listener.AcceptAsync();
    await using TcpLink alice = await TcpLink.ConnectAsync(listener.LocalEndPoint, aliceKey, expectedRemoteId: bobKey.Id);
    await using TcpLink bob = await accepted;
    Console.WriteLine($"   alice {alice.LocalId:s} dialed bob at {listener.LocalEndPoint} and proved it is {alice.RemoteId:s}");

    await alice.SendAsync(MessageSerializer.ToArray(new ChatMessage(1, 2, "lobby", "hi bob")), MessageInfo<ChatMessage>.Reliability);
    using (LinkFrame frame = await bob.ReceiveAsync())
    {
        ChatMessage received = MessageSerializer.Read<ChatMessage>(frame.Span);
        Console.WriteLine($"   bob received {frame.Length} bytes from {bob.RemoteId:s}: \"{received.Text}\"");
    }
}

static void Step(string title)
{
    Console.WriteLine();
    Console.WriteLine(title);
}

/// <summary>A chat line in a room, delivered reliably and in order.</summary>
[Message(Code = 1)]
public partial record ChatMessage(ulong From, ulong To, string Room, string Text)
{
    /// <summary>Topic tags (a packed repeated field).</summary>
    public int[] Tags { get; init; } = [];
}

/// <summary>An avatar's position and rotation, sent unreliably many times a second (the Oculus P2P sample's payload).</summary>
[Message(Code = 2, Reliability = Reliability.Unreliable, MaxSize = 48)]
public readonly partial record struct AvatarTransform([Fixed] uint Id, float X, float Y, float Z, float Qx, float Qy, float Qz, float Qw);
