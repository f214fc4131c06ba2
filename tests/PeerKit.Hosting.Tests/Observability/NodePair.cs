namespace PeerKit.Hosting.Tests.Observability;

/// <summary>Two started nodes on loopback TCP running <see cref="EchoProtocol"/>; <see cref="Server"/> listens.</summary>
internal sealed class NodePair : IAsyncDisposable
{
    private NodePair(PeerNode server, PeerNode client, EchoProtocol serverProtocol)
    {
        Server = server;
        Client = client;
        ServerProtocol = serverProtocol;
    }

    public PeerNode Server { get; }

    public PeerNode Client { get; }

    public EchoProtocol ServerProtocol { get; }

    public static async Task<NodePair> StartAsync(CancellationToken cancellationToken)
    {
        var protocol = new EchoProtocol();
        var server = new PeerNode(new PeerNodeOptions { Name = "server", ListenAddresses = { NodeAddress.Parse("tcp://127.0.0.1:0") }, Protocols = { protocol } });
        var client = new PeerNode(new PeerNodeOptions { Name = "client", Protocols = { new EchoProtocol() } });
        await server.StartAsync(cancellationToken);
        await client.StartAsync(cancellationToken);
        return new NodePair(server, client, protocol);
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Server.DisposeAsync();
    }
}
