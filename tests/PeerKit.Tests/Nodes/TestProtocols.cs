using System.Collections.Concurrent;
using System.Threading.Channels;

namespace PeerKit.Tests.Nodes;

[Message(Code = 0)]
public sealed partial record Say(string Text);

[Message(Code = 1)]
public sealed partial record Shout(string Text);

[Message(Code = 2, Reliability = Reliability.Unreliable)]
public readonly partial record struct Position(int X, int Y);

[Message(Code = 0)]
public sealed partial record Boom(int Value);

/// <summary>A protocol written by hand (no generator): handlers for <see cref="Say"/>, the pull reader for the rest.</summary>
public sealed class ChatProtocol(string name = "chat", int version = 1, int length = 0) : IProtocol, IProtocolHandlers
{
    public ProtocolDescriptor Descriptor { get; } = new(name, version, length, -1,
        [ProtocolMessageInfo.Create<Say>(), ProtocolMessageInfo.Create<Shout>(), ProtocolMessageInfo.Create<Position>()]);

    public Channel<(NodeId From, string Text)> Said { get; } = Channel.CreateUnbounded<(NodeId, string)>();

    /// <summary>When set, a <see cref="Say"/> is answered with a <see cref="Shout"/> of the same text in upper case.</summary>
    public bool Echo { get; init; }

    public ValueTask<DispatchResult> DispatchAsync(Peer peer, in ProtocolMessage message, CancellationToken cancellationToken)
    {
        switch (message.Code)
        {
            case 0:
                Say say = MessageSerializer.Read<Say>(message.Span);
                Said.Writer.TryWrite((peer.Id, say.Text));
                return Echo ? ProtocolDispatch.After(peer.SendAsync(new Shout(say.Text.ToUpperInvariant()), cancellationToken)) : ProtocolDispatch.Handled;
            case 1:
            case 2:
                return ProtocolDispatch.Unhandled;
            default:
                return ProtocolDispatch.UnknownCode;
        }
    }
}

/// <summary>A go-ethereum style protocol: a read loop that counts and answers, written by hand.</summary>
public sealed class CounterProtocol(string name = "counter", int version = 1) : IProtocol
{
    public ProtocolDescriptor Descriptor { get; } = new(name, version, 0, -1, [ProtocolMessageInfo.Create<Boom>()]);

    public ConcurrentDictionary<NodeId, int> Received { get; } = new();

    /// <summary>Throw from the read loop when a message with this value arrives.</summary>
    public int FailOn { get; init; } = int.MinValue;

    public async ValueTask RunAsync(Peer peer, MessageReadWriter readWriter, CancellationToken cancellationToken)
    {
        while (true)
        {
            using ProtocolMessage message = await readWriter.ReadAsync(cancellationToken);
            Boom boom = message.Decode<Boom>();
            if (boom.Value == FailOn)
            {
                throw new InvalidOperationException("the handler failed on purpose");
            }

            Received.AddOrUpdate(peer.Id, 1, (_, n) => n + 1);
        }
    }
}
