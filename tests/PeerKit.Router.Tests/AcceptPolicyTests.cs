using PeerKit.Routing;
using static PeerKit.Router.Tests.Loopback;

namespace PeerKit.Router.Tests;

public sealed class AcceptPolicyTests
{
    [Fact]
    public async Task A_policy_that_never_decides_is_timed_out_refuses_and_the_next_request_is_decided()
    {
        await using var router = await StartRouterAsync();
        var (alice, _) = await StartClientAsync(router.ListenAddresses[0]);
        var (carol, _) = await StartClientAsync(router.ListenAddresses[0]);
        var never = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var asked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        NodeId aliceId = alice.Id;
        var (bob, _) = await StartClientAsync(router.ListenAddresses[0], o =>
        {
            o.AnswerTimeout = TimeSpan.FromSeconds(1);
            o.AcceptPolicy = (caller, _) =>
            {
                if (caller != aliceId)
                {
                    return ValueTask.FromResult(true);
                }

                asked.TrySetResult();
                return new ValueTask<bool>(never.Task);
            };
        });
        await using (alice)
        await using (carol)
        await using (bob)
        {
            Task<Peer> aliceConnect = alice.ConnectAsync(bob.Id);
            await asked.Task.WaitAsync(TimeSpan.FromSeconds(10));

            // Bob's policy is stuck on alice's request until AnswerTimeout (1 s); carol's is decided after it.
            Peer toBob = await carol.ConnectAsync(bob.Id).WaitAsync(TimeSpan.FromSeconds(8));
            Assert.Equal(bob.Id, toBob.Id);

            // Alice's request is refused when the policy runs out of time (it looks like an offline node).
            RoutedConnectException refused = await Assert.ThrowsAsync<RoutedConnectException>(() => aliceConnect.WaitAsync(TimeSpan.FromSeconds(8)));
            Assert.Equal(ConnectFailure.Unavailable, refused.Failure);
        }
    }
}
