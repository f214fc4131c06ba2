using System.Collections.Concurrent;
using System.Threading.Channels;
using PeerKit.Cli.Transfers;

namespace PeerKit.Cli;

/// <summary>
/// The protocol the command line speaks with itself: text messages and file transfers. A listening
/// <c>peerkit</c> reports what arrives through <see cref="Events"/> and saves files under a folder.
/// </summary>
[Protocol("peerkit-cli", Version = 1)]
public sealed partial class CliProtocol
{
    private readonly ConcurrentDictionary<ulong, TaskCompletionSource<FileReceived>> _waiting = new();

    /// <summary>Creates the protocol; <paramref name="inbox"/> is null for a node that only sends.</summary>
    public CliProtocol(FileInbox? inbox = null) => Inbox = inbox;

    /// <summary>Where received files go (null: files are refused).</summary>
    public FileInbox? Inbox { get; }

    /// <summary>What arrived, for the listen and peers commands (bounded: the oldest are dropped).</summary>
    public Channel<CliEvent> Events { get; } = Channel.CreateBounded<CliEvent>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest });

    /// <summary>A line of text.</summary>
    [Message(Code = 0)]
    public sealed partial record Text(string Body);

    /// <summary>A file is coming: its name (no folders), size and transfer id.</summary>
    [Message(Code = 1)]
    public sealed partial record FileStart(ulong Id, string Name, long Size);

    /// <summary>Bytes of a file at an offset.</summary>
    [Message(Code = 2)]
    public sealed partial record FileChunk(ulong Id, long Offset, ReadOnlyMemory<byte> Data);

    /// <summary>The whole file was sent; its SHA-256 (hex) to check against.</summary>
    [Message(Code = 3)]
    public sealed partial record FileEnd(ulong Id, string Sha256);

    /// <summary>The receiver's answer: whether the file was saved whole, and why not.</summary>
    [Message(Code = 4)]
    public sealed partial record FileReceived(ulong Id, bool Ok, string Sha256, string? Error);

    /// <summary>Waits for the receiver's <see cref="FileReceived"/> of transfer <paramref name="id"/>.</summary>
    public Task<FileReceived> WaitForReceiptAsync(ulong id, CancellationToken cancellationToken)
    {
        var waiting = new TaskCompletionSource<FileReceived>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting[id] = waiting;
        cancellationToken.Register(() => waiting.TrySetCanceled(cancellationToken));
        return waiting.Task;
    }

    [Handler]
    private ValueTask OnText(Peer peer, Text message, CancellationToken cancellationToken)
    {
        Events.Writer.TryWrite(new CliEvent("message", peer.Id, peer.Name, message.Body));
        return ValueTask.CompletedTask;
    }

    [Handler]
    private async ValueTask OnFileStart(Peer peer, FileStart message, CancellationToken cancellationToken)
    {
        string? error = Inbox is null ? "this node does not accept files (start it with --save-dir)" : Inbox.Begin(peer.Id, message.Id, message.Name, message.Size);
        if (error is not null)
        {
            await peer.SendAsync(new FileReceived(message.Id, false, "", error), cancellationToken);
        }
    }

    [Handler]
    private async ValueTask OnFileChunk(Peer peer, FileChunk message, CancellationToken cancellationToken)
    {
        if (Inbox?.Write(peer.Id, message.Id, message.Offset, message.Data.Span) is { } error)
        {
            await peer.SendAsync(new FileReceived(message.Id, false, "", error), cancellationToken);
        }
    }

    [Handler]
    private async ValueTask OnFileEnd(Peer peer, FileEnd message, CancellationToken cancellationToken)
    {
        if (Inbox is null)
        {
            return;
        }

        FileReceived receipt = Inbox.Complete(peer.Id, message.Id, message.Sha256, out string? path);
        if (path is not null)
        {
            Events.Writer.TryWrite(new CliEvent("file", peer.Id, peer.Name, path));
        }

        await peer.SendAsync(receipt, cancellationToken);
    }

    [Handler]
    private ValueTask OnFileReceived(Peer peer, FileReceived message, CancellationToken cancellationToken)
    {
        if (_waiting.TryRemove(message.Id, out TaskCompletionSource<FileReceived>? waiting))
        {
            waiting.TrySetResult(message);
        }

        return ValueTask.CompletedTask;
    }
}
