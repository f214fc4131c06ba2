namespace PeerKit.Routing;

/// <summary>A membership change in a room the client is in.</summary>
/// <param name="Room">The room's name.</param>
/// <param name="Member">The node that joined or left.</param>
/// <param name="Joined"><c>true</c> when it joined, <c>false</c> when it left or its router session ended.</param>
public sealed record RoomEvent(string Room, NodeId Member, bool Joined);
