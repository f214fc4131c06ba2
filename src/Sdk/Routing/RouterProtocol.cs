namespace PeerKit.Routing;

/// <summary>
/// The router's control protocol: sessions, presence, signaling (connect by node id, candidates) and rooms. A client
/// and its router run it over their ordinary PeerKit session, so the router knows the sender of every message from the
/// session's authenticated node key and never from message content: no message a client sends names its sender.
/// Codes 0–7 go from a client to the router, 8–15 from the router to a client.
/// </summary>
/// <remarks>
/// The proto3 schema is <c>contracts/peerkit/router/v1/router.proto</c>, generated from these records (a test keeps it in
/// sync). Requests carry a <c>request_id</c> chosen by the client; the router echoes it in its answer.
/// </remarks>
[Protocol("peerkit-router", Version = 1)]
public sealed partial class RouterProtocol
{
    /// <summary>The longest room name, in UTF-8 bytes.</summary>
    public const int MaxRoomNameLength = 64;

    /// <summary>The most addresses a client may announce as its local candidates.</summary>
    public const int MaxLocalAddresses = 8;

    /// <summary>The most node ids one presence query may name.</summary>
    public const int MaxPresenceQuery = 256;

    /// <summary>Opens the client's session with the router: the first message a client sends.</summary>
    /// <param name="Token">An access token (<see cref="RouterAccessToken"/>), when the router asks for one.</param>
    /// <param name="LocalAddresses">The client's own addresses (<c>udp://host:port</c>), its host candidates.</param>
    [Message(Code = 0)]
    public sealed partial record Open(RouterAccessToken? Token, [MaxLength(MaxLocalAddresses)] string[] LocalAddresses);

    /// <summary>Asks which of the named nodes are online (presence); none named asks for every node, up to a limit.</summary>
    /// <param name="RequestId">Echoed in the <see cref="Online"/> answer.</param>
    /// <param name="NodeIds">The 32-byte node ids to check.</param>
    [Message(Code = 1)]
    public sealed partial record Who(uint RequestId, [MaxLength(MaxPresenceQuery)] byte[][] NodeIds);

    /// <summary>Asks the router to join this client with another node (the Oculus connect request).</summary>
    /// <param name="RequestId">Echoed in the <see cref="Candidates"/> or <see cref="Result"/> answer.</param>
    /// <param name="Target">The 32-byte node id to connect to.</param>
    /// <param name="Room">The room the request is made for, or empty (a target may accept every member of its room).</param>
    /// <param name="Mode">The caller's routing mode for the target: with <see cref="RoutingMode.P2POnly"/> the router binds no relay channels.</param>
    [Message(Code = 2)]
    public sealed partial record Connect(uint RequestId, byte[] Target, string Room, RoutingMode Mode);

    /// <summary>A target's answer to an <see cref="Incoming"/> request.</summary>
    /// <param name="RequestId">The router's request id from <see cref="Incoming"/>.</param>
    /// <param name="Accept">Whether the target accepts the connection.</param>
    /// <param name="RevealRefusal">When refusing: whether the caller may learn that the target refused (and so is online); otherwise the caller hears "unavailable", as for an offline node.</param>
    /// <param name="Crossed">When refusing: the target is connecting to the caller at the same time (crossed requests;
    /// the smaller node id keeps its own): the caller hears <see cref="RouterStatus.Crossed"/> and waits for the
    /// target's session instead of failing.</param>
    [Message(Code = 3)]
    public sealed partial record Answer(uint RequestId, bool Accept, bool RevealRefusal, bool Crossed = false);

    /// <summary>Creates a room and joins it.</summary>
    /// <param name="RequestId">Echoed in the <see cref="Room"/> answer.</param>
    /// <param name="Name">The room's name: 1–64 UTF-8 bytes.</param>
    [Message(Code = 4)]
    public sealed partial record CreateRoom(uint RequestId, string Name);

    /// <summary>Joins an existing room.</summary>
    /// <param name="RequestId">Echoed in the <see cref="Room"/> answer.</param>
    /// <param name="Name">The room's name.</param>
    [Message(Code = 5)]
    public sealed partial record JoinRoom(uint RequestId, string Name);

    /// <summary>Leaves a room; the last member to leave ends it.</summary>
    /// <param name="RequestId">Echoed in the <see cref="Result"/> answer.</param>
    /// <param name="Name">The room's name.</param>
    [Message(Code = 6)]
    public sealed partial record LeaveRoom(uint RequestId, string Name);

    /// <summary>Asks for the names of the rooms that exist.</summary>
    /// <param name="RequestId">Echoed in the <see cref="Rooms"/> answer.</param>
    [Message(Code = 7)]
    public sealed partial record ListRooms(uint RequestId);

    /// <summary>The router's answer to <see cref="Open"/>.</summary>
    /// <param name="Status"><see cref="RouterStatus.Ok"/>, or why the session was refused.</param>
    /// <param name="Detail">A human-readable explanation.</param>
    /// <param name="ObservedAddress">The client's address as the router sees it (<c>udp://host:port</c>): its server-reflexive candidate.</param>
    [Message(Code = 8)]
    public sealed partial record Opened(RouterStatus Status, string Detail, string ObservedAddress);

    /// <summary>The router's answer to a request that has no richer answer, and every refusal.</summary>
    /// <param name="RequestId">The request's id.</param>
    /// <param name="Status">What happened.</param>
    /// <param name="Detail">A human-readable explanation.</param>
    [Message(Code = 9)]
    public sealed partial record Result(uint RequestId, RouterStatus Status, string Detail);

    /// <summary>The answer to <see cref="Who"/>: the nodes that are online.</summary>
    /// <param name="RequestId">The query's id.</param>
    /// <param name="NodeIds">The online node ids (32 bytes each).</param>
    [Message(Code = 10)]
    public sealed partial record Online(uint RequestId, byte[][] NodeIds);

    /// <summary>Tells a target that a node asks to connect; the target answers with <see cref="Answer"/>.</summary>
    /// <param name="RequestId">The router's id for this request.</param>
    /// <param name="From">The caller's node id, stamped by the router from the caller's session.</param>
    /// <param name="Room">The room the request is made for, or empty.</param>
    [Message(Code = 11)]
    public sealed partial record Incoming(uint RequestId, byte[] From, string Room);

    /// <summary>
    /// Sent to both sides of an accepted connect: the other node and its candidates (observed address first, then its
    /// local addresses). Both dial every candidate at once; the node's simultaneous-connect rule yields one session.
    /// </summary>
    /// <param name="RequestId">The caller's request id on the caller's side; 0 on the target's.</param>
    /// <param name="Peer">The other node's id.</param>
    /// <param name="Addresses">The other node's candidates (<c>udp://host:port</c>).</param>
    /// <param name="RelayChannel">This node's channel on the router's relay binding for the pair, or 0 when the router binds none (the caller asked for <see cref="RoutingMode.P2POnly"/>, a client is not on UDP, or the relay is full). The caller dials through it; the target opens it.</param>
    /// <param name="Mode">The caller's routing mode: the target probes a direct path with <see cref="RoutingMode.PreferP2P"/>, stays on the relay with <see cref="RoutingMode.ServerOnly"/>, and dials the candidates with <see cref="RoutingMode.P2POnly"/> (or when there is no channel).</param>
    [Message(Code = 12)]
    public sealed partial record Candidates(uint RequestId, byte[] Peer, string[] Addresses, uint RelayChannel, RoutingMode Mode);

    /// <summary>The answer to <see cref="CreateRoom"/> and <see cref="JoinRoom"/>.</summary>
    /// <param name="RequestId">The request's id.</param>
    /// <param name="Status"><see cref="RouterStatus.Ok"/> or why not.</param>
    /// <param name="Name">The room's name.</param>
    /// <param name="Members">The members' node ids, this client included.</param>
    [Message(Code = 13)]
    public sealed partial record Room(uint RequestId, RouterStatus Status, string Name, byte[][] Members);

    /// <summary>The answer to <see cref="ListRooms"/>.</summary>
    /// <param name="RequestId">The request's id.</param>
    /// <param name="Names">The rooms' names.</param>
    [Message(Code = 14)]
    public sealed partial record Rooms(uint RequestId, string[] Names);

    /// <summary>A membership event: a node joined or left a room this client is in.</summary>
    /// <param name="Name">The room's name.</param>
    /// <param name="Member">The node id.</param>
    /// <param name="Joined"><c>true</c> when it joined, <c>false</c> when it left (or its session ended).</param>
    [Message(Code = 15)]
    public sealed partial record RoomChanged(string Name, byte[] Member, bool Joined);
}
