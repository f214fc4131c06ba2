using PeerKit;

// 1. Messages: a [Message] record gets a generated protobuf serializer at compile time.
var chat = new ChatMessage(From: 7, To: 9, Room: "lobby", Text: "hello, peers ✓", Tags: [1, 2, 300]);
byte[] bytes = MessageSerializer.ToArray(chat);
Console.WriteLine($"ChatMessage → {bytes.Length} bytes: {Convert.ToHexString(bytes)}");
ChatMessage back = MessageSerializer.Read<ChatMessage>(bytes);
Console.WriteLine($"read back: {back with { Tags = [] }} tags=[{string.Join(", ", back.Tags)}]");

var pose = new AvatarTransform(42, 1.5f, 0, -2, 0, 0, 0, 1);
Span<byte> buffer = stackalloc byte[AvatarTransformMax];
int written = MessageSerializer.Write(pose, buffer);
Console.WriteLine($"AvatarTransform → {written} bytes: {Convert.ToHexString(buffer[..written])}");
Console.WriteLine($"read back: {MessageSerializer.Read<AvatarTransform>(buffer[..written])}");

partial class Program
{
    private const int AvatarTransformMax = 64;
}

/// <summary>A chat line in a room.</summary>
[Message(Code = 1)]
public partial record ChatMessage(ulong From, ulong To, string Room, string Text, int[] Tags);

/// <summary>An avatar's position and rotation, sent unreliably many times a second.</summary>
[Message(Code = 2, Reliability = Reliability.Unreliable, MaxSize = 64)]
public partial record AvatarTransform([Fixed] uint Id, float X, float Y, float Z, float Qx, float Qy, float Qz, float Qw);
