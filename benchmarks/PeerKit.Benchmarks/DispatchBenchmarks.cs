using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using PeerKit.Links;

namespace PeerKit.Benchmarks;

/// <summary>
/// Handing a received message to its handler: PeerKit's generated dispatch switch against the usual hand-written
/// registry, a dictionary from code to a delegate that decodes and calls the handler (the baseline). Both decode the
/// same payload with the same generated reader and call the same handler methods, so the difference is the dispatch.
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class DispatchBenchmarks
{
    private const string Scalar = "Scalar message";
    private const string Text = "String message";

    private readonly GameProtocol _protocol = new();
    private readonly Dictionary<int, PayloadHandler> _registry = [];
    private ProtocolMessage _move;
    private ProtocolMessage _say;

    /// <summary>The hand-written registry's delegate shape: the payload as a span.</summary>
    public delegate void PayloadHandler(Peer peer, ReadOnlySpan<byte> payload);

    /// <summary>Encodes the two payloads and fills the registry the way a hand-written protocol would.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _move = Message(1, MessageSerializer.ToArray(new GameProtocol.Move(7, 1.5f, -2f, 0.25f)));
        _say = Message(3, MessageSerializer.ToArray(new GameProtocol.Say(7, "good game, well played")));

        GameProtocol handlers = _protocol;
        _registry[0] = (peer, payload) => handlers.OnJoin(peer, MessageSerializer.Read<GameProtocol.Join>(payload));
        _registry[1] = (peer, payload) => handlers.OnMove(peer, MessageSerializer.Read<GameProtocol.Move>(payload));
        _registry[2] = (peer, payload) => handlers.OnFire(peer, MessageSerializer.Read<GameProtocol.Fire>(payload));
        _registry[3] = (peer, payload) => handlers.OnSay(peer, MessageSerializer.Read<GameProtocol.Say>(payload));
        _registry[4] = (peer, payload) => handlers.OnLeave(peer, MessageSerializer.Read<GameProtocol.Leave>(payload));

        // Both paths must reach the handler with the decoded message before anything is measured.
        if (Generated_scalar() != DispatchResult.Handled || _protocol.LastMove.X != 1.5f || Generated_string() != DispatchResult.Handled || _protocol.LastText != "good game, well played")
        {
            throw new InvalidOperationException("The generated dispatch did not reach its handler.");
        }

        _protocol.LastText = null;
        Dictionary_string();
        if (_protocol.LastText != "good game, well played")
        {
            throw new InvalidOperationException("The registry did not reach its handler.");
        }
    }

    /// <summary>Baseline: dictionary lookup, delegate call, decode, handler.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory(Scalar)]
    public void Dictionary_scalar() => Dispatch(_move);

    /// <summary>The generated switch: decode, handler.</summary>
    [Benchmark]
    [BenchmarkCategory(Scalar)]
    public DispatchResult Generated_scalar() => _protocol.DispatchAsync(null!, in _move, CancellationToken.None).Result;

    /// <summary>Baseline, with a string field to decode.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory(Text)]
    public void Dictionary_string() => Dispatch(_say);

    /// <summary>The generated switch, with a string field to decode.</summary>
    [Benchmark]
    [BenchmarkCategory(Text)]
    public DispatchResult Generated_string() => _protocol.DispatchAsync(null!, in _say, CancellationToken.None).Result;

    private void Dispatch(in ProtocolMessage message)
    {
        if (!_registry.TryGetValue(message.Code, out PayloadHandler? handler))
        {
            throw new InvalidOperationException("unknown code");
        }

        handler(message.Peer, message.Span);
    }

    private static ProtocolMessage Message(int code, byte[] payload) =>
        new(null!, GameProtocol.Descriptor, code, new LinkFrame(payload, payload.Length), 0, 0);
}

/// <summary>A small game protocol with five messages and a synchronous handler for each.</summary>
[Protocol("game", Version = 1)]
public sealed partial class GameProtocol
{
    /// <summary>The last move handled.</summary>
    public Move LastMove { get; private set; }

    /// <summary>The last chat line handled.</summary>
    public string? LastText { get; set; }

    /// <summary>The number of other messages handled.</summary>
    public int Other { get; private set; }

    /// <summary>A player joins.</summary>
    [Message(Code = 0)]
    public readonly partial record struct Join(uint Player, uint Team);

    /// <summary>A player moves (unreliable, scalar only).</summary>
    [Message(Code = 1, Reliability = Reliability.Unreliable)]
    public readonly partial record struct Move(uint Player, float X, float Y, float Z);

    /// <summary>A player fires.</summary>
    [Message(Code = 2)]
    public readonly partial record struct Fire(uint Player, uint Weapon);

    /// <summary>A chat line.</summary>
    [Message(Code = 3)]
    public readonly partial record struct Say(uint Player, string Text);

    /// <summary>A player leaves.</summary>
    [Message(Code = 4)]
    public readonly partial record struct Leave(uint Player);

    /// <summary>Handles <see cref="Join"/>.</summary>
    [Handler]
    public void OnJoin(Peer peer, Join join) => Other++;

    /// <summary>Handles <see cref="Move"/>.</summary>
    [Handler]
    public void OnMove(Peer peer, Move move) => LastMove = move;

    /// <summary>Handles <see cref="Fire"/>.</summary>
    [Handler]
    public void OnFire(Peer peer, Fire fire) => Other++;

    /// <summary>Handles <see cref="Say"/>.</summary>
    [Handler]
    public void OnSay(Peer peer, Say say) => LastText = say.Text;

    /// <summary>Handles <see cref="Leave"/>.</summary>
    [Handler]
    public void OnLeave(Peer peer, Leave leave) => Other++;
}
