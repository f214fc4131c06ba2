namespace PeerKit.Tests.Radios;

[Protocol("swarmtest", Port = 3, Acknowledged = true)]
public sealed partial class RadioTestProtocol
{
    [Message(Code = 0, Reliability = Reliability.Unreliable)]
    public partial record struct Position(float X, float Y, float Z);

    [Message(Code = 1)]
    public partial record Hello([MaxLength(53)] string Name);
}

/// <summary>Eight doubles: a bound of 72 bytes, more than a radio message holds.</summary>
[Message(Code = 0, Reliability = Reliability.Unreliable)]
public partial record struct RadioBigMessage(double A, double B, double C, double D, double E, double F, double G, double H);

/// <summary>An unbounded message outside any [Protocol], so only the run-time checks see it.</summary>
[Message(Code = 1)]
public partial record RadioUnboundedMessage(string Text);
