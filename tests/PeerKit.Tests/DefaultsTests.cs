using PeerKit.Tests.Model;
using PeerKit.Tests.Support;

namespace PeerKit.Tests;

/// <summary>Fields absent from the input read as proto3 defaults, never as null where the member is not nullable.</summary>
public class DefaultsTests
{
    [Fact]
    public void Absent_strings_and_bytes_read_as_empty_not_null()
    {
        ScalarsClass c = MessageSerializer.Read<ScalarsClass>(ReadOnlySpan<byte>.Empty);
        Assert.Equal(string.Empty, c.Text);
        Assert.NotNull(c.Data);
        Assert.Empty(c.Data);

        ScalarsRecord r = MessageSerializer.Read<ScalarsRecord>(Array.Empty<byte>());
        Assert.Equal(string.Empty, r.Text);
        Assert.True(r.Data.IsEmpty);
        Assert.Equal(0, r.Int32Value);
        Assert.Equal(Color.Unspecified, r.Color);
    }

    [Fact]
    public void Absent_repeated_fields_read_as_empty_collections_not_null()
    {
        RepeatedArrays a = MessageSerializer.Read<RepeatedArrays>(ReadOnlySpan<byte>.Empty);
        Assert.Empty(a.Flags);
        Assert.Empty(a.Int32Values);
        Assert.Empty(a.Fixed64Values);
        Assert.Empty(a.Colors);
        Assert.Empty(a.Texts);
        Assert.Empty(a.Blobs);
        Assert.Empty(a.Inners);

        RepeatedLists l = MessageSerializer.Read<RepeatedLists>(ReadOnlySpan<byte>.Empty);
        Assert.Empty(l.Flags);
        Assert.Empty(l.DoubleValues);
        Assert.Empty(l.Texts);
        Assert.Empty(l.Blobs);
        Assert.Empty(l.Inners);

        RepeatedReadOnlyLists r = MessageSerializer.Read<RepeatedReadOnlyLists>(ReadOnlySpan<byte>.Empty);
        Assert.NotNull(r.Flags);
        Assert.Empty(r.Flags);
        Assert.NotNull(r.Texts);
        Assert.Empty(r.Texts);
        Assert.NotNull(r.Inners);
        Assert.Empty(r.Inners);
    }

    [Fact]
    public void Absent_non_nullable_nested_message_reads_as_a_default_instance_and_nullable_as_null()
    {
        Outer o = MessageSerializer.Read<Outer>(ReadOnlySpan<byte>.Empty);
        Assert.Equal(new Inner(0, string.Empty), o.Required);
        Assert.Null(o.Optional);
        Assert.Empty(o.Items);
        Assert.Equal(default, o.Position);
        Assert.Null(o.Tail);

        OuterClass c = MessageSerializer.Read<OuterClass>(Wire.FromHex("2805"));
        Assert.Equal(new Inner(0, string.Empty), c.Required);
        Assert.Null(c.Optional);
        Assert.Null(c.Position);
        Assert.Equal(5, c.Tail);

        BlockClass b = MessageSerializer.Read<BlockClass>(ReadOnlySpan<byte>.Empty);
        Assert.NotNull(b.Header);
        Assert.Equal(0UL, b.Header.Height);
        Assert.Empty(b.Payload);
        Assert.Empty(b.Values);

        Recursive leaf = MessageSerializer.Read<Recursive>(Wire.FromHex("1001"));
        Assert.Null(leaf.Child);
        Assert.Equal(1, leaf.Value);
    }

    [Fact]
    public void Absent_optional_fields_read_as_null()
    {
        Optionals o = MessageSerializer.Read<Optionals>(ReadOnlySpan<byte>.Empty);
        Assert.Equal(new Optionals(null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null), o);
        Assert.Null(o.Text);
        Assert.Null(o.Data);
        Assert.Null(o.Inner);
    }

    [Fact]
    public void Nested_message_fields_present_but_empty_read_as_default_instances()
    {
        Outer o = MessageSerializer.Read<Outer>(Wire.FromHex("0A00 1200 1A00 2200"));
        Assert.Equal(new Inner(0, string.Empty), o.Required);
        Assert.Equal(new Inner(0, string.Empty), o.Optional);
        Assert.Equal([new Inner(0, string.Empty)], o.Items);
        Assert.Equal(default, o.Position);
    }
}
