using System.Net;
using PeerKit.Links;
using PeerKit.Links.Noise;
using PeerKit.Links.Udp;

namespace PeerKit.Tests.Links.Udp;

public sealed class UdpLinkTests
{
    private static readonly TimeSpan Timeout = UdpHarness.Timeout;

    [Fact]
    public async Task Handshake_proves_both_identities()
    {
        await using var h = new UdpHarness(seed: 1);
        (UdpLink client, UdpLink server) = await h.ConnectAsync(expected: h.ServerKey.Id);
        Assert.Equal(h.ServerKey.Id, client.RemoteId);
        Assert.Equal(h.ClientKey.Id, client.LocalId);
        Assert.Equal(h.ClientKey.Id, server.RemoteId);
        Assert.Equal(h.ServerKey.Id, server.LocalId);
        Assert.True(client.RemoteStaticKey.Span.SequenceEqual(h.ServerKey.PublicKey));
        Assert.True(server.RemoteStaticKey.Span.SequenceEqual(h.ClientKey.PublicKey));
        Assert.True(client.HandshakeHash.Span.SequenceEqual(server.HandshakeHash.Span));
        Assert.True(client.Capabilities.IsSecure);
        Assert.False(client.Capabilities.IsReliableStream);
        Assert.Equal(LinkOptions.DefaultMaxFrameSize, client.Capabilities.MaxFrameSize);
        Assert.InRange(client.Capabilities.MaxUnreliableFrameSize, 1000, 1200);
        Assert.Equal(h.ServerAddress, client.RemoteAddress);
        Assert.Equal(h.ClientTransport.LocalEndPoint, server.RemoteAddress);
        Assert.Equal(1, h.Server.GetStatistics().Links);
    }

    [Theory]
    [InlineData((int)NoiseCipher.ChaChaPoly)]
    [InlineData((int)NoiseCipher.AesGcm)]
    public async Task Either_cipher_the_dialer_asks_for_is_accepted_and_carries_frames_both_ways(int cipherId)
    {
        var cipher = (NoiseCipher)cipherId;
        UdpLinkOptions options = UdpHarness.FastOptions();
        await using var h = new UdpHarness(seed: 9, options: new UdpLinkOptions
        {
            TimerResolution = options.TimerResolution,
            MaxAckDelay = options.MaxAckDelay,
            DialCipher = cipher,
        });
        (UdpLink client, UdpLink server) = await h.ConnectAsync();
        Assert.Equal(cipher, client.Cipher);
        Assert.Equal(cipher, server.Cipher);
        await client.SendAsync(new byte[] { 1, 2, 3 });
        using (LinkFrame frame = await server.ReceiveAsync().AsTask().WaitAsync(Timeout))
        {
            Assert.Equal(new byte[] { 1, 2, 3 }, frame.Span.ToArray());
        }

        await server.SendAsync(new byte[] { 4 });
        using (LinkFrame frame = await client.ReceiveAsync().AsTask().WaitAsync(Timeout))
        {
            Assert.Equal(4, frame.Span[0]);
        }
    }

    [Fact]
    public void Dialers_ask_for_AES_GCM_where_AES_runs_in_hardware()
    {
        bool hardware = ManagedAesGcm.IsSupported || (System.Runtime.Intrinsics.Arm.Aes.IsSupported && System.Security.Cryptography.AesGcm.IsSupported);
        Assert.Equal(hardware ? NoiseCipher.AesGcm : NoiseCipher.ChaChaPoly, NoiseCipherState.Default);
    }

    [Fact]
    public async Task Every_class_carries_frames_both_ways()
    {
        await using var h = new UdpHarness(seed: 2);
        (UdpLink client, UdpLink server) = await h.ConnectAsync();
        foreach (Reliability reliability in Enum.GetValues<Reliability>())
        {
            await client.SendAsync(new byte[] { 1, (byte)reliability }, reliability);
            using LinkFrame atServer = await server.ReceiveAsync().AsTask().WaitAsync(Timeout);
            Assert.Equal(new byte[] { 1, (byte)reliability }, atServer.ToArray());
            await server.SendAsync(new byte[] { 2, (byte)reliability }, reliability);
            using LinkFrame atClient = await client.ReceiveAsync().AsTask().WaitAsync(Timeout);
            Assert.Equal(new byte[] { 2, (byte)reliability }, atClient.ToArray());
        }

        await client.SendAsync(ReadOnlyMemory<byte>.Empty);
        using LinkFrame empty = await server.ReceiveAsync().AsTask().WaitAsync(Timeout);
        Assert.Equal(0, empty.Length);
    }

    [Fact]
    public async Task Wrong_expected_identity_fails_before_revealing_the_dialer()
    {
        await using var h = new UdpHarness(seed: 3);
        using NodeKey other = NodeKey.Generate();
        IdentityMismatchException e = await Assert.ThrowsAsync<IdentityMismatchException>(() => h.Client.ConnectAsync(h.ServerAddress, other.Id).WaitAsync(Timeout));
        Assert.Equal(other.Id, e.Expected);
        Assert.Equal(h.ServerKey.Id, e.Actual);
        await Task.Delay(200);
        Assert.Equal(0, h.Server.GetStatistics().Links);
        Assert.Equal(0, h.Client.GetStatistics().Links);
    }

    [Fact]
    public async Task Dialing_nobody_times_out()
    {
        await using var h = new UdpHarness(seed: 4, options: new UdpLinkOptions { HandshakeTimeout = TimeSpan.FromMilliseconds(300), HandshakeRetransmitInterval = TimeSpan.FromMilliseconds(30), TimerResolution = TimeSpan.FromMilliseconds(1) });
        h.ServerTransport.Detached = true;
        HandshakeException e = await Assert.ThrowsAsync<HandshakeException>(() => h.Client.ConnectAsync(h.ServerAddress).WaitAsync(Timeout));
        Assert.Equal(HandshakeFailure.Timeout, e.Failure);
        Assert.Equal(0, h.Client.GetStatistics().Links);
    }
}
