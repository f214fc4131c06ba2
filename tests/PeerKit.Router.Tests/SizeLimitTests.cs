using PeerKit.Routing;
using static PeerKit.Router.Tests.Loopback;

namespace PeerKit.Router.Tests;

public class SizeLimitTests
{
    [Fact]
    public async Task The_router_announces_a_64_KiB_frame_limit_so_a_larger_control_message_is_refused_before_it_is_sent()
    {
        await using var router = await StartRouterAsync();
        var (alice, _) = await StartClientAsync(router.ListenAddresses[0]);
        var (node, session, client) = await RawRouterClient.AttachAsync(router.ListenAddresses[0]);
        await using (alice)
        await using (node)
        {
            byte[][] ids = [.. Enumerable.Range(0, 3000).Select(_ => new byte[NodeId.Size])]; // about 100 KB
            var tooLarge = await Assert.ThrowsAsync<PeerKit.Links.FrameTooLargeException>(() => session.SendAsync(new RawRouterClient.Who(1, ids)).AsTask());
            Assert.Equal(64 * 1024, tooLarge.MaxFrameSize);
            Assert.Empty(client.Results);

            Assert.Equal([node.Id], await alice.WhoIsOnlineAsync());
            Assert.True(session.IsConnected);
        }
    }

    [Fact]
    public async Task A_presence_query_naming_more_ids_than_the_bound_is_a_breach_of_protocol()
    {
        await using var router = await StartRouterAsync();
        var (node, session, client) = await RawRouterClient.AttachAsync(router.ListenAddresses[0]);
        await using (node)
        {
            byte[][] ids = [.. Enumerable.Range(0, RouterProtocol.MaxPresenceQuery + 1).Select(_ => new byte[NodeId.Size])];
            await session.SendAsync(new RawRouterClient.Who(1, ids));
            PeerDisconnect end = await session.Completion.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(DisconnectReason.BreachOfProtocol, end.Reason);
            Assert.Empty(client.Results);
        }
    }

    [Fact]
    public async Task The_room_listing_names_at_most_the_configured_number_of_rooms_in_order()
    {
        await using var router = await StartRouterAsync(o => o.MaxRoomsListed = 2);
        var (alice, _) = await StartClientAsync(router.ListenAddresses[0]);
        await using (alice)
        {
            foreach (string name in (string[])["c", "a", "b"])
            {
                await alice.CreateRoomAsync(name);
            }

            Assert.Equal(3, router.RoomCount);
            Assert.Equal(["a", "b"], await alice.ListRoomsAsync());
        }
    }
}
