using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace PeerKit.Router.Tests;

/// <summary>
/// A UDP relay on loopback between one client and the router that keeps a copy of every datagram: what an observer on
/// the router's side of the network (or the router itself) sees of that client's traffic.
/// </summary>
internal sealed class UdpTap : IAsyncDisposable
{
    private readonly UdpClient _front = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly UdpClient _back = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly IPEndPoint _router;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _up;
    private readonly Task _down;
    private IPEndPoint? _client;

    public UdpTap(IPEndPoint router)
    {
        _router = router;
        _up = Task.Run(UpAsync);
        _down = Task.Run(DownAsync);
    }

    /// <summary>The address the client dials instead of the router's.</summary>
    public IPEndPoint Front => (IPEndPoint)_front.Client.LocalEndPoint!;

    /// <summary>The address the router sees for the client (its observed address).</summary>
    public IPEndPoint Back => (IPEndPoint)_back.Client.LocalEndPoint!;

    /// <summary>Every datagram seen, both ways.</summary>
    public ConcurrentQueue<byte[]> Captured { get; } = new();

    public long CapturedBytes => Captured.Sum(d => (long)d.Length);

    private async Task UpAsync()
    {
        try
        {
            while (true)
            {
                UdpReceiveResult datagram = await _front.ReceiveAsync(_stop.Token);
                _client = datagram.RemoteEndPoint;
                Captured.Enqueue(datagram.Buffer);
                await _back.SendAsync(datagram.Buffer, _router, _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    private async Task DownAsync()
    {
        try
        {
            while (true)
            {
                UdpReceiveResult datagram = await _back.ReceiveAsync(_stop.Token);
                Captured.Enqueue(datagram.Buffer);
                if (_client is { } client)
                {
                    await _front.SendAsync(datagram.Buffer, client, _stop.Token);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _front.Dispose();
        _back.Dispose();
        await Task.WhenAll(_up, _down);
        _stop.Dispose();
    }
}
