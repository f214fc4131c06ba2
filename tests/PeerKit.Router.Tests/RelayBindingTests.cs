using PeerKit.Routing;
using static PeerKit.Router.Tests.Loopback;

namespace PeerKit.Router.Tests;

public class RelayBindingTests
{
    private static void Generous(RouterOptions options)
    {
        options.SignalingBurst = 10_000;
        options.SignalingRate = 10_000;
        options.MaxPendingConnectsPerSession = 1000;
    }

    [Fact]
    public async Task Repeated_connects_between_one_pair_leave_at_most_two_relay_bindings()
    {
        await using var router = await StartRouterAsync(Generous);
        var (aliceNode, alice, aliceClient) = await RawRouterClient.AttachAsync(router.ListenAddresses[0]);
        var (bobNode, _, _) = await RawRouterClient.AttachAsync(router.ListenAddresses[0]);
        await using (aliceNode)
        await using (bobNode)
        {
            for (uint i = 1; i <= 100; i++)
            {
                await alice.SendAsync(new RawRouterClient.Connect(i, bobNode.Id.ToArray(), "", RoutingMode.ServerOnly));
            }

            await EventuallyAsync(() => aliceClient.CandidateAnswers.Count == 100, "alice hears candidates for every connect");
            Assert.All(aliceClient.CandidateAnswers, c => Assert.NotEqual(0u, c.RelayChannel));
            Assert.Equal(2, router.RelayBindingCount); // the newest two: crossed connects from both ends each keep theirs
        }
    }

    [Fact]
    public async Task A_session_cannot_be_part_of_more_relay_bindings_than_the_cap()
    {
        await using var router = await StartRouterAsync(o => { Generous(o); o.MaxRelayBindingsPerSession = 2; });
        var (aliceNode, alice, aliceClient) = await RawRouterClient.AttachAsync(router.ListenAddresses[0]);
        var targets = new List<(PeerNode Node, Peer Router, RawRouterClient Client)>();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                targets.Add(await RawRouterClient.AttachAsync(router.ListenAddresses[0]));
            }

            for (int i = 0; i < 3; i++)
            {
                await alice.SendAsync(new RawRouterClient.Connect((uint)i + 1, targets[i].Node.Id.ToArray(), "", RoutingMode.ServerOnly));
                int expected = i + 1;
                await EventuallyAsync(() => aliceClient.CandidateAnswers.Count + aliceClient.Results.Count == expected, $"alice hears an answer to connect {expected}");
            }

            Assert.Equal(2, aliceClient.CandidateAnswers.Count);
            Assert.Equal(RouterStatus.Busy, Assert.Single(aliceClient.Results).Status);
            Assert.Equal(2, router.RelayBindingCount);

            // A target at its cap: the caller still gets candidates, without a relay channel.
            var (_, third, thirdClient) = targets[2];
            await third.SendAsync(new RawRouterClient.Connect(1, aliceNode.Id.ToArray(), "", RoutingMode.PreferP2P));
            await EventuallyAsync(() => !thirdClient.CandidateAnswers.IsEmpty, "the third node hears candidates");
            Assert.Equal(0u, thirdClient.CandidateAnswers.Single().RelayChannel);
            Assert.Equal(2, router.RelayBindingCount);

            // A new connect between a pair that has a binding replaces it, so the cap does not refuse it.
            await alice.SendAsync(new RawRouterClient.Connect(10, targets[0].Node.Id.ToArray(), "", RoutingMode.ServerOnly));
            await EventuallyAsync(() => aliceClient.CandidateAnswers.Any(c => c.RequestId == 10), "alice hears candidates for the repeated pair");
            Assert.NotEqual(0u, aliceClient.CandidateAnswers.Single(c => c.RequestId == 10).RelayChannel);
            Assert.Equal(2, router.RelayBindingCount);
        }
        finally
        {
            await aliceNode.DisposeAsync();
            foreach (var target in targets)
            {
                await target.Node.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Relay_bindings_that_carry_nothing_are_unbound_by_the_sweep()
    {
        var time = new ManualTime(new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero));
        await using var router = await StartRouterAsync(o => { Generous(o); o.Time = time; });
        var (aliceNode, alice, aliceClient) = await RawRouterClient.AttachAsync(router.ListenAddresses[0]);
        var (bobNode, _, _) = await RawRouterClient.AttachAsync(router.ListenAddresses[0]);
        await using (aliceNode)
        await using (bobNode)
        {
            await alice.SendAsync(new RawRouterClient.Connect(1, bobNode.Id.ToArray(), "", RoutingMode.ServerOnly));
            await EventuallyAsync(() => aliceClient.CandidateAnswers.Count == 1, "alice hears candidates");
            Assert.Equal(1, router.RelayBindingCount);

            time.Advance(TimeSpan.FromSeconds(39));
            await Task.Delay(600); // two sweeps at the old deadline minus a second: the binding stays
            Assert.Equal(1, router.RelayBindingCount);

            time.Advance(TimeSpan.FromSeconds(2));
            await EventuallyAsync(() => router.RelayBindingCount == 0, "the sweep unbinds the unused binding");
        }
    }
}
