namespace PeerKit.Transports;

/// <summary>What a node gives each transport it makes (<see cref="PeerNodeOptions.Transports"/>).</summary>
public sealed class PeerTransportContext
{
    /// <summary>Creates a context.</summary>
    /// <param name="key">The node key; the node owns it (transports must not dispose it).</param>
    /// <param name="options">The node's options.</param>
    public PeerTransportContext(NodeKey key, PeerNodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(options);
        Key = key;
        Options = options;
    }

    /// <summary>The node key, which secure links prove to their peers. Owned by the node.</summary>
    public NodeKey Key { get; }

    /// <summary>The node's id (<see cref="NodeKey.Id"/>): every link's <see cref="Links.IMessageLink.LocalId"/>.</summary>
    public NodeId LocalId => Key.Id;

    /// <summary>The node's options (timeouts, limits, per-transport link options).</summary>
    public PeerNodeOptions Options { get; }

    /// <summary>How long a dial may wait for the remote to answer (<see cref="PeerNodeOptions.DialTimeout"/>).</summary>
    public TimeSpan DialTimeout => Options.DialTimeout;

    /// <summary>How long a link handshake may take once the remote answered (<see cref="PeerNodeOptions.HandshakeTimeout"/>).</summary>
    public TimeSpan HandshakeTimeout => Options.HandshakeTimeout;

    /// <summary>The most inbound link handshakes a listener runs at once (<see cref="PeerNodeOptions.MaxPendingPeers"/>).</summary>
    public int MaxPendingHandshakes => Options.MaxPendingPeers;
}
