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

/// <summary>A broadcast radio protocol whose generated dispatch calls its [Handler]s with the sender.</summary>
[Protocol("swarmhandlers", Port = 5)]
[ProtocolMessage(typeof(RadioTestProtocol.Position))]
public sealed partial class RadioHandlersProtocol
{
    [Message(Code = 1, Reliability = Reliability.Unreliable)]
    public partial record Name([MaxLength(20)] string Text);

    public TaskCompletionSource<(RadioSender, RadioTestProtocol.Position)> Positions { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource<(RadioSender, Name)> Names { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    [Handler]
    private void OnPosition(RadioSender from, RadioTestProtocol.Position position) => Positions.TrySetResult((from, position));

    [Handler]
    private void OnName(RadioSender from, in Name name) => Names.TrySetResult((from, name));
}
