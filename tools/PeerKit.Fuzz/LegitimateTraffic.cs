using System.Buffers.Binary;
using PeerKit.Links;

namespace PeerKit.Fuzz;

/// <summary>
/// Numbered reliable messages over established links while an attack runs; the receiving side checks that each
/// arrives exactly once and in order.
/// </summary>
internal sealed class LegitimateTraffic(params IMessageLink[] pairs)
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _senders = [];
    private readonly List<Task> _receivers = [];
    private readonly long[] _sent = new long[pairs.Length / 2];
    private readonly long[] _received = new long[pairs.Length / 2];
    private volatile string? _problem;

    /// <summary>Starts sending a message every 5 ms on each (sender, receiver) pair.</summary>
    public void Start()
    {
        for (int i = 0; i < pairs.Length; i += 2)
        {
            int pair = i / 2;
            IMessageLink sender = pairs[i];
            IMessageLink receiver = pairs[i + 1];
            _senders.Add(Task.Run(async () =>
            {
                byte[] message = new byte[8];
                while (!_stop.IsCancellationRequested)
                {
                    BinaryPrimitives.WriteInt64BigEndian(message, _sent[pair]);
                    try
                    {
                        await sender.SendAsync(message, Reliability.ReliableOrdered).ConfigureAwait(false);
                    }
                    catch (Exception e)
                    {
                        _problem ??= $"a legitimate send failed: {e.GetType().Name}: {e.Message}";
                        return;
                    }

                    Interlocked.Increment(ref _sent[pair]);
                    try
                    {
                        await Task.Delay(5, _stop.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                    }
                }
            }));
            _receivers.Add(Task.Run(async () =>
            {
                while (true)
                {
                    LinkFrame frame;
                    try
                    {
                        frame = await receiver.ReceiveAsync().ConfigureAwait(false);
                    }
                    catch (Exception)
                    {
                        return; // closed at the end
                    }

                    using (frame)
                    {
                        long value = frame.Length == 8 ? BinaryPrimitives.ReadInt64BigEndian(frame.Span) : -1;
                        if (value != Volatile.Read(ref _received[pair]))
                        {
                            _problem ??= $"link {pair}: message {value} arrived when {_received[pair]} was due (lost, repeated or out of order)";
                        }

                        Interlocked.Increment(ref _received[pair]);
                    }
                }
            }));
        }
    }

    /// <summary>Stops sending, waits for what was sent to arrive, and says what was sent, received and wrong.</summary>
    public async Task<(long Sent, long Received, string? Problem)> StopAsync()
    {
        _stop.Cancel();
        await Task.WhenAll(_senders).ConfigureAwait(false);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline && !Enumerable.Range(0, _sent.Length).All(i => Volatile.Read(ref _received[i]) >= Volatile.Read(ref _sent[i])))
        {
            await Task.Delay(20).ConfigureAwait(false);
        }

        long sent = _sent.Sum();
        long received = _received.Sum();
        string? problem = _problem ?? (received != sent ? $"{sent - received} legitimate messages did not arrive" : null);
        return (sent, received, problem);
    }
}
