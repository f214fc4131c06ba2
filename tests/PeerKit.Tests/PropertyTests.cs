using FsCheck;
using FsCheck.Fluent;
using Google.Protobuf;
using PeerKit.Tests.Support;
using G = PeerKit.Tests.Google;

namespace PeerKit.Tests;

/// <summary>
/// The wire-compatibility checks of <see cref="Wire.AssertCompatible{TPeer, TGoogle}"/> on FsCheck-generated
/// values: 1,000 cases per property (more for the small messages).
/// </summary>
public class PropertyTests
{
    private const int Cases = 1_000;

    private static void CheckAll<T>(Gen<T> gen, Action<T> property, int cases = Cases)
    {
        int ran = 0;
        Check.One(
            Config.QuickThrowOnFailure.WithMaxTest(cases).WithQuietOnSuccess(true),
            Prop.ForAll(gen.ToArbitrary(), (T value) =>
            {
                ran++;
                property(value);
            }));
        Assert.True(ran >= cases, $"only {ran} of {cases} cases ran");
    }

    [Fact]
    public void Generated_scalars_match_google_protobuf_in_every_shape() => CheckAll(Gens.Scalars, Wire.AssertScalarsCompatible);

    [Fact]
    public void Generated_optionals_match_google_protobuf() =>
        CheckAll(Gens.Optionals, g => Wire.AssertCompatible(g, Map.Optionals, Map.ToGoogle));

    [Fact]
    public void Generated_repeated_fields_match_google_protobuf_as_arrays_lists_and_read_only_lists() =>
        CheckAll(Gens.Repeateds, Wire.AssertRepeatedsCompatible);

    [Fact]
    public void Generated_nested_messages_match_google_protobuf() => CheckAll(Gens.Outer, Wire.AssertOuterCompatible);

    [Fact]
    public void Generated_recursive_messages_match_google_protobuf() =>
        CheckAll(Gens.Recursive, g => Wire.AssertCompatible(g, Map.Recursive, Map.ToGoogle));

    [Fact]
    public void Generated_values_with_wide_tags_match_google_protobuf() =>
        CheckAll(Gens.WideTags, g => Wire.AssertCompatible(g, Map.WideTags, Map.ToGoogle));

    [Fact]
    public void Generated_avatar_transforms_match_google_protobuf() =>
        CheckAll(Gens.AvatarTransform, Wire.AssertAvatarTransformCompatible, 5_000);

    [Fact]
    public void Generated_chat_messages_match_google_protobuf() =>
        CheckAll(Gens.ChatMessage, g => Wire.AssertCompatible(g, Map.ChatMessage, Map.ToGoogle), 5_000);

    [Fact]
    public void Generated_blocks_match_google_protobuf() => CheckAll(Gens.Block, Wire.AssertBlockCompatible);

    [Fact]
    public void Generated_strings_have_the_same_utf8_as_google_protobuf()
    {
        CheckAll(Gens.Text, text =>
        {
            var google = new G.ChatMessage { Room = text };
            Wire.AssertCompatible(google, Map.ChatMessage, Map.ToGoogle);
            Assert.Equal(text, MessageSerializer.Read<Model.ChatMessage>(google.ToByteArray()).Room);
        }, 5_000);
    }
}
