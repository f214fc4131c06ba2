using System.Buffers;
using Google.Protobuf;
using MemoryPack;
using PeerKit.Benchmarks.Messages;
using Gpb = PeerKit.Benchmarks.Protobuf;
using Mp = PeerKit.Benchmarks.Others.MemoryPack;
using Pn = PeerKit.Benchmarks.Others.ProtobufNet;

namespace PeerKit.Benchmarks;

/// <summary>
/// Every benchmark shape built with the same values for PeerKit, Google.Protobuf, protobuf-net and MemoryPack,
/// and the check, run before anything is measured, that the three protobuf libraries write the same bytes and
/// every library reads its own bytes back to the same values.
/// </summary>
public static class ShapeFixtures
{
    private const string BodyParagraph =
        "The north gate opens at dawn. Scouts report two patrols on the ridge and a supply cart stuck in the ford; " +
        "the smith wants iron, the healer wants moss, and the captain wants everyone back before the bells. ";

    /// <summary>A pose with a nested position.</summary>
    public static Pose Pose() => new(123_456, new Vec3(12.5f, 1.75f, -3.25f), 0.1f, 0.38f, 0.05f, 0.9185f, 123_456_789_012UL);

    /// <summary>A snapshot of 16 entities.</summary>
    public static Snapshot Snapshot() =>
        new(1_234_567, Enumerable.Range(0, 16).Select(i => new Entity((uint)(1000 + i), i * 1.5f, 0.25f * i, -i)).ToArray());

    /// <summary>Twelve named scores.</summary>
    public static Scores Scores() =>
        new(Enumerable.Range(0, 12).Select(i => new Entry("player-" + i.ToString("D2", System.Globalization.CultureInfo.InvariantCulture), (i * 7_919L) - 20_000)).ToArray());

    /// <summary>A document of about 6 KiB of text, mostly ASCII, with a few accented names.</summary>
    public static Document Document() => new(
        42,
        "Field notes from the northern march — week 12",
        "Zoë Dvořák",
        string.Concat(Enumerable.Repeat(BodyParagraph, 24)),
        ["notes", "march", "scouting", "supplies", "weather", "patrols"],
        "Patrols, supplies and the state of the ford, as seen from the north gate by the scouts of the company.");

    /// <summary>The encoded size of <see cref="Pose"/>.</summary>
    public const int PoseSize = 48;

    // --- Google.Protobuf ---

    /// <summary><see cref="Pose"/> for Google.Protobuf.</summary>
    public static Gpb.Pose GooglePose(Pose p) => new()
    {
        Id = p.Id, Position = new Gpb.Vec3 { X = p.Position.X, Y = p.Position.Y, Z = p.Position.Z },
        Qx = p.Qx, Qy = p.Qy, Qz = p.Qz, Qw = p.Qw, Tick = p.Tick,
    };

    /// <summary><see cref="Snapshot"/> for Google.Protobuf.</summary>
    public static Gpb.Snapshot GoogleSnapshot(Snapshot s)
    {
        var g = new Gpb.Snapshot { Tick = s.Tick };
        g.Entities.AddRange(s.Entities.Select(e => new Gpb.Entity { Id = e.Id, X = e.X, Y = e.Y, Z = e.Z }));
        return g;
    }

    /// <summary><see cref="Scores"/> for Google.Protobuf.</summary>
    public static Gpb.Scores GoogleScores(Scores s)
    {
        var g = new Gpb.Scores();
        g.Entries.AddRange(s.Entries.Select(e => new Gpb.Entry { Key = e.Key, Value = e.Value }));
        return g;
    }

    /// <summary><see cref="Document"/> for Google.Protobuf.</summary>
    public static Gpb.Document GoogleDocument(Document d)
    {
        var g = new Gpb.Document { Id = d.Id, Title = d.Title, Author = d.Author, Body = d.Body, Summary = d.Summary };
        g.Tags.AddRange(d.Tags);
        return g;
    }

    // --- protobuf-net ---

    /// <summary>The avatar for protobuf-net.</summary>
    public static Pn.AvatarTransform NetAvatar(AvatarTransform a) => new() { Id = a.Id, X = a.X, Y = a.Y, Z = a.Z, Qx = a.Qx, Qy = a.Qy, Qz = a.Qz, Qw = a.Qw };

    /// <summary><see cref="Pose"/> for protobuf-net.</summary>
    public static Pn.Pose NetPose(Pose p) => new()
    {
        Id = p.Id, Position = new Pn.Vec3 { X = p.Position.X, Y = p.Position.Y, Z = p.Position.Z },
        Qx = p.Qx, Qy = p.Qy, Qz = p.Qz, Qw = p.Qw, Tick = p.Tick,
    };

    /// <summary><see cref="Snapshot"/> for protobuf-net.</summary>
    public static Pn.Snapshot NetSnapshot(Snapshot s) => new() { Tick = s.Tick, Entities = s.Entities.Select(e => new Pn.Entity { Id = e.Id, X = e.X, Y = e.Y, Z = e.Z }).ToList() };

    /// <summary><see cref="Scores"/> for protobuf-net.</summary>
    public static Pn.Scores NetScores(Scores s) => new() { Entries = s.Entries.Select(e => new Pn.Entry { Key = e.Key, Value = e.Value }).ToList() };

    /// <summary>The chat line for protobuf-net.</summary>
    public static Pn.ChatMessage NetChat(ChatMessage c) => new() { From = c.From, To = c.To, Room = c.Room, Text = c.Text };

    /// <summary>The block for protobuf-net.</summary>
    public static Pn.Block NetBlock(Block b) => new()
    {
        Header = new Pn.BlockHeader { Version = b.Header.Version, Height = b.Header.Height, Timestamp = b.Header.Timestamp, ParentHash = b.Header.ParentHash },
        Payload = b.Payload,
        Values = b.Values,
    };

    /// <summary><see cref="Document"/> for protobuf-net.</summary>
    public static Pn.Document NetDocument(Document d) => new() { Id = d.Id, Title = d.Title, Author = d.Author, Body = d.Body, Tags = [.. d.Tags], Summary = d.Summary };

    // --- MemoryPack ---

    /// <summary>The avatar for MemoryPack.</summary>
    public static Mp.AvatarTransform PackAvatar(AvatarTransform a) => new(a.Id, a.X, a.Y, a.Z, a.Qx, a.Qy, a.Qz, a.Qw);

    /// <summary><see cref="Pose"/> for MemoryPack.</summary>
    public static Mp.Pose PackPose(Pose p) => new(p.Id, new Mp.Vec3(p.Position.X, p.Position.Y, p.Position.Z), p.Qx, p.Qy, p.Qz, p.Qw, p.Tick);

    /// <summary><see cref="Snapshot"/> for MemoryPack.</summary>
    public static Mp.Snapshot PackSnapshot(Snapshot s) => new() { Tick = s.Tick, Entities = s.Entities.Select(e => new Mp.Entity(e.Id, e.X, e.Y, e.Z)).ToArray() };

    /// <summary><see cref="Scores"/> for MemoryPack.</summary>
    public static Mp.Scores PackScores(Scores s) => new() { Entries = s.Entries.Select(e => new Mp.Entry { Key = e.Key, Value = e.Value }).ToArray() };

    /// <summary>The chat line for MemoryPack.</summary>
    public static Mp.ChatMessage PackChat(ChatMessage c) => new() { From = c.From, To = c.To, Room = c.Room, Text = c.Text };

    /// <summary>The block for MemoryPack.</summary>
    public static Mp.Block PackBlock(Block b) => new()
    {
        Header = new Mp.BlockHeader { Version = b.Header.Version, Height = b.Header.Height, Timestamp = b.Header.Timestamp, ParentHash = b.Header.ParentHash },
        Payload = b.Payload,
        Values = b.Values,
    };

    /// <summary><see cref="Document"/> for MemoryPack.</summary>
    public static Mp.Document PackDocument(Document d) => new() { Id = d.Id, Title = d.Title, Author = d.Author, Body = d.Body, Tags = d.Tags, Summary = d.Summary };

    /// <summary>protobuf-net's encoding of <paramref name="value"/>.</summary>
    public static byte[] NetBytes<T>(T value)
    {
        var writer = new ArrayBufferWriter<byte>();
        ProtoBuf.Serializer.Serialize(writer, value);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Checks every shape: PeerKit, Google.Protobuf and protobuf-net write identical bytes; each protobuf library
    /// reads them back to the same encoding; MemoryPack round-trips its own bytes.
    /// </summary>
    /// <exception cref="InvalidOperationException">A check failed.</exception>
    public static void Verify(TextWriter? log = null)
    {
        AvatarTransform avatar = Fixtures.Avatar();
        ChatMessage chat = Fixtures.Chat();
        Block block = Fixtures.Block();
        Pose pose = Pose();
        Snapshot snapshot = Snapshot();
        Scores scores = Scores();
        Document document = Document();

        var sizes = new List<string>
        {
            Same("avatar", MessageSerializer.ToArray(avatar), Fixtures.GoogleAvatar(), NetAvatar(avatar)),
            Same("pose", MessageSerializer.ToArray(pose), GooglePose(pose), NetPose(pose)),
            Same("snapshot", MessageSerializer.ToArray(snapshot), GoogleSnapshot(snapshot), NetSnapshot(snapshot)),
            Same("scores", MessageSerializer.ToArray(scores), GoogleScores(scores), NetScores(scores)),
            Same("chat", MessageSerializer.ToArray(chat), Fixtures.GoogleChat(), NetChat(chat)),
            Same("block", MessageSerializer.ToArray(block), Fixtures.GoogleBlock(), NetBlock(block)),
            Same("document", MessageSerializer.ToArray(document), GoogleDocument(document), NetDocument(document)),
        };
        Check(MessageSerializer.GetSize(pose) == PoseSize, $"the pose encodes to {MessageSerializer.GetSize(pose)} bytes, not {PoseSize}");

        // PeerKit reads back what it wrote.
        Check(MessageSerializer.Read<Pose>(MessageSerializer.ToArray(pose)) == pose, "PeerKit read a different Pose back");
        Check(MessageSerializer.ToArray(MessageSerializer.Read<Snapshot>(MessageSerializer.ToArray(snapshot))).AsSpan().SequenceEqual(MessageSerializer.ToArray(snapshot)), "PeerKit read a different Snapshot back");
        Check(MessageSerializer.ToArray(MessageSerializer.Read<Scores>(MessageSerializer.ToArray(scores))).AsSpan().SequenceEqual(MessageSerializer.ToArray(scores)), "PeerKit read different Scores back");
        Check(MessageSerializer.ToArray(MessageSerializer.Read<Document>(MessageSerializer.ToArray(document))).AsSpan().SequenceEqual(MessageSerializer.ToArray(document)), "PeerKit read a different Document back");

        // protobuf-net reads the shared bytes back to the same bytes.
        Check(NetBytes(ProtoBuf.Serializer.Deserialize<Pn.Pose>(MessageSerializer.ToArray(pose).AsSpan())).AsSpan().SequenceEqual(MessageSerializer.ToArray(pose)), "protobuf-net read a different Pose back");
        Check(NetBytes(ProtoBuf.Serializer.Deserialize<Pn.Document>(MessageSerializer.ToArray(document).AsSpan())).AsSpan().SequenceEqual(MessageSerializer.ToArray(document)), "protobuf-net read a different Document back");

        // MemoryPack round-trips its own format.
        Check(MemoryPackSerializer.Deserialize<Mp.AvatarTransform>(MemoryPackSerializer.Serialize(PackAvatar(avatar))) == PackAvatar(avatar), "MemoryPack avatar round trip");
        Check(MemoryPackSerializer.Deserialize<Mp.Pose>(MemoryPackSerializer.Serialize(PackPose(pose))) == PackPose(pose), "MemoryPack pose round trip");
        Check(MemoryPackSerializer.Deserialize<Mp.Document>(MemoryPackSerializer.Serialize(PackDocument(document)))!.Body == document.Body, "MemoryPack document round trip");
        Check(MemoryPackSerializer.Deserialize<Mp.Scores>(MemoryPackSerializer.Serialize(PackScores(scores)))!.Entries[11].Key == scores.Entries[11].Key, "MemoryPack scores round trip");

        log?.WriteLine("Shapes verified: PeerKit, Google.Protobuf and protobuf-net write the same bytes for " + string.Join(", ", sizes) + "; MemoryPack round-trips its own.");
    }

    private static string Same<TNet>(string name, byte[] peerKit, IMessage google, TNet net)
    {
        byte[] expected = google.ToByteArray();
        Check(expected.AsSpan().SequenceEqual(peerKit), $"{name}: PeerKit wrote {Convert.ToHexString(peerKit)} but Google.Protobuf wrote {Convert.ToHexString(expected)}");
        byte[] netBytes = NetBytes(net);
        Check(expected.AsSpan().SequenceEqual(netBytes), $"{name}: protobuf-net wrote {Convert.ToHexString(netBytes)} but Google.Protobuf wrote {Convert.ToHexString(expected)}");
        return $"{name} ({expected.Length} B)";
    }

    private static void Check(bool condition, string failure)
    {
        if (!condition)
        {
            throw new InvalidOperationException("Benchmark fixture check failed: " + failure);
        }
    }
}
