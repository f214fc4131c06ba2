using System.Reflection;
using PeerKit.Routing;

namespace PeerKit.Router.Tests;

/// <summary>contracts/peerkit/router/v1/router.proto is the schema the generator emits for <see cref="RouterProtocol"/>.</summary>
public class ContractTests
{
    internal static readonly string ContractsDirectory = typeof(ContractTests).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "PeerKit.ContractsDirectory").Value!;

    [Fact]
    public void Router_proto_is_the_generated_schema_of_the_router_protocol()
    {
        string path = Path.Combine(ContractsDirectory, "peerkit", "router", "v1", "router.proto");
        string received = path + ".received";
        string expected = RouterProtocol.Descriptor.Schema!;
        string actual = File.Exists(path) ? File.ReadAllText(path).Replace("\r\n", "\n", StringComparison.Ordinal) : string.Empty;
        if (actual == expected)
        {
            File.Delete(received);
            return;
        }

        File.WriteAllText(received, expected);
        Assert.Fail(
            $"{path} is not the schema the generator emits for RouterProtocol (a change to the router's control messages?). " +
            $"The generated schema is in {received}: review it, then accept it with `mv {received} {path}`.");
    }
}

/// <summary>The router's records write what Google.Protobuf writes for router.proto, and read what it writes.</summary>
public class InteropTests
{
    private static void AssertSame<TPeerKit>(Google.Protobuf.IMessage google, TPeerKit peerKit, Func<TPeerKit, TPeerKit, bool>? equal = null)
        where TPeerKit : IMessage<TPeerKit>
    {
        byte[] expected = Google.Protobuf.MessageExtensions.ToByteArray(google);
        Assert.Equal(expected, MessageSerializer.ToArray(peerKit));
        TPeerKit read = MessageSerializer.Read<TPeerKit>(expected);
        Assert.Equal(expected, MessageSerializer.ToArray(read));
    }

    [Fact]
    public void Open_with_a_token_is_byte_for_byte_google_protobuf()
    {
        byte[] mac = Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray();
        var google = new PeerkitRouter.V1.Open { Token = new PeerkitRouter.V1.RouterAccessToken { ExpiresAt = 1_900_000_000, Mac = Google.Protobuf.ByteString.CopyFrom(mac) } };
        google.LocalAddresses.Add(["udp://10.0.0.2:4000", "udp://[fe80::1]:4000"]);
        AssertSame(google, new RouterProtocol.Open(new RouterAccessToken(1_900_000_000, mac), ["udp://10.0.0.2:4000", "udp://[fe80::1]:4000"]));
        AssertSame(new PeerkitRouter.V1.Open(), new RouterProtocol.Open(null, []));
    }

    [Fact]
    public void Signaling_messages_are_byte_for_byte_google_protobuf()
    {
        byte[] id = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
        AssertSame(new PeerkitRouter.V1.Connect { RequestId = uint.MaxValue, Target = Google.Protobuf.ByteString.CopyFrom(id), Room = "lobby ✓", Mode = PeerkitRouter.V1.RoutingMode.ServerOnly },
            new RouterProtocol.Connect(uint.MaxValue, id, "lobby ✓", RoutingMode.ServerOnly));
        AssertSame(new PeerkitRouter.V1.Answer { RequestId = 7, Accept = false, RevealRefusal = true }, new RouterProtocol.Answer(7, false, true));
        AssertSame(new PeerkitRouter.V1.Answer { RequestId = 8, Accept = false, Crossed = true }, new RouterProtocol.Answer(8, false, false, Crossed: true));
        var candidates = new PeerkitRouter.V1.Candidates { RequestId = 3, Peer = Google.Protobuf.ByteString.CopyFrom(id), RelayChannel = 0xDEADBEEF, Mode = PeerkitRouter.V1.RoutingMode.PreferP2P };
        candidates.Addresses.Add(["udp://1.2.3.4:5", "udp://192.168.1.2:6"]);
        AssertSame(candidates, new RouterProtocol.Candidates(3, id, ["udp://1.2.3.4:5", "udp://192.168.1.2:6"], 0xDEADBEEF, RoutingMode.PreferP2P));
        var who = new PeerkitRouter.V1.Who { RequestId = 1 };
        who.NodeIds.Add([Google.Protobuf.ByteString.CopyFrom(id), Google.Protobuf.ByteString.CopyFrom(new byte[32])]);
        AssertSame(who, new RouterProtocol.Who(1, [id, new byte[32]]));
    }

    [Fact]
    public void Results_and_rooms_are_byte_for_byte_google_protobuf_with_the_same_status_numbers()
    {
        foreach (RouterStatus status in Enum.GetValues<RouterStatus>())
        {
            AssertSame(new PeerkitRouter.V1.Result { RequestId = 9, Status = (PeerkitRouter.V1.RouterStatus)(int)status, Detail = status.ToString() },
                new RouterProtocol.Result(9, status, status.ToString()));
        }

        Assert.Equal(Enum.GetValues<RouterStatus>().Length, Enum.GetValues<PeerkitRouter.V1.RouterStatus>().Length);
        var room = new PeerkitRouter.V1.Room { RequestId = 2, Status = PeerkitRouter.V1.RouterStatus.Ok, Name = "r" };
        room.Members.Add(Google.Protobuf.ByteString.CopyFrom(new byte[32]));
        AssertSame(room, new RouterProtocol.Room(2, RouterStatus.Ok, "r", [new byte[32]]));
        AssertSame(new PeerkitRouter.V1.RoomChanged { Name = "r", Member = Google.Protobuf.ByteString.CopyFrom([1]), Joined = true },
            new RouterProtocol.RoomChanged("r", [1], true));
        AssertSame(new PeerkitRouter.V1.Opened { Status = PeerkitRouter.V1.RouterStatus.Expired, Detail = "d", ObservedAddress = "udp://1.1.1.1:1" },
            new RouterProtocol.Opened(RouterStatus.Expired, "d", "udp://1.1.1.1:1"));
    }
}
