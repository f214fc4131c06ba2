using System.Collections.Concurrent;

namespace PeerKit.Tests.Nodes;

/// <summary>Nodes with short timeouts on loopback, and waiting helpers.</summary>
internal static class NodeTestKit
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    public static PeerNodeOptions Options(string name, params IProtocol[] protocols)
    {
        var options = new PeerNodeOptions
        {
            Name = name,
            HandshakeTimeout = TimeSpan.FromSeconds(5),
            DisconnectTimeout = TimeSpan.FromMilliseconds(500),
            StaticRedialMinDelay = TimeSpan.FromMilliseconds(50),
            StaticRedialMaxDelay = TimeSpan.FromMilliseconds(400),
        };
        foreach (IProtocol protocol in protocols)
        {
            options.Protocols.Add(protocol);
        }

        return options;
    }

    public static PeerNodeOptions Listening(this PeerNodeOptions options)
    {
        options.ListenAddresses.Add(NodeAddress.Parse("tcp://127.0.0.1:0"));
        return options;
    }

    public static async Task<PeerNode> StartAsync(PeerNodeOptions options)
    {
        var node = new PeerNode(options);
        await node.StartAsync();
        return node;
    }

    public static NodeAddress Address(this PeerNode node) => node.ListenAddresses[0];

    /// <summary>Records every event of a node, from construction on.</summary>
    public sealed class EventLog
    {
        private readonly ConcurrentQueue<PeerEvent> _events = new();

        public EventLog(PeerNode node)
        {
            node.PeerAdded += (_, e) => _events.Enqueue(e);
            node.PeerDropped += (_, e) => _events.Enqueue(e);
            node.ConnectionStateChanged += (_, e) => _events.Enqueue(e);
            node.MessageSent += (_, e) => _events.Enqueue(e);
            node.MessageReceived += (_, e) => _events.Enqueue(e);
        }

        public IReadOnlyList<PeerEvent> Events => [.. _events];

        public async Task<PeerEvent> WaitForAsync(Func<PeerEvent, bool> match)
        {
            var deadline = DateTime.UtcNow + Wait;
            while (DateTime.UtcNow < deadline)
            {
                foreach (PeerEvent e in _events)
                {
                    if (match(e))
                    {
                        return e;
                    }
                }

                await Task.Delay(10);
            }

            throw new TimeoutException("The expected event did not come. Events: " + string.Join("; ", _events));
        }
    }

    public static async Task EventuallyAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("Timed out waiting for: " + what);
            }

            await Task.Delay(10);
        }
    }
}
