using PeerKit.Serialization;
using PeerKit.Sessions;
using PeerKit.Tests.Model;

namespace PeerKit.Tests.Nodes;

/// <summary>
/// The session frame writes a message in one pass into a buffer of its bound when the bound is small, and sizes it first
/// otherwise; either way the frame is the code followed by exactly the message's own encoding.
/// </summary>
public sealed class SessionFrameTests
{
    public static TheoryData<int> TextLengths => new() { 0, 1, 127, 128, 5_000, SessionFrame.OnePassLimit, 100_000 };

    [Theory]
    [MemberData(nameof(TextLengths))]
    public void A_frame_is_the_code_then_the_message_bytes(int textLength)
    {
        var message = new ChatMessage(7, 1UL << 40, "room", new string('é', textLength / 2) + new string('a', textLength % 2));
        AssertFrame(0x23, message);
    }

    [Fact]
    public void A_fixed_layout_message_is_framed_like_its_serializer_writes_it()
    {
        AssertFrame(0x10, new Vec3(1.5f, -0f, float.NaN));
        AssertFrame((1 << 21) + 3, new Vec3(0, 0, 0));
    }

    private static void AssertFrame<T>(int code, T message) where T : IMessage<T>
    {
        byte[] expectedMessage = MessageSerializer.ToArray(in message);
        byte[] buffer = SessionFrame.Encode(code, in message, out int length);
        try
        {
            Assert.True(SessionFrame.TryReadCode(buffer.AsSpan(0, length), out int read, out int header));
            Assert.Equal(code, read);
            Assert.Equal(expectedMessage, buffer.AsSpan(header, length - header).ToArray());
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
