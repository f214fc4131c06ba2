namespace PeerKit;

/// <summary>
/// The radio's dispatch switch, which the PeerKit generator implements for a <see cref="ProtocolAttribute">[Protocol]</see>
/// with a <see cref="ProtocolAttribute.Port"/> whose <see cref="HandlerAttribute">[Handler]</see> methods take a
/// <see cref="RadioSender"/> first. Bind it with <see cref="RadioNode.UseProtocol{TProtocol}(TProtocol)"/>.
/// </summary>
/// <example>
/// <code>
/// [Protocol("swarm", Port = 3)]
/// public sealed partial class SwarmProtocol
/// {
///     [Message(Code = 0, Reliability = Reliability.Unreliable)] public partial record struct Position(float X, float Y, float Z);
///
///     [Handler] void OnPosition(RadioSender from, Position p) => Console.WriteLine($"{from.Address} at {p.X}, rssi {from.Rssi}");
/// }
///
/// RadioProtocol swarm = node.UseProtocol(new SwarmProtocol());
/// </code>
/// </example>
public interface IRadioProtocolHandlers
{
    /// <summary>Decodes <paramref name="payload"/> as the message with <paramref name="code"/> and calls its radio handler.</summary>
    /// <param name="code">The message's code (the first data byte).</param>
    /// <param name="payload">The encoded message (the data bytes after the code).</param>
    /// <param name="sender">Who sent it, and its RSSI.</param>
    /// <returns><see langword="false"/> when no radio handler takes <paramref name="code"/>.</returns>
    /// <exception cref="MessageFormatException">The payload does not decode.</exception>
    bool DispatchRadio(int code, ReadOnlySpan<byte> payload, RadioSender sender);
}
