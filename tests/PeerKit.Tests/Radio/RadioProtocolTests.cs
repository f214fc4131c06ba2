
namespace PeerKit.Tests.Radios;

public sealed class RadioProtocolTests
{
    private static async Task<T> Within<T>(TaskCompletionSource<T> source) =>
        await source.Task.WaitAsync(TimeSpan.FromSeconds(10));

    [Fact]
    public async Task Typed_broadcasts_reach_the_handler_with_the_sender_address_and_rssi()
    {
        using var medium = new SimulatedMedium();
        using RadioNode a = RadioNode.Open(medium.OpenRadio(1));
        using RadioNode b = RadioNode.Open(medium.OpenRadio(2, 10));
        RadioProtocol atA = a.UseProtocol(RadioTestProtocol.Descriptor);
        RadioProtocol atB = b.UseProtocol(RadioTestProtocol.Descriptor);
        var received = new TaskCompletionSource<(RadioSender, RadioTestProtocol.Position)>(TaskCreationOptions.RunContinuationsAsynchronously);
        atB.On<RadioTestProtocol.Position>((from, p) => received.TrySetResult((from, p)));

        atA.Broadcast(new RadioTestProtocol.Position(1, 2, 3));

        (RadioSender from, RadioTestProtocol.Position position) = await Within(received);
        Assert.Equal(new RadioTestProtocol.Position(1, 2, 3), position);
        Assert.Equal(1u, from.Address);
        Assert.Equal(-70, from.RssiDbm);
        Assert.Equal(70, from.Rssi);
        Assert.False(from.IsAddressed);
        Assert.Equal(3, atB.Port);
    }

    [Fact]
    public async Task Raw_crazyflie_packets_and_typed_messages_share_the_air()
    {
        using var medium = new SimulatedMedium();
        using RadioNode a = RadioNode.Open(medium.OpenRadio(1));
        using RadioNode b = RadioNode.Open(medium.OpenRadio(2, 1));
        RadioProtocol typedA = a.UseProtocol(RadioTestProtocol.Descriptor);
        RadioProtocol typedB = b.UseProtocol(RadioTestProtocol.Descriptor);
        var typed = new TaskCompletionSource<RadioTestProtocol.Position>(TaskCreationOptions.RunContinuationsAsynchronously);
        typedB.On<RadioTestProtocol.Position>((_, p) => typed.TrySetResult(p));

        a.SendBroadcast(0, "Hello World"u8);
        typedA.Broadcast(new RadioTestProtocol.Position(4, 5, 6));

        Assert.Equal(new RadioTestProtocol.Position(4, 5, 6), await Within(typed));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        P2PPacket raw = await b.Packets.ReadAsync(cts.Token);
        Assert.Equal(0, raw.Port);
        Assert.Equal("Hello World"u8.ToArray(), raw.Data.ToArray());
        await Task.Delay(50);
        Assert.False(b.Packets.TryRead(out _)); // the typed packet went to its handler only

        // On the air the typed message is [0xFF, 0x83][code 0][proto3 payload]: a P2P packet on port 3.
        byte[] payload = MessageSerializer.ToArray(new RadioTestProtocol.Position(4, 5, 6));
        Assert.True(payload.Length + 1 <= RadioProtocol.MaxBroadcastPayloadSize);
    }

    [Fact]
    public async Task Reliable_messages_cannot_be_broadcast_but_arrive_addressed()
    {
        using var medium = new SimulatedMedium(new SimulatedMediumOptions { ExtraLoss = 0.2, Seed = 2 });
        using RadioNode a = RadioNode.Open(medium.OpenRadio(1));
        using RadioNode b = RadioNode.Open(medium.OpenRadio(2, 1));
        RadioProtocol atA = a.UseProtocol(RadioTestProtocol.Descriptor);
        RadioProtocol atB = b.UseProtocol(RadioTestProtocol.Descriptor);
        var received = new TaskCompletionSource<(RadioSender, RadioTestProtocol.Hello)>(TaskCreationOptions.RunContinuationsAsynchronously);
        atB.On<RadioTestProtocol.Hello>((from, hello) => received.TrySetResult((from, hello)));

        RadioException broadcast = Assert.Throws<RadioException>(() => atA.Broadcast(new RadioTestProtocol.Hello("drone")));
        Assert.Equal(RadioError.Unsupported, broadcast.Error);
        Assert.Contains("never acknowledged", broadcast.Message);

        await atA.SendAsync(2, new RadioTestProtocol.Hello("drone 1"));
        (RadioSender from, RadioTestProtocol.Hello hello) = await Within(received);
        Assert.Equal("drone 1", hello.Name);
        Assert.Equal(1u, from.Address);
        Assert.True(from.IsAddressed);
    }

    [Fact]
    public async Task Generated_dispatch_calls_the_handlers_that_take_a_RadioSender_unless_On_registered_one()
    {
        using var medium = new SimulatedMedium();
        using RadioNode a = RadioNode.Open(medium.OpenRadio(1));
        using RadioNode b = RadioNode.Open(medium.OpenRadio(2, 10));
        RadioProtocol atA = a.UseProtocol(RadioHandlersProtocol.Descriptor);
        var handlers = new RadioHandlersProtocol();
        RadioProtocol atB = b.UseProtocol(handlers);

        atA.Broadcast(new RadioTestProtocol.Position(1, 2, 3));
        (RadioSender from, RadioTestProtocol.Position position) = await Within(handlers.Positions);
        Assert.Equal(new RadioTestProtocol.Position(1, 2, 3), position);
        Assert.Equal(1u, from.Address);
        Assert.Equal(-70, from.RssiDbm);
        Assert.False(from.IsAddressed);

        var registered = new TaskCompletionSource<RadioHandlersProtocol.Name>(TaskCreationOptions.RunContinuationsAsynchronously);
        atB.On<RadioHandlersProtocol.Name>((_, name) => registered.TrySetResult(name));
        atA.Broadcast(new RadioHandlersProtocol.Name("drone 1"));
        Assert.Equal("drone 1", (await Within(registered)).Text);
        Assert.False(handlers.Names.Task.IsCompleted);               // On<T> takes precedence over the generated handler
        Assert.Equal(0, atB.Unhandled);
    }

    [Fact]
    public async Task A_message_that_does_not_fit_is_TooLarge()
    {
        using var medium = new SimulatedMedium();
        using RadioNode a = RadioNode.Open(medium.OpenRadio(1));
        var unbounded = new ProtocolDescriptor("unbounded", 1, 0, 4, [ProtocolMessageInfo.Create<RadioUnboundedMessage>()]) { Acknowledged = true };
        RadioProtocol atA = a.UseProtocol(unbounded);

        RadioException e = await Assert.ThrowsAsync<RadioException>(() => atA.SendAsync(2, new RadioUnboundedMessage(new string('x', 60))));
        Assert.Equal(RadioError.TooLarge, e.Error);
        Assert.Contains("at most 55", e.Message);
    }

    [Fact]
    public async Task A_protocol_that_is_not_Acknowledged_only_broadcasts()
    {
        using var medium = new SimulatedMedium();
        using RadioNode a = RadioNode.Open(medium.OpenRadio(1));
        var broadcastOnly = new ProtocolDescriptor("positions", 1, 0, 4, [ProtocolMessageInfo.Create<RadioTestProtocol.Position>()]);
        RadioProtocol atA = a.UseProtocol(broadcastOnly);

        RadioException e = await Assert.ThrowsAsync<RadioException>(() => atA.SendAsync(2, new RadioTestProtocol.Position(1, 2, 3)));
        Assert.Equal(RadioError.Unsupported, e.Error);
        Assert.Contains("Acknowledged = true", e.Message);
    }

    [Fact]
    public void A_reliable_message_on_a_protocol_that_is_not_Acknowledged_is_refused_when_bound()
    {
        using var medium = new SimulatedMedium();
        using RadioNode a = RadioNode.Open(medium.OpenRadio(1));
        var reliable = new ProtocolDescriptor("hello", 1, 0, 4, [ProtocolMessageInfo.Create<RadioTestProtocol.Hello>()]);

        RadioException e = Assert.Throws<RadioException>(() => a.UseProtocol(reliable));
        Assert.Equal(RadioError.Unsupported, e.Error);
        Assert.Contains("Hello", e.Message);
        Assert.Contains("Acknowledged = true", e.Message);
    }

    [Fact]
    public async Task Unknown_codes_and_malformed_payloads_are_counted_not_fatal()
    {
        using var medium = new SimulatedMedium();
        using Radio raw = medium.OpenRadio(9);
        using RadioNode b = RadioNode.Open(medium.OpenRadio(2, 1));
        RadioProtocol atB = b.UseProtocol(RadioTestProtocol.Descriptor);
        var good = new TaskCompletionSource<RadioTestProtocol.Position>(TaskCreationOptions.RunContinuationsAsynchronously);
        atB.On<RadioTestProtocol.Position>((_, p) => good.TrySetResult(p));

        raw.Send([0xFF, 0x83, 9]);                 // code 9 is not in the protocol
        raw.Send([0xFF, 0x83, 0, 0x0D, 0x01]);     // code 0, a truncated fixed32
        raw.Send([0xFF, 0x83]);                    // no code byte
        byte[] position = MessageSerializer.ToArray(new RadioTestProtocol.Position(7, 8, 9));
        raw.Send([0xFF, 0x83, 0, .. position]);

        Assert.Equal(new RadioTestProtocol.Position(7, 8, 9), await Within(good));
        Assert.Equal(1, atB.UnknownCodes);
        Assert.Equal(2, atB.MalformedMessages);
    }

    [Fact]
    public void A_protocol_needs_a_free_port()
    {
        Assert.Equal(3, RadioTestProtocol.Descriptor.Port);
        Assert.True(RadioTestProtocol.Descriptor.Acknowledged);
        using var medium = new SimulatedMedium();
        using RadioNode a = RadioNode.Open(medium.OpenRadio(1));
        a.UseProtocol(RadioTestProtocol.Descriptor);
        Assert.Throws<ArgumentException>(() => a.UseProtocol(RadioTestProtocol.Descriptor));
        var noPort = new ProtocolDescriptor("noport", 1, 0, -1, [ProtocolMessageInfo.Create<RadioTestProtocol.Position>()]);
        Assert.Contains("Port = n", Assert.Throws<ArgumentException>(() => a.UseProtocol(noPort)).Message);
    }

    [Fact]
    public void A_reliable_message_needs_the_acknowledged_layer()
    {
        using var medium = new SimulatedMedium();
        using RadioNode a = RadioNode.Open(medium.OpenRadio(1), new RadioNodeOptions { UnicastPort = -1 });

        RadioException e = Assert.Throws<RadioException>(() => a.UseProtocol(RadioTestProtocol.Descriptor));
        Assert.Equal(RadioError.Unsupported, e.Error);
        Assert.Contains("swarmtest/1 is Acknowledged", e.Message);
        Assert.Contains("UnicastPort = -1", e.Message);
    }

    [Fact]
    public void A_message_whose_bound_exceeds_59_bytes_is_refused_when_the_protocol_is_bound()
    {
        using var medium = new SimulatedMedium();
        using RadioNode a = RadioNode.Open(medium.OpenRadio(1));
        var big = new ProtocolDescriptor("big", 1, 0, 4, [ProtocolMessageInfo.Create<RadioBigMessage>()]);

        RadioException e = Assert.Throws<RadioException>(() => a.UseProtocol(big));
        Assert.Equal(RadioError.TooLarge, e.Error);
        Assert.Contains("at most 59", e.Message);
        var addressed = new ProtocolDescriptor("big", 1, 0, 4, [ProtocolMessageInfo.Create<RadioTestProtocol.Hello>(), ProtocolMessageInfo.Create<RadioBigMessage>()]) { Acknowledged = true };
        Assert.Contains("at most 55", Assert.Throws<RadioException>(() => a.UseProtocol(addressed)).Message);
    }

    [Fact]
    public async Task Every_frame_a_node_puts_on_the_air_passes_the_firmware_acceptance_rule()
    {
        using var medium = new SimulatedMedium();
        using Radio sniffer = medium.OpenRadio(9, 0, 1);
        using RadioNode a = RadioNode.Open(medium.OpenRadio(1));
        using RadioNode b = RadioNode.Open(medium.OpenRadio(2, 1));
        RadioProtocol typed = a.UseProtocol(RadioTestProtocol.Descriptor);

        for (int port = 0; port < 15; port++)
        {
            a.SendBroadcast(port, new byte[port * 4]);                 // every port, sizes 0 to 56
            await Task.Delay(2);
        }

        a.SendBroadcast(0, new byte[RadioNode.P2PMaxDataSize]);
        await Task.Delay(2);
        typed.Broadcast(new RadioTestProtocol.Position(1, 2, 3));     // typed, on port 3
        await Task.Delay(2);
        await a.SendAsync(2, 5, new byte[RadioNode.AddressedMaxDataSize]); // addressed data, and b's acknowledgement
        await typed.SendAsync(2, new RadioTestProtocol.Hello("hi"));

        var frames = new List<byte[]>();
        while (sniffer.TryReceive(out NativeRadioFrame frame, 200))
        {
            frames.Add(frame.ToArray());
        }

        Assert.True(frames.Count >= 15 + 1 + 1 + 4, $"the sniffer heard {frames.Count} frames");
        Assert.All(frames, f => Assert.True(P2PFrame.NativeAccepts(f) && P2PFrame.IsP2P(f) && f.Length <= 62, Convert.ToHexString(f)));
        Assert.Contains(frames, f => f.Length == 62 && f[1] == 0x80);                 // a full 60-byte packet
        Assert.Contains(frames, f => f[1] == 0x8F && f[2] >> 4 == 2);                 // an acknowledgement on port 15
    }
}
