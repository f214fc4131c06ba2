using System.Collections.Concurrent;
using System.Net;
using PeerKit.Links;
using PeerKit.Links.Udp;

namespace PeerKit.Tests.Links.Udp;

/// <summary><see cref="UdpLinkOptions.ReceiveInline"/>: receivers resume on the endpoint's receive thread.</summary>
public sealed class UdpInlineReceiveTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Reliable_ordered_frames_arrive_exactly_once_in_order_and_resume_on_the_receive_thread_only_when_inline(bool inline)
    {
        const int Count = 20_000;
        var impairment = new Impairment { Loss = 0.2, Duplication = 0.05, Reordering = 0.1, Delay = TimeSpan.FromMilliseconds(1), Jitter = TimeSpan.FromMilliseconds(1) };
        UdpLinkOptions options = UdpHarness.FastOptions(receiveInline: inline);
        await using var h = new UdpHarness(seed: 300, impairment, options);
        (UdpLink client, UdpLink server) = await h.ConnectAsync();
        int onDeliveryThread = 0;
        Task receiving = Task.Run(async () =>
        {
            for (int expected = 0; expected < Count; expected++)
            {
                // No ConfigureAwait(true) context and no WaitAsync wrapper: the continuation runs where the link resumes it.
                using LinkFrame frame = await server.ReceiveAsync().ConfigureAwait(false);
                Assert.Equal(expected, UdpHarness.ReadNumber(frame));
                if (Thread.CurrentThread.Name == "SimNetwork")
                {
                    onDeliveryThread++;
                }
            }
        });
        await UdpHarness.SendNumbersAsync(client, Count, Reliability.ReliableOrdered).WaitAsync(Timeout);
        await receiving.WaitAsync(Timeout);
        Assert.False(server.TryReceive(out _));
        if (inline)
        {
            Assert.True(onDeliveryThread > 0, "with ReceiveInline, a waiting receiver resumes on the thread that delivers datagrams");
        }
        else
        {
            Assert.Equal(0, onDeliveryThread);
        }
    }

    [Fact]
    public async Task An_echo_running_inline_on_the_receive_thread_can_send_and_both_sides_see_every_answer()
    {
        using NodeKey serverKey = NodeKey.Generate();
        using NodeKey clientKey = NodeKey.Generate();
        var options = new UdpLinkOptions { ReceiveInline = true, ReceiveBusyPoll = TimeSpan.FromMicroseconds(50) };
        await using UdpEndpoint server = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), serverKey, options);
        await using UdpEndpoint client = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), clientKey, options);
        UdpLink pinger = await client.ConnectAsync(server.LocalEndPoint).WaitAsync(Timeout);
        UdpLink echo = await server.AcceptAsync().AsTask().WaitAsync(Timeout);
        var echoThreads = new ConcurrentDictionary<string, int>();
        Task echoing = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    using LinkFrame frame = await echo.ReceiveAsync().ConfigureAwait(false);
                    echoThreads.AddOrUpdate(Thread.CurrentThread.Name ?? "", 1, (_, n) => n + 1);
                    await echo.SendAsync(frame.Memory, Reliability.ReliableOrdered).ConfigureAwait(false);
                }
            }
            catch (LinkClosedException)
            {
            }
        });

        byte[] ping = new byte[64];
        for (int i = 0; i < 500; i++)
        {
            BitConverter.TryWriteBytes(ping, i);
            await pinger.SendAsync(ping).AsTask().WaitAsync(Timeout);
            using LinkFrame answer = await pinger.ReceiveAsync().AsTask().WaitAsync(Timeout);
            Assert.Equal(i, BitConverter.ToInt32(answer.Memory.Span));
        }

        await echo.DisposeAsync();
        await echoing.WaitAsync(Timeout);
        Assert.Contains(echoThreads.Keys, name => name.StartsWith("PeerKit UDP ", StringComparison.Ordinal) && !name.Contains("timer", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_receiver_resumed_inline_can_dispose_the_endpoint_whose_receive_thread_it_runs_on()
    {
        // The peer closes the link: the receiver waiting on it resumes (with LinkClosedException) on the server
        // endpoint's receive thread, which holds a reference to the socket's handle further up its stack, and disposes
        // the endpoint, which has no link left to wait for. Closing the socket there must not wait for that reference.
        using NodeKey serverKey = NodeKey.Generate();
        using NodeKey clientKey = NodeKey.Generate();
        var options = new UdpLinkOptions { ReceiveInline = true };
        UdpEndpoint server = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), serverKey, options);
        await using UdpEndpoint client = UdpEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), clientKey, options);
        UdpLink link = await client.ConnectAsync(server.LocalEndPoint).WaitAsync(Timeout);
        UdpLink accepted = await server.AcceptAsync().AsTask().WaitAsync(Timeout);
        string? threadName = null;
        ValueTask<LinkFrame> receive = accepted.ReceiveAsync();
        Assert.False(receive.IsCompleted);
        Task disposing = DisposeWhenClosedAsync(); // waiting before the close is sent

        await link.DisposeAsync();
        await disposing.WaitAsync(TimeSpan.FromSeconds(10)); // it used to hang for good
        Assert.StartsWith("PeerKit UDP ", threadName, StringComparison.Ordinal); // it did run on the receive thread
        Assert.Equal(LinkCloseReason.RemoteClosed, await accepted.Completion.WaitAsync(Timeout));

        async Task DisposeWhenClosedAsync()
        {
            await Assert.ThrowsAsync<LinkClosedException>(async () => (await receive.ConfigureAwait(false)).Dispose()).ConfigureAwait(false);
            threadName = Thread.CurrentThread.Name;
            await server.DisposeAsync().ConfigureAwait(false);
        }
    }
}
