using System.Buffers;
using PeerKit.Tests.Model;
using PeerKit.Tests.Support;

namespace PeerKit.Tests;

/// <summary>[MaxLength]: counted in MaxSize, refused on encode before a byte is written, refused on decode at its offset.</summary>
public class MaxLengthTests
{
    private static MaxLengthExceededException EncodeFails<T>(T message) where T : IMessage<T>
    {
        byte[] destination = Enumerable.Repeat((byte)0xEE, 256).ToArray();
        MaxLengthExceededException e = Assert.Throws<MaxLengthExceededException>(() => MessageSerializer.Write(message, destination));
        Assert.All(destination, b => Assert.Equal(0xEE, b)); // nothing written
        var writer = new ArrayBufferWriter<byte>();
        Assert.Throws<MaxLengthExceededException>(() => MessageSerializer.Write(message, writer));
        Assert.Equal(0, writer.WrittenCount);
        Assert.Throws<MaxLengthExceededException>(() => MessageSerializer.ToArray(message));
        return e;
    }

    [Fact]
    public void Bounded_members_give_the_message_a_max_size()
    {
        Assert.Equal(55, MaxSizeOf<RadioNote>());
        Assert.Equal(-1, MaxSizeOf<BoundedBlob>()); // its strings have no bound

        var largest = new RadioNote(uint.MaxValue, new string('é', 10), new byte[8], [uint.MaxValue, uint.MaxValue, uint.MaxValue]);
        Assert.Equal(55, MessageSerializer.GetSize(largest));
    }

    private static int MaxSizeOf<T>() where T : IMessage<T> => T.MaxSize;

    [Fact]
    public void Values_at_their_bound_round_trip()
    {
        var note = new RadioNote(7, new string('é', 10), [1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 3]);
        RadioNote back = MessageSerializer.Read<RadioNote>(MessageSerializer.ToArray(note));
        Assert.Equal(note.Name, back.Name);
        Assert.Equal(note.Key, back.Key);
        Assert.Equal(note.Levels, back.Levels);

        var blob = new BoundedBlob(new byte[16], ["a", "b"], [new Inner(1, "x"), new Inner(2, "y")]);
        BoundedBlob blobBack = MessageSerializer.Read<BoundedBlob>(MessageSerializer.ToArray(blob));
        Assert.Equal(16, blobBack.Data.Length);
        Assert.Equal(["a", "b"], blobBack.Tags);
        Assert.Equal(blob.Inners, blobBack.Inners);
    }

    [Fact]
    public void A_string_longer_in_UTF8_bytes_than_its_bound_is_refused_before_a_byte_is_written()
    {
        // 11 characters but 22 UTF-8 bytes: the bound counts bytes.
        MaxLengthExceededException e = EncodeFails(new RadioNote(7, new string('é', 11), [], []));
        Assert.Equal("RadioNote.Name", e.Member);
        Assert.Equal(22, e.Length);
        Assert.Equal(20, e.MaxLength);
        Assert.Equal(21, EncodeFails(new RadioNote(7, new string('a', 21), [], [])).Length);
    }

    [Fact]
    public void Bytes_and_repeated_members_past_their_bound_are_refused_before_a_byte_is_written()
    {
        Assert.Equal("RadioNote.Key", EncodeFails(new RadioNote(7, "a", new byte[9], [])).Member);
        Assert.Equal("RadioNote.Levels", EncodeFails(new RadioNote(7, "a", [], [1, 2, 3, 4])).Member);
        Assert.Equal("BoundedBlob.Data", EncodeFails(new BoundedBlob(new byte[17], [], [])).Member);
        MaxLengthExceededException e = EncodeFails(new BoundedBlob(default, ["a", "b", "c"], []));
        Assert.Equal("BoundedBlob.Tags", e.Member);
        Assert.Equal(3, e.Length);
        Assert.Equal("BoundedBlob.Inners", EncodeFails(new BoundedBlob(default, [], [new Inner(1, ""), new Inner(2, ""), new Inner(3, "")])).Member);
    }

    [Fact]
    public void Decoding_a_string_or_bytes_past_its_bound_fails_at_its_length_prefix()
    {
        // Id = 7, then Name: 21 bytes.
        byte[] name = [0x08, 0x07, 0x12, 21, .. Enumerable.Repeat((byte)'a', 21)];
        MessageFormatException e = Wire.ReadFails<RadioNote>(name);
        Assert.Equal(3, e.Offset);
        Assert.Contains("[MaxLength] of 20", e.Reason, StringComparison.Ordinal);

        byte[] key = [0x1A, 9, .. new byte[9]];
        Assert.Equal(1, Wire.ReadFails<RadioNote>(key).Offset);

        byte[] data = [0x0A, 17, .. new byte[17]];
        Assert.Equal(1, Wire.ReadFails<BoundedBlob>(data).Offset);
    }

    [Fact]
    public void Decoding_more_elements_than_the_bound_fails_at_the_first_one_too_many()
    {
        // Levels packed: 4 varints.
        byte[] packed = [0x22, 4, 1, 2, 3, 4];
        Assert.Contains("[MaxLength] of 3", Wire.ReadFails<RadioNote>(packed).Reason, StringComparison.Ordinal);

        // Levels unpacked: the fourth element's value starts at offset 7.
        byte[] unpacked = [0x20, 1, 0x20, 2, 0x20, 3, 0x20, 4];
        Assert.Equal(7, Wire.ReadFails<RadioNote>(unpacked).Offset);

        // Packed runs that add up past the bound.
        byte[] runs = [0x22, 2, 1, 2, 0x22, 2, 3, 4];
        Assert.Equal(6, Wire.ReadFails<RadioNote>(runs).Offset);

        // Tags: a third string.
        byte[] tags = [0x12, 1, (byte)'a', 0x12, 1, (byte)'b', 0x12, 1, (byte)'c'];
        Assert.Equal(7, Wire.ReadFails<BoundedBlob>(tags).Offset);
    }
}
