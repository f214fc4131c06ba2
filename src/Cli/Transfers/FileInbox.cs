using System.Security.Cryptography;

namespace PeerKit.Cli.Transfers;

/// <summary>
/// Files being received into one folder. A peer names only a file (no folders, no "..", nothing hidden); each file is
/// written to a ".part" file and renamed when its SHA-256 matches. At most <see cref="MaxOpen"/> transfers are open
/// at once and each is capped at the size its sender announced (and at <c>maxFileSize</c>).
/// </summary>
public sealed class FileInbox
{
    /// <summary>Transfers open at once, all peers together.</summary>
    public const int MaxOpen = 8;

    private readonly string _folder;
    private readonly long _maxFileSize;
    private readonly Dictionary<(NodeId, ulong), Transfer> _open = [];

    /// <summary>Receives into <paramref name="folder"/> (created when missing).</summary>
    public FileInbox(string folder, long maxFileSize)
    {
        _folder = Path.GetFullPath(folder);
        _maxFileSize = maxFileSize;
        Directory.CreateDirectory(_folder);
    }

    /// <summary>Opens a transfer; returns an error text when it is refused.</summary>
    public string? Begin(NodeId peer, ulong id, string name, long size)
    {
        if (string.IsNullOrWhiteSpace(name) || name != Path.GetFileName(name) || name.StartsWith('.') || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
        {
            return $"refused file name \"{name}\": a plain file name is required";
        }

        if (size < 0 || size > _maxFileSize)
        {
            return $"refused \"{name}\": {size} bytes is over the limit of {_maxFileSize}";
        }

        lock (_open)
        {
            if (_open.Count >= MaxOpen)
            {
                return $"refused \"{name}\": {MaxOpen} transfers are already open";
            }

            string target = Path.Combine(_folder, name);
            FileStream stream;
            try
            {
                stream = new FileStream(target + ".part", FileMode.Create, FileAccess.Write, FileShare.None);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return $"refused \"{name}\": cannot write it here ({e.Message})";
            }

            _open[(peer, id)] = new Transfer(target, stream, size, IncrementalHash.CreateHash(HashAlgorithmName.SHA256));
            return null;
        }
    }

    /// <summary>Writes a chunk (chunks arrive in order); returns an error text when it does not fit.</summary>
    public string? Write(NodeId peer, ulong id, long offset, ReadOnlySpan<byte> data)
    {
        lock (_open)
        {
            if (!_open.TryGetValue((peer, id), out Transfer? transfer))
            {
                return $"transfer {id} is not open";
            }

            if (offset != transfer.Written || offset + data.Length > transfer.Size)
            {
                Abort(peer, id, transfer);
                return $"transfer {id}: a chunk at {offset} (+{data.Length}) does not follow byte {transfer.Written} of {transfer.Size}";
            }

            try
            {
                transfer.Stream.Write(data);
            }
            catch (IOException e)
            {
                Abort(peer, id, transfer);
                return $"transfer {id}: cannot write ({e.Message})";
            }

            transfer.Hash.AppendData(data);
            transfer.Written += data.Length;
            return null;
        }
    }

    /// <summary>Closes a transfer, checks its length and hash, and keeps the file only when both match.</summary>
    public CliProtocol.FileReceived Complete(NodeId peer, ulong id, string sha256, out string? path)
    {
        path = null;
        lock (_open)
        {
            if (!_open.Remove((peer, id), out Transfer? transfer))
            {
                return new CliProtocol.FileReceived(id, false, "", $"transfer {id} is not open");
            }

            transfer.Stream.Dispose();
            string actual = Convert.ToHexStringLower(transfer.Hash.GetHashAndReset());
            transfer.Hash.Dispose();
            if (transfer.Written != transfer.Size || !string.Equals(actual, sha256, StringComparison.OrdinalIgnoreCase))
            {
                File.Delete(transfer.Target + ".part");
                return new CliProtocol.FileReceived(id, false, actual, $"received {transfer.Written} of {transfer.Size} bytes with SHA-256 {actual}, expected {sha256}");
            }

            File.Move(transfer.Target + ".part", transfer.Target, overwrite: true);
            path = transfer.Target;
            return new CliProtocol.FileReceived(id, true, actual, null);
        }
    }

    private void Abort(NodeId peer, ulong id, Transfer transfer)
    {
        _open.Remove((peer, id));
        transfer.Stream.Dispose();
        transfer.Hash.Dispose();
        File.Delete(transfer.Target + ".part");
    }

    private sealed class Transfer(string target, FileStream stream, long size, IncrementalHash hash)
    {
        public string Target { get; } = target;

        public FileStream Stream { get; } = stream;

        public long Size { get; } = size;

        public IncrementalHash Hash { get; } = hash;

        public long Written { get; set; }
    }
}
