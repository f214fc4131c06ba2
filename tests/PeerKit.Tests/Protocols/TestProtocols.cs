namespace PeerKit.Tests.Protocols;

/// <summary>A message declared outside any protocol and added to <see cref="DispatchProtocol"/> with [ProtocolMessage].</summary>
[Message(Code = 9)]
public readonly partial record struct Shout(string Text);

/// <summary>A protocol whose handlers record what they were called with.</summary>
[Protocol("test-dispatch", Version = 2)]
[ProtocolMessage(typeof(Shout))]
public sealed partial class DispatchProtocol
{
    [Message(Code = 0, Reliability = Reliability.Unreliable)]
    public readonly partial record struct Move([ZigZag] int X, [ZigZag] int Y, [Fixed] ulong Tick);

    [Message(Code = 1)]
    public sealed partial record Chat(string Text, string[] Mentions);

    [Message(Code = 2)]
    public readonly partial record struct Ack(ulong Id);

    /// <summary>Part of the protocol, without a handler: it goes to the pull reader.</summary>
    [Message(Code = 4)]
    public readonly partial record struct Unclaimed(int Value);

    public int Moves { get; private set; }

    public Move LastMove { get; private set; }

    public ulong AckTotal { get; private set; }

    public List<Chat> Chats { get; } = [];

    public CancellationToken ChatToken { get; private set; }

    /// <summary>While set, <see cref="OnChat"/> waits for it before recording the chat.</summary>
    public TaskCompletionSource? ChatGate { get; set; }

    [ThreadStatic]
    private static Shout? s_lastShout;

    public static Shout? LastShout { get => s_lastShout; set => s_lastShout = value; }

    [Handler]
    private void OnMove(Peer peer, in Move move)
    {
        Moves++;
        LastMove = move;
    }

    [Handler]
    private async ValueTask OnChat(Peer peer, Chat chat, CancellationToken cancellationToken)
    {
        ChatToken = cancellationToken;
        if (ChatGate is { } gate)
        {
            await gate.Task.ConfigureAwait(false);
        }

        Chats.Add(chat);
    }

    [Handler]
    internal ValueTask OnAck(Peer peer, Ack ack)
    {
        AckTotal += ack.Id;
        return ValueTask.CompletedTask;
    }

    [Handler]
    public static void OnShout(Peer peer, Shout shout) => LastShout = shout;
}

/// <summary>A protocol written go-ethereum style: its own read loop replaces the generated dispatch.</summary>
[Protocol("test-run")]
public sealed partial class RunStyleProtocol
{
    [Message(Code = 0)]
    public readonly partial record struct Tick(ulong Value);

    public (Peer? Peer, MessageReadWriter? ReadWriter, CancellationToken Token)? RunWith { get; private set; }

    public ValueTask RunAsync(Peer peer, MessageReadWriter readWriter, CancellationToken cancellationToken)
    {
        RunWith = (peer, readWriter, cancellationToken);
        return ValueTask.CompletedTask;
    }
}
