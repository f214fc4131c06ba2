using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace PeerKit.WifiDirect;

/// <summary>
/// The node over a group: finds the group interface's address (from the event, or from the interface once it has
/// one), starts a <see cref="PeerNode"/> listening there, and on a client dials the owner's node at the same port.
/// </summary>
internal static class GroupNodeStarter
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan DialInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>The node, its own address and the owner's.</summary>
    internal sealed record Started(PeerNode Node, string OwnAddress, string OwnerAddress);

    public static async Task<Started> StartAsync(WifiP2pGroupInfo group, WifiP2pOptions options, Func<PeerNodeOptions> nodeOptions, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.NodeStartTimeout);
        CancellationToken ct = deadline.Token;
        try
        {
            string own = group.IsP2pGo
                ? group.GoIpAddress.Length > 0 ? group.GoIpAddress : await WaitForAsync(() => InterfaceAddress(group.Interface), group.Interface, "an IPv4 address", ct).ConfigureAwait(false)
                : group.GcIpAddress.Length > 0 ? group.GcIpAddress : await WaitForAsync(() => InterfaceAddress(group.Interface), group.Interface, "an IPv4 address", ct).ConfigureAwait(false);
            string owner = group.IsP2pGo ? own
                : group.GoIpAddress.Length > 0 ? group.GoIpAddress
                : await WaitForAsync(() => InterfaceGateway(group.Interface), group.Interface, "a gateway (the owner's address from DHCP)", ct).ConfigureAwait(false);

            PeerNodeOptions o = nodeOptions();
            o.ListenAddresses.Add(new NodeAddress(options.NodeScheme, own, options.NodePort));
            var node = new PeerNode(o);
            try
            {
                await node.StartAsync(ct).ConfigureAwait(false);
                if (!group.IsP2pGo)
                {
                    await DialOwnerAsync(node, new NodeAddress(options.NodeScheme, owner, options.NodePort), ct).ConfigureAwait(false);
                }

                return new Started(node, own, owner);
            }
            catch
            {
                await node.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException(
                $"The node over group '{group.Interface}' did not start within {options.NodeStartTimeout.TotalSeconds:0.#} s "
                + "(the interface got no address, or the owner's node did not answer).");
        }
    }

    private static async Task DialOwnerAsync(PeerNode node, NodeAddress owner, CancellationToken ct)
    {
        Exception? last = null;
        while (true)
        {
            try
            {
                await node.ConnectAsync(owner, ct).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The owner's node may not listen yet: the group came up on both sides at about the same time.
                last = e;
            }

            try
            {
                await Task.Delay(DialInterval, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (last is not null)
            {
                throw new TimeoutException($"The group owner's node at {owner} did not answer: {last.Message}", last);
            }
        }
    }

    private static async Task<string> WaitForAsync(Func<string?> probe, string interfaceName, string what, CancellationToken ct)
    {
        while (true)
        {
            string? value = probe();
            if (value is not null)
            {
                return value;
            }

            try
            {
                await Task.Delay(PollInterval, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"The group interface '{interfaceName}' has no {what}.");
            }
        }
    }

    internal static string? InterfaceAddress(string name)
    {
        NetworkInterface? nic = Find(name);
        return nic?.GetIPProperties().UnicastAddresses
            .FirstOrDefault(a => a.Address.AddressFamily == AddressFamily.InterNetwork)?.Address.ToString();
    }

    private static string? InterfaceGateway(string name)
    {
        NetworkInterface? nic = Find(name);
        IPAddress? gateway = nic?.GetIPProperties().GatewayAddresses
            .Select(g => g.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !a.Equals(IPAddress.Any));
        return gateway?.ToString();
    }

    private static NetworkInterface? Find(string name) =>
        NetworkInterface.GetAllNetworkInterfaces().FirstOrDefault(n => n.Name == name);
}
