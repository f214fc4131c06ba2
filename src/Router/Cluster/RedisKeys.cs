using StackExchange.Redis;

namespace PeerKit.Routing;

/// <summary>
/// The names a cluster uses in Redis, all under one prefix: <c>session:&lt;node hex&gt;</c> → router id (with a time to
/// live), <c>room:&lt;name&gt;</c> (a set of node hex ids), <c>rooms</c> (the set of room names),
/// <c>noderooms:&lt;node hex&gt;</c> (the rooms a node is in), and per router the channels <c>router:&lt;id&gt;:signal</c>
/// and <c>router:&lt;id&gt;:relay</c>.
/// </summary>
internal sealed class RedisKeys(string prefix)
{
    public string Prefix { get; } = prefix;

    public RedisKey Rooms => Prefix + "rooms";

    public static string Hex(NodeId node) => Convert.ToHexString(node.ToArray());

    public RedisKey Session(NodeId node) => Prefix + "session:" + Hex(node);

    public RedisKey Room(string name) => Prefix + "room:" + name;

    public RedisKey NodeRooms(NodeId node) => Prefix + "noderooms:" + Hex(node);

    public RedisChannel Signal(string router) => RedisChannel.Literal(Prefix + "router:" + router + ":signal");

    public RedisChannel Relay(string router) => RedisChannel.Literal(Prefix + "router:" + router + ":relay");
}
