namespace PeerKit.Tests.Nodes;

/// <summary>The peer table's rules alone, with plain objects as sessions.</summary>
public sealed class AdmissionRulesTests
{
    private sealed class Session(string name)
    {
        public override string ToString() => name;
    }

    private static NodeId Id(byte first)
    {
        var bytes = new byte[NodeId.Size];
        bytes[0] = first;
        return new NodeId(bytes);
    }

    [Fact]
    public void Max_peers_and_the_inbound_share_refuse_with_too_many_peers_but_trusted_nodes_get_in()
    {
        // MaxPeers 3, ratio 3: one dial slot is kept, so at most two inbound.
        var table = new Admission<Session>(Id(0x80), maxPeers: 3, dialRatio: 3, trusted: [Id(0x09)]);
        Assert.Null(table.Admit(new Session("in1"), Id(1), isInbound: true));
        Assert.Null(table.Admit(new Session("in2"), Id(2), isInbound: true));
        Assert.Equal(DisconnectReason.TooManyPeers, table.Admit(new Session("in3"), Id(3), isInbound: true));
        Assert.Null(table.Admit(new Session("out4"), Id(4), isInbound: false));
        Assert.Equal(DisconnectReason.TooManyPeers, table.Admit(new Session("out5"), Id(5), isInbound: false));
        Assert.Null(table.Admit(new Session("trusted"), Id(9), isInbound: true));
        Assert.True(table.IsTrusted(Id(9)));
    }

    [Theory]
    [InlineData(50, 3, 34)]
    [InlineData(2, 3, 1)]
    [InlineData(10, 0, 10)]
    [InlineData(0, 3, 0)]
    public void The_inbound_share_is_max_peers_minus_the_dial_slots(int maxPeers, int dialRatio, int inbound) =>
        Assert.Equal(inbound, Admission<Session>.MaxInbound(maxPeers, dialRatio));

    [Fact]
    public void The_arbiter_keeps_the_first_session_and_refuses_a_second()
    {
        var table = new Admission<Session>(Id(0x01), 10, 3, []);
        NodeId remote = Id(0x02);
        Assert.True(table.IsArbiter(remote));
        var first = new Session("first");
        Assert.Null(table.Admit(first, remote, isInbound: false));
        Assert.Equal(DisconnectReason.AlreadyConnected, table.Admit(new Session("second"), remote, isInbound: true));
        Assert.True(table.TryEstablish(first, remote, isInbound: false));
        Assert.Same(first, table.Find(remote));
    }

    [Fact]
    public void The_other_side_holds_candidates_until_one_is_confirmed_then_refuses_more()
    {
        var table = new Admission<Session>(Id(0x02), 10, 3, []);
        NodeId arbiter = Id(0x01);
        Assert.False(table.IsArbiter(arbiter));
        var dialed = new Session("dialed");
        var accepted = new Session("accepted");
        Assert.Null(table.Admit(dialed, arbiter, isInbound: false));
        Assert.Null(table.Admit(accepted, arbiter, isInbound: true));
        Assert.Empty(table.Established);

        Assert.True(table.TryEstablish(accepted, arbiter, isInbound: true));
        Assert.False(table.TryEstablish(dialed, arbiter, isInbound: false));
        Assert.Equal([accepted], table.Established);
        Assert.Equal(DisconnectReason.AlreadyConnected, table.Admit(new Session("late"), arbiter, isInbound: true));

        // The refused candidate leaves without being announced; the established one is announced when it ends.
        Assert.False(table.Remove(dialed, arbiter));
        Assert.True(table.Remove(accepted, arbiter));
        Assert.Empty(table.Established);
        Assert.Null(table.Find(arbiter));
    }

    [Fact]
    public async Task A_waiter_gets_the_session_established_later_even_if_not_admitted_yet()
    {
        var table = new Admission<Session>(Id(0x02), 10, 3, []);
        Task<Session?> waiting = table.WhenEstablishedAsync(Id(0x01), CancellationToken.None);
        Assert.False(waiting.IsCompleted);
        var winner = new Session("winner");
        Assert.Null(table.Admit(winner, Id(0x01), isInbound: true));
        Assert.True(table.TryEstablish(winner, Id(0x01), isInbound: true));
        Assert.Same(winner, await waiting.WaitAsync(TimeSpan.FromSeconds(5)));

        using var cancelled = new CancellationTokenSource();
        Task<Session?> never = table.WhenEstablishedAsync(Id(0x03), cancelled.Token);
        cancelled.Cancel();
        Assert.Null(await never.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void A_closed_table_refuses_as_client_quitting_and_hands_back_every_session()
    {
        var table = new Admission<Session>(Id(0x80), 10, 3, []);
        var a = new Session("a");
        var b = new Session("b");
        table.Admit(a, Id(1), isInbound: true);
        table.Admit(b, Id(2), isInbound: false);
        Session[] all = table.Close();
        Assert.Equal(2, all.Length);
        Assert.Equal(DisconnectReason.ClientQuitting, table.Admit(new Session("c"), Id(3), isInbound: false));
        Assert.False(table.TryEstablish(a, Id(1), isInbound: true));
    }

    [Fact]
    public void Removing_an_inbound_entry_frees_its_inbound_slot()
    {
        var table = new Admission<Session>(Id(0x80), maxPeers: 2, dialRatio: 2, trusted: []);
        var first = new Session("first");
        Assert.Null(table.Admit(first, Id(1), isInbound: true));
        Assert.Equal(DisconnectReason.TooManyPeers, table.Admit(new Session("second"), Id(2), isInbound: true));
        table.Remove(first, Id(1));
        Assert.Null(table.Admit(new Session("third"), Id(3), isInbound: true));
    }

    [Fact]
    public void Ids_are_ordered_by_their_bytes_the_same_everywhere()
    {
        Assert.True(Admission<Session>.Compare(Id(1), Id(2)) < 0);
        Assert.True(Admission<Session>.Compare(Id(0xff), Id(0x01)) > 0);
        Assert.Equal(0, Admission<Session>.Compare(Id(7), Id(7)));
    }
}
