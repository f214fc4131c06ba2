namespace PeerKit.Routing;

/// <summary>What a room operation did: its status, the members after it, and whether membership changed (so the others hear of it).</summary>
/// <param name="Status"><see cref="RouterStatus.Ok"/> or why not.</param>
/// <param name="Name">The room.</param>
/// <param name="Members">The members after the change (for a leave, those who remain).</param>
/// <param name="Changed">Whether the member joined or left (false for a join of a room it was in already).</param>
internal readonly record struct RoomChange(RouterStatus Status, string Name, NodeId[] Members, bool Changed);
