using PeerKit;

namespace Swarm;

/// <summary>The swarm's typed messages: they travel as [code][payload] in P2P packets on port 3.</summary>
[Protocol("swarm", Port = 3, Acknowledged = true)]
public sealed partial class SwarmProtocol
{
    /// <summary>Where a drone is: broadcast, unacknowledged, several times a second.</summary>
    [Message(Code = 0, Reliability = Reliability.Unreliable)]
    public partial record struct Position(float X, float Y, float Z);

    /// <summary>A greeting to one drone: acknowledged (it goes through the unicast layer), so at most 53 UTF-8 bytes of text fit.</summary>
    [Message(Code = 1)]
    public partial record Greeting([MaxLength(53)] string Text);
}
