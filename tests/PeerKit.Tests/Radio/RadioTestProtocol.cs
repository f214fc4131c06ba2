namespace PeerKit.Tests.Radios;

[Protocol("swarmtest", Port = 3)]
public sealed partial class RadioTestProtocol
{
    [Message(Code = 0, Reliability = Reliability.Unreliable)]
    public partial record struct Position(float X, float Y, float Z);

    [Message(Code = 1)]
    public partial record Hello(string Name);
}
