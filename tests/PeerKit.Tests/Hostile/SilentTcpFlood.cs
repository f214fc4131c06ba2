using System.Net;
using System.Net.Sockets;

namespace PeerKit.Tests.Hostile;

/// <summary>
/// Holds <c>count</c> TCP connections open that never send a byte, re-opening each one as soon as the server closes
/// it, until disposed. Loopback only; every socket is closed on dispose.
/// </summary>
internal sealed class SilentTcpFlood(IPEndPoint target, int count) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _holders = [];
    private long _opened;

    /// <summary>Connections opened so far.</summary>
    public long Opened => Interlocked.Read(ref _opened);

    public async Task StartAsync()
    {
        for (int i = 0; i < count; i++)
        {
            _holders.Add(Task.Run(HoldAsync));
        }

        await Task.Delay(100);
    }

    private async Task HoldAsync()
    {
        byte[] sink = new byte[1];
        while (!_stop.IsCancellationRequested)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(target, _stop.Token);
                Interlocked.Increment(ref _opened);
                // Wait, silent, until the server closes it (0 bytes) or the flood stops.
                await socket.ReceiveAsync(sink, SocketFlags.None, _stop.Token);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                if (!_stop.IsCancellationRequested)
                {
                    await Task.Delay(5).ConfigureAwait(false);
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await Task.WhenAll(_holders);
        _stop.Dispose();
    }
}
