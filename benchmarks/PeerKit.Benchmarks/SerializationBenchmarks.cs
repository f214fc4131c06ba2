using System.Buffers;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Google.Protobuf;
using MemoryPack;
using PeerKit.Benchmarks.Messages;
using Gpb = PeerKit.Benchmarks.Protobuf;
using Mp = PeerKit.Benchmarks.Others.MemoryPack;
using Pn = PeerKit.Benchmarks.Others.ProtobufNet;

namespace PeerKit.Benchmarks;

/// <summary>
/// Encode and decode of seven shapes (contracts/bench/*.proto), PeerKit against Google.Protobuf (the baseline of
/// every category), protobuf-net and MemoryPack. PeerKit, Google.Protobuf and protobuf-net write the same bytes
/// (checked in <see cref="Setup"/>); MemoryPack writes its own format. The Ratio column is a library's time over
/// Google.Protobuf's: below 0.5 means more than twice as fast.
/// </summary>
/// <remarks>
/// Encoding writes into one reused buffer: a span for PeerKit and Google.Protobuf (both size the message first),
/// a reset <see cref="ArrayBufferWriter{T}"/> for protobuf-net and MemoryPack, which have no span writer.
/// Decoding reads the same bytes as a <see cref="ReadOnlySpan{T}"/> everywhere.
/// </remarks>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class SerializationBenchmarks
{
    private const string Encode = "Encode";
    private const string Decode = "Decode";

    private readonly byte[] _buffer = new byte[16 * 1024];
    private readonly ArrayBufferWriter<byte> _writer = new(16 * 1024);


    private AvatarTransform _avatar = Fixtures.Avatar();
    private Gpb.AvatarTransform _googleAvatar = Fixtures.GoogleAvatar();
    private Pn.AvatarTransform _netAvatar = ShapeFixtures.NetAvatar(Fixtures.Avatar());
    private Mp.AvatarTransform _packAvatar = ShapeFixtures.PackAvatar(Fixtures.Avatar());
    private byte[] _avatarBytes = [];
    private byte[] _avatarPackBytes = [];

    private Pose _pose = ShapeFixtures.Pose();
    private Gpb.Pose _googlePose = ShapeFixtures.GooglePose(ShapeFixtures.Pose());
    private Pn.Pose _netPose = ShapeFixtures.NetPose(ShapeFixtures.Pose());
    private Mp.Pose _packPose = ShapeFixtures.PackPose(ShapeFixtures.Pose());
    private byte[] _poseBytes = [];
    private byte[] _posePackBytes = [];

    private Snapshot _snapshot = ShapeFixtures.Snapshot();
    private Gpb.Snapshot _googleSnapshot = ShapeFixtures.GoogleSnapshot(ShapeFixtures.Snapshot());
    private Pn.Snapshot _netSnapshot = ShapeFixtures.NetSnapshot(ShapeFixtures.Snapshot());
    private Mp.Snapshot _packSnapshot = ShapeFixtures.PackSnapshot(ShapeFixtures.Snapshot());
    private byte[] _snapshotBytes = [];
    private byte[] _snapshotPackBytes = [];

    private Scores _scores = ShapeFixtures.Scores();
    private Gpb.Scores _googleScores = ShapeFixtures.GoogleScores(ShapeFixtures.Scores());
    private Pn.Scores _netScores = ShapeFixtures.NetScores(ShapeFixtures.Scores());
    private Mp.Scores _packScores = ShapeFixtures.PackScores(ShapeFixtures.Scores());
    private byte[] _scoresBytes = [];
    private byte[] _scoresPackBytes = [];

    private ChatMessage _chat = Fixtures.Chat();
    private Gpb.ChatMessage _googleChat = Fixtures.GoogleChat();
    private Pn.ChatMessage _netChat = ShapeFixtures.NetChat(Fixtures.Chat());
    private Mp.ChatMessage _packChat = ShapeFixtures.PackChat(Fixtures.Chat());
    private byte[] _chatBytes = [];
    private byte[] _chatPackBytes = [];

    private Messages.Block _block = Fixtures.Block();
    private Gpb.Block _googleBlock = Fixtures.GoogleBlock();
    private Pn.Block _netBlock = ShapeFixtures.NetBlock(Fixtures.Block());
    private Mp.Block _packBlock = ShapeFixtures.PackBlock(Fixtures.Block());
    private byte[] _blockBytes = [];
    private byte[] _blockPackBytes = [];

    private Document _document = ShapeFixtures.Document();
    private Gpb.Document _googleDocument = ShapeFixtures.GoogleDocument(ShapeFixtures.Document());
    private Pn.Document _netDocument = ShapeFixtures.NetDocument(ShapeFixtures.Document());
    private Mp.Document _packDocument = ShapeFixtures.PackDocument(ShapeFixtures.Document());
    private byte[] _documentBytes = [];
    private byte[] _documentPackBytes = [];


    /// <summary>Checks the fixtures (same bytes from the three protobuf libraries) and encodes the inputs of the decode benchmarks.</summary>
    [GlobalSetup]
    public void Setup()
    {
        Fixtures.Verify();
        ShapeFixtures.Verify();
        _avatarBytes = _googleAvatar.ToByteArray();
        _avatarPackBytes = MemoryPackSerializer.Serialize(_packAvatar);
        _poseBytes = _googlePose.ToByteArray();
        _posePackBytes = MemoryPackSerializer.Serialize(_packPose);
        _snapshotBytes = _googleSnapshot.ToByteArray();
        _snapshotPackBytes = MemoryPackSerializer.Serialize(_packSnapshot);
        _scoresBytes = _googleScores.ToByteArray();
        _scoresPackBytes = MemoryPackSerializer.Serialize(_packScores);
        _chatBytes = _googleChat.ToByteArray();
        _chatPackBytes = MemoryPackSerializer.Serialize(_packChat);
        _blockBytes = _googleBlock.ToByteArray();
        _blockPackBytes = MemoryPackSerializer.Serialize(_packBlock);
        _documentBytes = _googleDocument.ToByteArray();
        _documentPackBytes = MemoryPackSerializer.Serialize(_packDocument);
    }

    // --- avatar: an id and 7 floats, 29 B (record struct) ---

    /// <summary>Google.Protobuf: size, then <c>WriteTo(Span&lt;byte&gt;)</c>.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("Avatar", Encode)]
    public int AvatarEncode_Google()
    {
        int size = _googleAvatar.CalculateSize();
        _googleAvatar.WriteTo(_buffer.AsSpan(0, size));
        return size;
    }

    /// <summary>PeerKit: <c>MessageSerializer.Write</c> into a span.</summary>
    [Benchmark, BenchmarkCategory("Avatar", Encode)]
    public int AvatarEncode_PeerKit() => MessageSerializer.Write(in _avatar, _buffer);

    /// <summary>protobuf-net into a reset buffer writer.</summary>
    [Benchmark, BenchmarkCategory("Avatar", Encode)]
    public int AvatarEncode_ProtobufNet()
    {
        _writer.ResetWrittenCount();
        ProtoBuf.Serializer.Serialize(_writer, _netAvatar);
        return _writer.WrittenCount;
    }

    /// <summary>MemoryPack into a reset buffer writer.</summary>
    [Benchmark, BenchmarkCategory("Avatar", Encode)]
    public int AvatarEncode_MemoryPack()
    {
        _writer.ResetWrittenCount();
        MemoryPackSerializer.Serialize(_writer, in _packAvatar);
        return _writer.WrittenCount;
    }

    /// <summary>Google.Protobuf: <c>Parser.ParseFrom(ReadOnlySpan&lt;byte&gt;)</c>.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("Avatar", Decode)]
    public Gpb.AvatarTransform AvatarDecode_Google() => Gpb.AvatarTransform.Parser.ParseFrom(new ReadOnlySpan<byte>(_avatarBytes));

    /// <summary>PeerKit: <c>MessageSerializer.Read</c> from a span.</summary>
    [Benchmark, BenchmarkCategory("Avatar", Decode)]
    public AvatarTransform AvatarDecode_PeerKit() => MessageSerializer.Read<AvatarTransform>(new ReadOnlySpan<byte>(_avatarBytes));

    /// <summary>protobuf-net from a span.</summary>
    [Benchmark, BenchmarkCategory("Avatar", Decode)]
    public Pn.AvatarTransform AvatarDecode_ProtobufNet() => ProtoBuf.Serializer.Deserialize<Pn.AvatarTransform>(new ReadOnlySpan<byte>(_avatarBytes));

    /// <summary>MemoryPack from a span (of its own format).</summary>
    [Benchmark, BenchmarkCategory("Avatar", Decode)]
    public Mp.AvatarTransform? AvatarDecode_MemoryPack() => MemoryPackSerializer.Deserialize<Mp.AvatarTransform>(new ReadOnlySpan<byte>(_avatarPackBytes));

    // --- pose: a nested Vec3, 48 B (record struct) ---

    /// <summary>Google.Protobuf: size, then <c>WriteTo(Span&lt;byte&gt;)</c>.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("Pose", Encode)]
    public int PoseEncode_Google()
    {
        int size = _googlePose.CalculateSize();
        _googlePose.WriteTo(_buffer.AsSpan(0, size));
        return size;
    }

    /// <summary>PeerKit: <c>MessageSerializer.Write</c> into a span.</summary>
    [Benchmark, BenchmarkCategory("Pose", Encode)]
    public int PoseEncode_PeerKit() => MessageSerializer.Write(in _pose, _buffer);

    /// <summary>protobuf-net into a reset buffer writer.</summary>
    [Benchmark, BenchmarkCategory("Pose", Encode)]
    public int PoseEncode_ProtobufNet()
    {
        _writer.ResetWrittenCount();
        ProtoBuf.Serializer.Serialize(_writer, _netPose);
        return _writer.WrittenCount;
    }

    /// <summary>MemoryPack into a reset buffer writer.</summary>
    [Benchmark, BenchmarkCategory("Pose", Encode)]
    public int PoseEncode_MemoryPack()
    {
        _writer.ResetWrittenCount();
        MemoryPackSerializer.Serialize(_writer, in _packPose);
        return _writer.WrittenCount;
    }

    /// <summary>Google.Protobuf: <c>Parser.ParseFrom(ReadOnlySpan&lt;byte&gt;)</c>.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("Pose", Decode)]
    public Gpb.Pose PoseDecode_Google() => Gpb.Pose.Parser.ParseFrom(new ReadOnlySpan<byte>(_poseBytes));

    /// <summary>PeerKit: <c>MessageSerializer.Read</c> from a span.</summary>
    [Benchmark, BenchmarkCategory("Pose", Decode)]
    public Pose PoseDecode_PeerKit() => MessageSerializer.Read<Pose>(new ReadOnlySpan<byte>(_poseBytes));

    /// <summary>protobuf-net from a span.</summary>
    [Benchmark, BenchmarkCategory("Pose", Decode)]
    public Pn.Pose PoseDecode_ProtobufNet() => ProtoBuf.Serializer.Deserialize<Pn.Pose>(new ReadOnlySpan<byte>(_poseBytes));

    /// <summary>MemoryPack from a span (of its own format).</summary>
    [Benchmark, BenchmarkCategory("Pose", Decode)]
    public Mp.Pose? PoseDecode_MemoryPack() => MemoryPackSerializer.Deserialize<Mp.Pose>(new ReadOnlySpan<byte>(_posePackBytes));

    // --- snapshot: a repeated field of 16 messages ---

    /// <summary>Google.Protobuf: size, then <c>WriteTo(Span&lt;byte&gt;)</c>.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("Snapshot", Encode)]
    public int SnapshotEncode_Google()
    {
        int size = _googleSnapshot.CalculateSize();
        _googleSnapshot.WriteTo(_buffer.AsSpan(0, size));
        return size;
    }

    /// <summary>PeerKit: <c>MessageSerializer.Write</c> into a span.</summary>
    [Benchmark, BenchmarkCategory("Snapshot", Encode)]
    public int SnapshotEncode_PeerKit() => MessageSerializer.Write(in _snapshot, _buffer);

    /// <summary>protobuf-net into a reset buffer writer.</summary>
    [Benchmark, BenchmarkCategory("Snapshot", Encode)]
    public int SnapshotEncode_ProtobufNet()
    {
        _writer.ResetWrittenCount();
        ProtoBuf.Serializer.Serialize(_writer, _netSnapshot);
        return _writer.WrittenCount;
    }

    /// <summary>MemoryPack into a reset buffer writer.</summary>
    [Benchmark, BenchmarkCategory("Snapshot", Encode)]
    public int SnapshotEncode_MemoryPack()
    {
        _writer.ResetWrittenCount();
        MemoryPackSerializer.Serialize(_writer, in _packSnapshot);
        return _writer.WrittenCount;
    }

    /// <summary>Google.Protobuf: <c>Parser.ParseFrom(ReadOnlySpan&lt;byte&gt;)</c>.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("Snapshot", Decode)]
    public Gpb.Snapshot SnapshotDecode_Google() => Gpb.Snapshot.Parser.ParseFrom(new ReadOnlySpan<byte>(_snapshotBytes));

    /// <summary>PeerKit: <c>MessageSerializer.Read</c> from a span.</summary>
    [Benchmark, BenchmarkCategory("Snapshot", Decode)]
    public Snapshot SnapshotDecode_PeerKit() => MessageSerializer.Read<Snapshot>(new ReadOnlySpan<byte>(_snapshotBytes));

    /// <summary>protobuf-net from a span.</summary>
    [Benchmark, BenchmarkCategory("Snapshot", Decode)]
    public Pn.Snapshot SnapshotDecode_ProtobufNet() => ProtoBuf.Serializer.Deserialize<Pn.Snapshot>(new ReadOnlySpan<byte>(_snapshotBytes));

    /// <summary>MemoryPack from a span (of its own format).</summary>
    [Benchmark, BenchmarkCategory("Snapshot", Decode)]
    public Mp.Snapshot? SnapshotDecode_MemoryPack() => MemoryPackSerializer.Deserialize<Mp.Snapshot>(new ReadOnlySpan<byte>(_snapshotPackBytes));

    // --- scores: a map-like list of 12 string/int64 entries ---

    /// <summary>Google.Protobuf: size, then <c>WriteTo(Span&lt;byte&gt;)</c>.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("Scores", Encode)]
    public int ScoresEncode_Google()
    {
        int size = _googleScores.CalculateSize();
        _googleScores.WriteTo(_buffer.AsSpan(0, size));
        return size;
    }

    /// <summary>PeerKit: <c>MessageSerializer.Write</c> into a span.</summary>
    [Benchmark, BenchmarkCategory("Scores", Encode)]
    public int ScoresEncode_PeerKit() => MessageSerializer.Write(in _scores, _buffer);

    /// <summary>protobuf-net into a reset buffer writer.</summary>
    [Benchmark, BenchmarkCategory("Scores", Encode)]
    public int ScoresEncode_ProtobufNet()
    {
        _writer.ResetWrittenCount();
        ProtoBuf.Serializer.Serialize(_writer, _netScores);
        return _writer.WrittenCount;
    }

    /// <summary>MemoryPack into a reset buffer writer.</summary>
    [Benchmark, BenchmarkCategory("Scores", Encode)]
    public int ScoresEncode_MemoryPack()
    {
        _writer.ResetWrittenCount();
        MemoryPackSerializer.Serialize(_writer, in _packScores);
        return _writer.WrittenCount;
    }

    /// <summary>Google.Protobuf: <c>Parser.ParseFrom(ReadOnlySpan&lt;byte&gt;)</c>.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("Scores", Decode)]
    public Gpb.Scores ScoresDecode_Google() => Gpb.Scores.Parser.ParseFrom(new ReadOnlySpan<byte>(_scoresBytes));

    /// <summary>PeerKit: <c>MessageSerializer.Read</c> from a span.</summary>
    [Benchmark, BenchmarkCategory("Scores", Decode)]
    public Scores ScoresDecode_PeerKit() => MessageSerializer.Read<Scores>(new ReadOnlySpan<byte>(_scoresBytes));

    /// <summary>protobuf-net from a span.</summary>
    [Benchmark, BenchmarkCategory("Scores", Decode)]
    public Pn.Scores ScoresDecode_ProtobufNet() => ProtoBuf.Serializer.Deserialize<Pn.Scores>(new ReadOnlySpan<byte>(_scoresBytes));

    /// <summary>MemoryPack from a span (of its own format).</summary>
    [Benchmark, BenchmarkCategory("Scores", Decode)]
    public Mp.Scores? ScoresDecode_MemoryPack() => MemoryPackSerializer.Deserialize<Mp.Scores>(new ReadOnlySpan<byte>(_scoresPackBytes));

    // --- chat: two ids and two strings ---

    /// <summary>Google.Protobuf: size, then <c>WriteTo(Span&lt;byte&gt;)</c>.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("Chat", Encode)]
    public int ChatEncode_Google()
    {
        int size = _googleChat.CalculateSize();
        _googleChat.WriteTo(_buffer.AsSpan(0, size));
        return size;
    }

    /// <summary>PeerKit: <c>MessageSerializer.Write</c> into a span.</summary>
    [Benchmark, BenchmarkCategory("Chat", Encode)]
    public int ChatEncode_PeerKit() => MessageSerializer.Write(in _chat, _buffer);

    /// <summary>protobuf-net into a reset buffer writer.</summary>
    [Benchmark, BenchmarkCategory("Chat", Encode)]
    public int ChatEncode_ProtobufNet()
    {
        _writer.ResetWrittenCount();
        ProtoBuf.Serializer.Serialize(_writer, _netChat);
        return _writer.WrittenCount;
    }

    /// <summary>MemoryPack into a reset buffer writer.</summary>
    [Benchmark, BenchmarkCategory("Chat", Encode)]
    public int ChatEncode_MemoryPack()
    {
        _writer.ResetWrittenCount();
        MemoryPackSerializer.Serialize(_writer, in _packChat);
        return _writer.WrittenCount;
    }

    /// <summary>Google.Protobuf: <c>Parser.ParseFrom(ReadOnlySpan&lt;byte&gt;)</c>.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("Chat", Decode)]
    public Gpb.ChatMessage ChatDecode_Google() => Gpb.ChatMessage.Parser.ParseFrom(new ReadOnlySpan<byte>(_chatBytes));

    /// <summary>PeerKit: <c>MessageSerializer.Read</c> from a span.</summary>
    [Benchmark, BenchmarkCategory("Chat", Decode)]
    public ChatMessage ChatDecode_PeerKit() => MessageSerializer.Read<ChatMessage>(new ReadOnlySpan<byte>(_chatBytes));

    /// <summary>protobuf-net from a span.</summary>
    [Benchmark, BenchmarkCategory("Chat", Decode)]
    public Pn.ChatMessage ChatDecode_ProtobufNet() => ProtoBuf.Serializer.Deserialize<Pn.ChatMessage>(new ReadOnlySpan<byte>(_chatBytes));

    /// <summary>MemoryPack from a span (of its own format).</summary>
    [Benchmark, BenchmarkCategory("Chat", Decode)]
    public Mp.ChatMessage? ChatDecode_MemoryPack() => MemoryPackSerializer.Deserialize<Mp.ChatMessage>(new ReadOnlySpan<byte>(_chatPackBytes));

    // --- block: 1 KiB, a nested header, bytes and 32 packed ints ---

    /// <summary>Google.Protobuf: size, then <c>WriteTo(Span&lt;byte&gt;)</c>.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("Block", Encode)]
    public int BlockEncode_Google()
    {
        int size = _googleBlock.CalculateSize();
        _googleBlock.WriteTo(_buffer.AsSpan(0, size));
        return size;
    }

    /// <summary>PeerKit: <c>MessageSerializer.Write</c> into a span.</summary>
    [Benchmark, BenchmarkCategory("Block", Encode)]
    public int BlockEncode_PeerKit() => MessageSerializer.Write(in _block, _buffer);

    /// <summary>protobuf-net into a reset buffer writer.</summary>
    [Benchmark, BenchmarkCategory("Block", Encode)]
    public int BlockEncode_ProtobufNet()
    {
        _writer.ResetWrittenCount();
        ProtoBuf.Serializer.Serialize(_writer, _netBlock);
        return _writer.WrittenCount;
    }

    /// <summary>MemoryPack into a reset buffer writer.</summary>
    [Benchmark, BenchmarkCategory("Block", Encode)]
    public int BlockEncode_MemoryPack()
    {
        _writer.ResetWrittenCount();
        MemoryPackSerializer.Serialize(_writer, in _packBlock);
        return _writer.WrittenCount;
    }

    /// <summary>Google.Protobuf: <c>Parser.ParseFrom(ReadOnlySpan&lt;byte&gt;)</c>.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("Block", Decode)]
    public Gpb.Block BlockDecode_Google() => Gpb.Block.Parser.ParseFrom(new ReadOnlySpan<byte>(_blockBytes));

    /// <summary>PeerKit: <c>MessageSerializer.Read</c> from a span.</summary>
    [Benchmark, BenchmarkCategory("Block", Decode)]
    public Messages.Block BlockDecode_PeerKit() => MessageSerializer.Read<Messages.Block>(new ReadOnlySpan<byte>(_blockBytes));

    /// <summary>protobuf-net from a span.</summary>
    [Benchmark, BenchmarkCategory("Block", Decode)]
    public Pn.Block BlockDecode_ProtobufNet() => ProtoBuf.Serializer.Deserialize<Pn.Block>(new ReadOnlySpan<byte>(_blockBytes));

    /// <summary>MemoryPack from a span (of its own format).</summary>
    [Benchmark, BenchmarkCategory("Block", Decode)]
    public Mp.Block? BlockDecode_MemoryPack() => MemoryPackSerializer.Deserialize<Mp.Block>(new ReadOnlySpan<byte>(_blockPackBytes));

    // --- document: about 6 KiB of strings ---

    /// <summary>Google.Protobuf: size, then <c>WriteTo(Span&lt;byte&gt;)</c>.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("Document", Encode)]
    public int DocumentEncode_Google()
    {
        int size = _googleDocument.CalculateSize();
        _googleDocument.WriteTo(_buffer.AsSpan(0, size));
        return size;
    }

    /// <summary>PeerKit: <c>MessageSerializer.Write</c> into a span.</summary>
    [Benchmark, BenchmarkCategory("Document", Encode)]
    public int DocumentEncode_PeerKit() => MessageSerializer.Write(in _document, _buffer);

    /// <summary>protobuf-net into a reset buffer writer.</summary>
    [Benchmark, BenchmarkCategory("Document", Encode)]
    public int DocumentEncode_ProtobufNet()
    {
        _writer.ResetWrittenCount();
        ProtoBuf.Serializer.Serialize(_writer, _netDocument);
        return _writer.WrittenCount;
    }

    /// <summary>MemoryPack into a reset buffer writer.</summary>
    [Benchmark, BenchmarkCategory("Document", Encode)]
    public int DocumentEncode_MemoryPack()
    {
        _writer.ResetWrittenCount();
        MemoryPackSerializer.Serialize(_writer, in _packDocument);
        return _writer.WrittenCount;
    }

    /// <summary>Google.Protobuf: <c>Parser.ParseFrom(ReadOnlySpan&lt;byte&gt;)</c>.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("Document", Decode)]
    public Gpb.Document DocumentDecode_Google() => Gpb.Document.Parser.ParseFrom(new ReadOnlySpan<byte>(_documentBytes));

    /// <summary>PeerKit: <c>MessageSerializer.Read</c> from a span.</summary>
    [Benchmark, BenchmarkCategory("Document", Decode)]
    public Document DocumentDecode_PeerKit() => MessageSerializer.Read<Document>(new ReadOnlySpan<byte>(_documentBytes));

    /// <summary>protobuf-net from a span.</summary>
    [Benchmark, BenchmarkCategory("Document", Decode)]
    public Pn.Document DocumentDecode_ProtobufNet() => ProtoBuf.Serializer.Deserialize<Pn.Document>(new ReadOnlySpan<byte>(_documentBytes));

    /// <summary>MemoryPack from a span (of its own format).</summary>
    [Benchmark, BenchmarkCategory("Document", Decode)]
    public Mp.Document? DocumentDecode_MemoryPack() => MemoryPackSerializer.Deserialize<Mp.Document>(new ReadOnlySpan<byte>(_documentPackBytes));
}
