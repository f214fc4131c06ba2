using System.Diagnostics;

namespace PeerKit.Diagnostics;

/// <summary>
/// The spans of the <c>"PeerKit"</c> activity source: <c>peerkit.connect</c> (an outbound dial, link handshake and
/// session handshake), <c>peerkit.handshake</c> (the session handshake, both directions) and <c>peerkit.disconnect</c>.
/// Each returns null when nobody listens.
/// </summary>
internal static class PeerKitActivities
{
    private static readonly ActivitySource s_source = new(PeerKitDiagnostics.ActivitySourceName, typeof(PeerKitActivities).Assembly.GetName().Version?.ToString(3));

    internal static Activity? StartConnect(NodeAddress address)
    {
        Activity? activity = s_source.StartActivity("peerkit.connect", ActivityKind.Client);
        activity?.SetTag("peerkit.address", address.ToString());
        activity?.SetTag("network.transport", address.Scheme);
        return activity;
    }

    internal static Activity? StartHandshake(bool isInbound, string address)
    {
        Activity? activity = s_source.StartActivity("peerkit.handshake", isInbound ? ActivityKind.Server : ActivityKind.Client);
        activity?.SetTag("peerkit.address", address);
        activity?.SetTag("peerkit.direction", isInbound ? "inbound" : "outbound");
        return activity;
    }

    /// <summary>Marks the handshake (and connect) span a success and names the peer.</summary>
    internal static void Established(Activity? activity, Peer peer)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetTag("peerkit.peer.id", peer.Id.ToString());
        activity.SetTag("peerkit.peer.name", peer.Name);
        activity.SetStatus(ActivityStatusCode.Ok);
        if (activity.Parent is { OperationName: "peerkit.connect" } connect)
        {
            connect.SetTag("peerkit.peer.id", peer.Id.ToString());
            connect.SetStatus(ActivityStatusCode.Ok);
        }
    }

    /// <summary>Counts a failed handshake and marks the current span (handshake or connect) failed with the reason.</summary>
    internal static void Failed(DisconnectReason reason, bool isRemote = false)
    {
        PeerKitMetrics.HandshakeFailed(reason);
        for (Activity? activity = Activity.Current; activity is not null && activity.Source == s_source; activity = activity.Parent)
        {
            activity.SetTag("peerkit.disconnect.reason", PeerKitMetrics.ReasonName(reason));
            activity.SetTag("peerkit.disconnect.remote", isRemote);
            activity.SetStatus(ActivityStatusCode.Error, reason.ToString());
        }
    }

    /// <summary>A span for a session ending (and the disconnect count).</summary>
    internal static Activity? StartDisconnect(Peer peer, DisconnectReason reason, bool isRemote)
    {
        PeerKitMetrics.Disconnected(reason, isRemote);
        Activity? activity = s_source.StartActivity("peerkit.disconnect", ActivityKind.Internal);
        activity?.SetTag("peerkit.peer.id", peer.Id.ToString());
        activity?.SetTag("peerkit.disconnect.reason", PeerKitMetrics.ReasonName(reason));
        activity?.SetTag("peerkit.disconnect.remote", isRemote);
        return activity;
    }
}
