namespace PeerKit.Hosting.Tests;

/// <summary>A protocol registered through the container: records what arrives.</summary>
[Protocol("echo", Version = 1)]
public sealed partial class EchoProtocol
{
    /// <summary>Every note received, in order.</summary>
    public System.Threading.Channels.Channel<Note> Received { get; } = System.Threading.Channels.Channel.CreateUnbounded<Note>();

    /// <summary>A note.</summary>
    [Message(Code = 0)]
    public sealed partial record Note(string Text);

    [Handler]
    private ValueTask OnNote(Peer peer, Note note, CancellationToken cancellationToken) => Received.Writer.WriteAsync(note, cancellationToken);
}
