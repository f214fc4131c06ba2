namespace PeerKit.Cli;

/// <summary>Makes the node a command runs: its key from <c>--key</c> (created when missing) or a fresh one.</summary>
public static class CliNode
{
    /// <summary>Parses an address or fails with a usage error naming it.</summary>
    public static NodeAddress ParseAddress(string text) =>
        NodeAddress.TryParse(text, out NodeAddress? address) && address.Scheme is NodeAddress.Tcp or NodeAddress.Udp
            ? address
            : throw new CliException($"\"{text}\" is not a node address (tcp://[id@]host:port or udp://[id@]host:port)", ExitCodes.Usage);

    /// <summary>Creates and starts a node.</summary>
    public static async Task<PeerNode> StartAsync(string name, string? keyPath, IEnumerable<string> listen, CliProtocol protocol, CancellationToken cancellationToken)
    {
        var options = new PeerNodeOptions { Name = name, IdentityPath = keyPath, Protocols = { protocol }, PingInterval = TimeSpan.FromSeconds(1) };
        foreach (string address in listen)
        {
            options.ListenAddresses.Add(ParseAddress(address));
        }

        PeerNode node;
        try
        {
            node = new PeerNode(options);
        }
        catch (NodeKeyFormatException e)
        {
            throw new CliException($"the key file {keyPath} is not a node key: {e.Reason}");
        }

        try
        {
            await node.StartAsync(cancellationToken);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            await node.DisposeAsync();
            throw new CliException($"cannot listen on {string.Join(", ", options.ListenAddresses)}: {e.Message}");
        }

        return node;
    }

    /// <summary>Connects, turning a failure into one line and exit code 3.</summary>
    public static async Task<Peer> ConnectAsync(PeerNode node, string address, CancellationToken cancellationToken)
    {
        NodeAddress parsed = ParseAddress(address);
        try
        {
            return await node.ConnectAsync(parsed, cancellationToken);
        }
        catch (PeerConnectException e)
        {
            string cause = e.InnerException is { } inner ? $": {inner.Message}" : "";
            throw new CliException($"could not connect to {address} ({e.Reason}){cause}", ExitCodes.Unreachable);
        }
    }
}
