using System.Threading.Channels;
using PeerKit;

/// <summary>
/// The sample's protocol over the group: the client sends lines, the group owner answers each with "ack: …".
/// A go-ethereum style read loop (RunAsync) replaces the generated dispatch.
/// </summary>
[Protocol("group-chat", Version = 1)]
public sealed partial class GroupChat
{
    /// <summary>One line of text.</summary>
    [Message(Code = 0)]
    public sealed partial record Line(string Text);

    /// <summary>Lines received, from any peer.</summary>
    public Channel<string> Received { get; } = Channel.CreateBounded<string>(256);

    /// <summary>Whether to answer each line with "ack: line" (the group owner does).</summary>
    public bool Acknowledge { get; init; }

    /// <summary>Reads lines until the peer leaves; acknowledges them when asked to.</summary>
    public async ValueTask RunAsync(Peer peer, MessageReadWriter readWriter, CancellationToken cancellationToken)
    {
        while (true)
        {
            using ProtocolMessage message = await readWriter.ReadAsync(cancellationToken);
            Line line = message.Decode<Line>();
            await Received.Writer.WriteAsync(line.Text, cancellationToken);
            if (Acknowledge)
            {
                await readWriter.SendAsync(new Line("ack: " + line.Text), cancellationToken);
            }
        }
    }
}
