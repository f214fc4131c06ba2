using System.Reflection;
using Google.Protobuf;
using PeerKit.Sessions;
using PeerKit.Tests.Support;
using V1 = Peerkit.V1;

namespace PeerKit.Tests.Protocols;

/// <summary>
/// contracts/peerkit/v1/base.proto is exactly the schema the generator emits for <see cref="BaseProtocol"/>, and the
/// base-protocol records are byte for byte what Google.Protobuf writes for that schema (compiled with Grpc.Tools).
/// </summary>
public class BaseProtocolContractTests
{
    internal static readonly string ContractsDirectory = typeof(BaseProtocolContractTests).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "PeerKit.ContractsDirectory").Value!;

    [Fact]
    public void Base_proto_is_the_generated_schema_of_the_base_protocol()
    {
        string path = Path.Combine(ContractsDirectory, "peerkit", "v1", "base.proto");
        string received = path + ".received";
        string expected = BaseProtocol.Descriptor.Schema!;
        Assert.Equal(BaseProtocol.Schema, expected);
        string actual = File.Exists(path) ? File.ReadAllText(path).Replace("\r\n", "\n", StringComparison.Ordinal) : string.Empty;
        if (actual == expected)
        {
            File.Delete(received);
            return;
        }

        File.WriteAllText(received, expected);
        Assert.Fail(
            $"{path} is not the schema the generator emits for BaseProtocol (a change to the base-protocol records?). " +
            $"The generated schema is in {received}: review it, then accept it with `mv {received} {path}`.");
    }

    [Fact]
    public void The_base_protocol_descriptor_matches_its_declaration()
    {
        ProtocolDescriptor descriptor = BaseProtocol.Descriptor;
        Assert.Equal("peerkit", descriptor.Name);
        Assert.Equal(1, descriptor.Version);
        Assert.Equal(16, descriptor.Length);
        Assert.Equal(16, BaseProtocol.Length);
        Assert.Equal(-1, descriptor.Port);
        Assert.Equal(
            [(0, typeof(BaseProtocol.Hello)), (1, typeof(BaseProtocol.Disconnect)), (2, typeof(BaseProtocol.Ping)), (3, typeof(BaseProtocol.Pong))],
            descriptor.Messages.Select(m => (m.Code, m.MessageType)));
        Assert.Same(descriptor, ((IProtocol)new BaseProtocol()).Descriptor);
        Assert.IsNotAssignableFrom<IProtocolHandlers>(new BaseProtocol());
    }

    public static TheoryData<string> HelloVectors => new(Hellos.Keys);

    private static readonly Dictionary<string, V1.Hello> Hellos = new()
    {
        ["empty"] = new V1.Hello(),
        ["typical"] = Hello(1, "PeerKit/v0.1.0", [("chat", 2), ("eth", 68)], 30303, Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()),
        ["negative version and port"] = Hello(-1, "x", [], -5, [0xFF]),
        ["unicode name, empty capability"] = Hello(int.MaxValue, "ノード ✓ 👋", [("", 0), ("a", int.MinValue)], 0, new byte[32]),
        ["many capabilities"] = Hello(1, "n", Enumerable.Range(0, 40).Select(i => ($"proto-{i}", i)).ToArray(), 65535, new byte[64]),
    };

    private static V1.Hello Hello(int version, string name, (string Name, int Version)[] capabilities, int port, byte[] nodeId)
    {
        var hello = new V1.Hello { ProtocolVersion = version, Name = name, ListenPort = port, NodeId = ByteString.CopyFrom(nodeId) };
        hello.Capabilities.Add(capabilities.Select(c => new V1.Capability { Name = c.Name, Version = c.Version }));
        return hello;
    }

    private static BaseProtocol.Hello FromGoogle(V1.Hello g) =>
        new(g.ProtocolVersion, g.Name, g.Capabilities.Select(c => new Capability(c.Name, c.Version)).ToArray(), g.ListenPort, g.NodeId.ToByteArray());

    private static V1.Hello ToGoogle(BaseProtocol.Hello h) =>
        Hello(h.ProtocolVersion, h.Name, h.Capabilities.Select(c => (c.Name, c.Version)).ToArray(), h.ListenPort, h.NodeId);

    [Theory]
    [MemberData(nameof(HelloVectors))]
    public void Hello_is_byte_for_byte_google_protobuf(string vector) =>
        Wire.AssertCompatible(Hellos[vector], FromGoogle, ToGoogle);

    [Theory]
    [InlineData(DisconnectReason.Requested)]
    [InlineData(DisconnectReason.BreachOfProtocol)]
    [InlineData(DisconnectReason.ReadTimeout)]
    [InlineData(DisconnectReason.SubprotocolError)]
    [InlineData((DisconnectReason)0x7F)]
    [InlineData((DisconnectReason)(-3))]
    public void Disconnect_is_byte_for_byte_google_protobuf(DisconnectReason reason) =>
        Wire.AssertCompatible(
            new V1.Disconnect { Reason = (V1.DisconnectReason)(int)reason },
            g => new BaseProtocol.Disconnect((DisconnectReason)(int)g.Reason),
            d => new V1.Disconnect { Reason = (V1.DisconnectReason)(int)d.Reason });

    [Fact]
    public void Disconnect_reasons_have_the_same_numbers_in_the_schema()
    {
        Assert.Equal((int)DisconnectReason.Requested, (int)V1.DisconnectReason.Requested);
        Assert.Equal((int)DisconnectReason.ConnectedToSelf, (int)V1.DisconnectReason.ConnectedToSelf);
        Assert.Equal((int)DisconnectReason.SubprotocolError, (int)V1.DisconnectReason.SubprotocolError);
        Assert.Equal(Enum.GetValues<DisconnectReason>().Length, Enum.GetValues<V1.DisconnectReason>().Length);
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(1UL)]
    [InlineData(0x0123_4567_89AB_CDEFUL)]
    [InlineData(ulong.MaxValue)]
    public void Ping_and_pong_are_byte_for_byte_google_protobuf(ulong nonce)
    {
        Wire.AssertCompatible(new V1.Ping { Nonce = nonce }, g => new BaseProtocol.Ping(g.Nonce), p => new V1.Ping { Nonce = p.Nonce });
        Wire.AssertCompatible(new V1.Pong { Nonce = nonce }, g => new BaseProtocol.Pong(g.Nonce), p => new V1.Pong { Nonce = p.Nonce });
    }
}
