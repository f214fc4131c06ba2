using PeerKit.Links;
using PeerKit.Sessions;

namespace PeerKit.Tests.Nodes;

/// <summary>A hand-driven session end over a memory link, to send what a well-behaved node never would.</summary>
internal sealed class RawPeer : IAsyncDisposable
{
    private RawPeer(MemoryLink link, Task<Peer> nodeSide)
    {
        Link = link;
        NodeSide = nodeSide;
    }

    public MemoryLink Link { get; }

    /// <summary>What the node's <see cref="PeerNode.AddLinkAsync"/> returned for this connection.</summary>
    public Task<Peer> NodeSide { get; }

    public NodeId Id => Link.LocalId;

    public static RawPeer Attach(PeerNode node, NodeId? id = null, LinkOptions? options = null)
    {
        NodeId rawId = id ?? NodeId.Parse(Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
        (MemoryLink raw, MemoryLink nodeEnd) = MemoryLink.CreatePair(rawId, node.Id, options);
        Task<Peer> nodeSide = node.AddLinkAsync(nodeEnd, isInbound: true);
        return new RawPeer(raw, nodeSide);
    }

    public static RawPeer Wrap(MemoryLink raw, Task<Peer> nodeSide) => new(raw, nodeSide);

    public BaseProtocol.Hello Hello(string name = "raw", int version = BaseProtocol.ProtocolVersion, byte[]? nodeId = null, params Capability[] capabilities) =>
        new(version, name, capabilities.Length == 0 ? [new Capability("chat", 1)] : capabilities, 0, nodeId ?? Id.ToArray());

    public async Task SendAsync<T>(int code, T message) where T : IMessage<T>
    {
        byte[] frame = SessionFrame.Encode(code, in message, out int length);
        await Link.SendAsync(frame.AsMemory(0, length));
    }

    public async Task SendRawAsync(params byte[] frame) => await Link.SendAsync(frame);

    /// <summary>Receives frames until one with <paramref name="code"/> arrives (answering pings on the way) and returns its payload.</summary>
    public async Task<byte[]> ReceiveAsync(int code, bool answerPings = true)
    {
        while (true)
        {
            using LinkFrame frame = await Link.ReceiveAsync().AsTask().WaitAsync(NodeTestKit.Wait);
            Assert.True(SessionFrame.TryReadCode(frame.Span, out int received, out int header));
            byte[] payload = frame.Span[header..].ToArray();
            if (received == code)
            {
                return payload;
            }

            if (received == BaseProtocol.PingCode && answerPings)
            {
                await SendAsync(BaseProtocol.PongCode, new BaseProtocol.Pong(MessageSerializer.Read<BaseProtocol.Ping>(payload).Nonce));
            }
        }
    }

    /// <summary>Completes the session handshake as a well-behaved node would: hello, then answer the confirmation ping.</summary>
    public async Task<Peer> HandshakeAsync(params Capability[] capabilities)
    {
        await SendAsync(BaseProtocol.HelloCode, Hello(capabilities: capabilities));
        await ReceiveAsync(BaseProtocol.HelloCode);
        byte[] ping = await ReceiveAsync(BaseProtocol.PingCode);
        await SendAsync(BaseProtocol.PongCode, new BaseProtocol.Pong(MessageSerializer.Read<BaseProtocol.Ping>(ping).Nonce));
        return await NodeSide.WaitAsync(NodeTestKit.Wait);
    }

    /// <summary>Waits for the node's Disconnect and returns its reason.</summary>
    public async Task<DisconnectReason> DisconnectReasonAsync() =>
        MessageSerializer.Read<BaseProtocol.Disconnect>(await ReceiveAsync(BaseProtocol.DisconnectCode)).Reason;

    public ValueTask DisposeAsync() => Link.DisposeAsync();
}
