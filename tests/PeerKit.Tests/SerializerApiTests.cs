using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using Google.Protobuf;
using PeerKit.Serialization;
using PeerKit.Tests.Model;
using PeerKit.Tests.Support;
using G = PeerKit.Tests.Google;

namespace PeerKit.Tests;

/// <summary>The entry points of <see cref="MessageSerializer"/>: where bytes go, what is copied, what throws.</summary>
public class SerializerApiTests
{
    private static byte[] BlockBytes(out byte[] payload, int payloadLength = 1024)
    {
        payload = new byte[payloadLength];
        new Random(7).NextBytes(payload);
        var google = new G.Block { Header = new G.BlockHeader { Height = 1 }, Payload = ByteString.CopyFrom(payload) };
        google.Values.Add(Enumerable.Range(0, 32));
        return google.ToByteArray();
    }

    [Fact]
    public void Read_from_memory_slices_the_source_for_read_only_memory_members()
    {
        byte[] source = BlockBytes(out byte[] payload);
        int payloadOffset = source.AsSpan().IndexOf(payload);

        Block fromArray = MessageSerializer.Read<Block>(source);
        Assert.True(MemoryMarshal.TryGetArray(fromArray.Payload, out ArraySegment<byte> segment));
        Assert.Same(source, segment.Array);
        Assert.Equal(payloadOffset, segment.Offset);
        Assert.Equal(payload.Length, segment.Count);

        // From memory that starts inside a larger buffer: still a slice, at the right place.
        byte[] padded = new byte[source.Length + 100];
        source.CopyTo(padded, 37);
        Block fromMemory = MessageSerializer.Read<Block>(new ReadOnlyMemory<byte>(padded, 37, source.Length));
        Assert.True(MemoryMarshal.TryGetArray(fromMemory.Payload, out segment));
        Assert.Same(padded, segment.Array);
        Assert.Equal(37 + payloadOffset, segment.Offset);
        Assert.True(fromMemory.Payload.Span.Overlaps(padded));
        Assert.Equal(payload, fromMemory.Payload.ToArray());

        // A slice really shares the source.
        padded[37 + payloadOffset] ^= 0xFF;
        Assert.Equal((byte)(payload[0] ^ 0xFF), fromMemory.Payload.Span[0]);
    }

    [Fact]
    public void Read_from_memory_slices_bytes_inside_nested_and_repeated_fields()
    {
        var google = new G.Repeateds();
        google.Blobs.Add([ByteString.CopyFrom(1, 2, 3), ByteString.Empty, ByteString.CopyFrom(4)]);
        byte[] source = google.ToByteArray();
        RepeatedLists read = MessageSerializer.Read<RepeatedLists>(source);
        Assert.Equal(3, read.Blobs.Count);
        Assert.True(MemoryMarshal.TryGetArray(read.Blobs[0], out ArraySegment<byte> first));
        Assert.Same(source, first.Array);
        Assert.Equal(3, first.Offset); // after the two-byte tag of field 16 and the length
        Assert.True(read.Blobs[1].IsEmpty);
        Assert.True(read.Blobs[2].Span.Overlaps(source));

        ScalarsRecord scalars = MessageSerializer.Read<ScalarsRecord>(new G.Scalars { Data = ByteString.CopyFrom(9, 9) }.ToByteArray().AsMemory());
        Assert.Equal(new byte[] { 9, 9 }, scalars.Data.ToArray());
    }

    [Fact]
    public void Read_from_a_span_copies_read_only_memory_members()
    {
        byte[] source = BlockBytes(out byte[] payload);
        Block read = MessageSerializer.Read<Block>(source.AsSpan());
        Assert.False(read.Payload.Span.Overlaps(source));
        Assert.Equal(payload, read.Payload.ToArray());
        source.AsSpan().Clear();
        Assert.Equal(payload, read.Payload.ToArray());

        Assert.True(MessageSerializer.TryRead<Block>(BlockBytes(out _), out Block tried));
        Assert.Equal(payload, tried.Payload.ToArray());
    }

    [Fact]
    public void Byte_array_members_are_always_copies()
    {
        byte[] source = BlockBytes(out byte[] payload);
        BlockClass read = MessageSerializer.Read<BlockClass>(source);
        Assert.False(read.Payload.AsSpan().Overlaps(source));
        Assert.Equal(payload, read.Payload);
    }

    [Fact]
    public void Write_to_a_buffer_writer_equals_ToArray_and_appends()
    {
        byte[] source = BlockBytes(out _);
        Block block = MessageSerializer.Read<Block>(source);
        var chat = new ChatMessage(1, 2, "room", "text ✓");
        var writer = new ArrayBufferWriter<byte>(1);
        MessageSerializer.Write(block, writer);
        Assert.Equal(MessageSerializer.ToArray(block), writer.WrittenSpan.ToArray());
        MessageSerializer.Write(chat, writer);
        Assert.Equal(MessageSerializer.ToArray(block).Concat(MessageSerializer.ToArray(chat)), writer.WrittenSpan.ToArray());

        // An empty message writes nothing.
        MessageSerializer.Write(new ScalarsStruct(), writer);
        Assert.Equal(source.Length + MessageSerializer.GetSize(chat), writer.WrittenCount);
    }

    [Fact]
    public void Message_writer_over_a_buffer_writer_matches_the_span_encoding()
    {
        // The generated Write driven by a MessageWriter that grows through IBufferWriter.GetSpan as it goes.
        byte[] source = BlockBytes(out _, payloadLength: 5000);
        Block block = MessageSerializer.Read<Block>(source);
        var output = new ArrayBufferWriter<byte>(1);
        var writer = new MessageWriter(output);
        WriteWith(block, ref writer);
        writer.Flush();
        Assert.Equal(source.Length, writer.BytesWritten);
        Assert.Equal(source, output.WrittenSpan.ToArray());
    }

    private static void WriteWith<T>(in T message, ref MessageWriter writer)
        where T : IMessage<T> => T.Write(in message, ref writer);

    [Fact]
    public void Write_to_a_span_returns_the_size_and_leaves_the_rest_untouched()
    {
        var chat = new ChatMessage(7, 9, "lobby", "hello");
        byte[] expected = MessageSerializer.ToArray(chat);
        byte[] destination = Enumerable.Repeat((byte)0xEE, expected.Length + 10).ToArray();
        int written = MessageSerializer.Write(chat, destination);
        Assert.Equal(expected.Length, written);
        Assert.Equal(expected, destination[..written]);
        Assert.All(destination[written..], b => Assert.Equal(0xEE, b));
    }

    [Fact]
    public void Write_to_a_span_that_is_too_small_throws_ArgumentException()
    {
        var chat = new ChatMessage(7, 9, "lobby", "hello");
        int size = MessageSerializer.GetSize(chat);
        byte[] destination = new byte[size - 1];
        var e = Assert.Throws<ArgumentException>(() => MessageSerializer.Write(chat, destination));
        Assert.Equal("destination", e.ParamName);
        Assert.All(destination, b => Assert.Equal(0, b));

        Assert.Throws<ArgumentException>(() => MessageSerializer.Write(new AvatarTransform { Id = 1 }, Span<byte>.Empty));
        Assert.Equal(0, MessageSerializer.Write(new AvatarTransform(), Span<byte>.Empty));
    }

    [Fact]
    public void GetSize_equals_the_written_length()
    {
        IEnumerable<G.Scalars> samples = Gens.Sample(Gens.Scalars, 200);
        foreach (G.Scalars google in samples)
        {
            ScalarsClass peer = Map.ScalarsClass(google);
            int size = MessageSerializer.GetSize(peer);
            Assert.Equal(MessageSerializer.ToArray(peer).Length, size);
            Assert.Equal(google.CalculateSize(), size);
            Assert.Equal(size, MessageSerializer.Write(peer, new byte[size]));
        }

        foreach (G.Repeateds google in Gens.Sample(Gens.Repeateds, 100))
        {
            RepeatedReadOnlyLists peer = Map.RepeatedReadOnlyLists(google);
            Assert.Equal(MessageSerializer.ToArray(peer).Length, MessageSerializer.GetSize(peer));
        }
    }

    [Fact]
    public void Null_message_is_rejected_with_ArgumentNullException()
    {
        Assert.Throws<ArgumentNullException>(() => MessageSerializer.GetSize<ChatMessage>(null!));
        Assert.Throws<ArgumentNullException>(() => MessageSerializer.ToArray<ChatMessage>(null!));
        Assert.Throws<ArgumentNullException>(() => MessageSerializer.Write<ChatMessage>(null!, new byte[16]));
        Assert.Throws<ArgumentNullException>(() => MessageSerializer.Write(new ChatMessage(1, 1, "", ""), (IBufferWriter<byte>)null!));
    }

    [Fact]
    public void Message_metadata_comes_from_the_attribute_or_the_computed_bound()
    {
        Assert.Equal(2, CodeOf<AvatarTransform>());
        Assert.Equal(Reliability.Unreliable, ReliabilityOf<AvatarTransform>());
        Assert.Equal(64, MaxSizeOf<AvatarTransform>());
        Assert.Equal(1, CodeOf<ChatMessage>());
        Assert.Equal(Reliability.ReliableOrdered, ReliabilityOf<ChatMessage>());
        Assert.Equal(-1, MaxSizeOf<ChatMessage>());
        Assert.Equal(-1, CodeOf<Inner>());

        // Bounded messages: the computed bound is the size of the largest encoding.
        Assert.Equal(31, MaxSizeOf<BlockHeader>());
        Assert.Equal(31, MessageSerializer.GetSize(new BlockHeader(ulong.MaxValue, 1, -1)));
        var worst = new ScalarsStruct
        {
            Flag = true, Int32Value = -1, SInt32Value = int.MinValue, SFixed32Value = 1, Int64Value = -1, SInt64Value = long.MinValue,
            SFixed64Value = 1, UInt32Value = uint.MaxValue, Fixed32Value = 1, UInt64Value = ulong.MaxValue, Fixed64Value = 1,
            FloatValue = 1, DoubleValue = 1, Color = Color.Negative,
        };
        Assert.Equal(MaxSizeOf<ScalarsStruct>(), MessageSerializer.GetSize(worst));
        Assert.Equal(111, MaxSizeOf<ScalarsStruct>());
        Assert.Equal(MaxSizeOf<ScalarsRecordStruct>(), MessageSerializer.GetSize(Map.ScalarsRecordStruct(Map.ToGoogle(worst))));
    }

    private static int CodeOf<T>()
        where T : IMessage<T> => T.Code;

    private static Reliability ReliabilityOf<T>()
        where T : IMessage<T> => T.Reliability;

    private static int MaxSizeOf<T>()
        where T : IMessage<T> => T.MaxSize;

    [Fact]
    public void Lone_surrogates_are_rejected_with_EncoderFallbackException()
    {
        // PeerKit's UTF-8 is strict: a lone surrogate cannot be encoded. Sized writes (ToArray, a buffer writer, a span
        // shorter than the bound) write nothing; a span with room for the bound is written in one pass, the string
        // checked as it is transcoded, so the members before it may be in the span, but never a byte after the bound.
        foreach (string bad in new[] { "\uD800", "a\uDC00b", "😀"[..1], "x\uDFFF\uD800" })
        {
            var chat = new ChatMessage(1, 2, bad, "ok");
            Assert.Throws<EncoderFallbackException>(() => MessageSerializer.GetSize(chat));
            Assert.Throws<EncoderFallbackException>(() => MessageSerializer.ToArray(chat));
            byte[] destination = new byte[64];
            Assert.Throws<EncoderFallbackException>(() => MessageSerializer.Write(chat, destination));
            Assert.All(destination[(14 + (3 * bad.Length))..], b => Assert.Equal(0, b));
            byte[] tight = new byte[8];
            Assert.Throws<EncoderFallbackException>(() => MessageSerializer.Write(chat, tight));
            Assert.All(tight, b => Assert.Equal(0, b));
            var writer = new ArrayBufferWriter<byte>();
            Assert.Throws<EncoderFallbackException>(() => MessageSerializer.Write(chat, writer));
            Assert.Equal(0, writer.WrittenCount);

            Assert.Throws<EncoderFallbackException>(() => MessageSerializer.ToArray(new RepeatedLists { Texts = ["fine", bad] }));
            Assert.Throws<EncoderFallbackException>(() => MessageSerializer.ToArray(new Outer(new Inner(1, bad), null, [], default, null)));
            Assert.Throws<EncoderFallbackException>(() => MessageSerializer.ToArray(new Optionals(null, null, null, null, null, null, null, null, null, null, null, null, null, null, bad, null, null)));
        }

        // A proper pair is fine.
        Assert.Equal("😀", MessageSerializer.Read<ChatMessage>(MessageSerializer.ToArray(new ChatMessage(0, 0, "😀", ""))).Room);
    }

    [Fact]
    public void Repeated_builder_keeps_every_element_across_growth()
    {
        var builder = new RepeatedBuilder<string>();
        for (int i = 0; i < 1000; i++)
        {
            builder.Add(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (i == 500)
            {
                builder.EnsureCapacity(10_000);
            }
        }

        Assert.Equal(1000, builder.Count);
        string[] items = builder.ToArray();
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), items);
        Assert.Equal(0, builder.Count);

        var ints = new RepeatedBuilder<int>();
        ints.EnsureCapacity(3);
        for (int i = 0; i < 100; i++)
        {
            ints.Add(i);
            ints.EnsureCapacity(i % 7);
        }

        Assert.Equal(Enumerable.Range(0, 100), ints.ToList());
    }
}
