namespace PeerKit;

/// <summary>
/// A protocol bound to its port on a <see cref="RadioNode"/>: each message travels as <c>[code][payload]</c> in the
/// P2P data bytes (so raw Crazyflie packets and typed PeerKit messages share the air), and arrives at the handler
/// registered for its type, with the sender's address and RSSI.
/// </summary>
/// <example>
/// <code>
/// [Protocol("swarm", Port = 3)]   // broadcast only: every message Unreliable and at most 59 bytes (PK0027, PK0028)
/// public sealed partial class SwarmProtocol
/// {
///     [Message(Code = 0, Reliability = Reliability.Unreliable)] public partial record struct Position(float X, float Y, float Z);
/// }
///
/// RadioProtocol swarm = node.UseProtocol(SwarmProtocol.Descriptor);
/// swarm.On&lt;SwarmProtocol.Position&gt;((from, p) => Console.WriteLine($"{from.Address} at {p.X}, rssi {from.Rssi}"));
/// swarm.Broadcast(new SwarmProtocol.Position(1, 2, 3));
/// </code>
/// </example>
public sealed class RadioProtocol
{
    /// <summary>Most payload bytes of a broadcast message: 60 data bytes minus the code.</summary>
    public const int MaxBroadcastPayloadSize = RadioNode.P2PMaxDataSize - 1;

    /// <summary>Most payload bytes of an addressed message: 56 data bytes minus the code.</summary>
    public const int MaxAddressedPayloadSize = RadioNode.AddressedMaxDataSize - 1;

    private readonly RadioNode _node;
    private readonly Handler?[] _handlers;
    private readonly IRadioProtocolHandlers? _generated;
    private long _unknownCodes;
    private long _unhandled;
    private long _malformed;
    private long _handlerFailures;

    internal RadioProtocol(RadioNode node, ProtocolDescriptor descriptor, int unicastPort, IRadioProtocolHandlers? generated = null)
    {
        if (descriptor.Port < 0)
        {
            throw new ArgumentException($"Protocol {descriptor} has no port: declare one with [Protocol(\"{descriptor.Name}\", Port = n)], n from 0 to 15.", nameof(descriptor));
        }

        if (descriptor.Port == unicastPort)
        {
            throw new ArgumentException($"Protocol {descriptor} uses port {descriptor.Port}, which carries the unicast layer: pick another port.", nameof(descriptor));
        }

        if (descriptor.Length > 256)
        {
            throw new ArgumentException($"Protocol {descriptor} has {descriptor.Length} codes; a radio message code is one byte (at most 256).", nameof(descriptor));
        }

        if (descriptor.Acknowledged && unicastPort < 0)
        {
            throw new RadioException(RadioError.Unsupported,
                $"Protocol {descriptor} is Acknowledged, but this node's acknowledged layer is off (RadioNodeOptions.UnicastPort = -1): turn the unicast layer on.");
        }

        int limit = descriptor.Acknowledged ? MaxAddressedPayloadSize : MaxBroadcastPayloadSize;
        foreach (ProtocolMessageInfo message in descriptor.Messages)
        {
            if (!descriptor.Acknowledged && message.Reliability is Reliability.ReliableOrdered or Reliability.ReliableUnordered)
            {
                throw new RadioException(RadioError.Unsupported,
                    $"{message.MessageType.Name} of protocol {descriptor} is {message.Reliability}, but the protocol is not Acknowledged and a broadcast is never acknowledged: declare it Reliability = Reliability.Unreliable, or the protocol [Protocol(..., Acknowledged = true)] (PK0028).");
            }

            if (message.MaxSize > limit)
            {
                throw new RadioException(RadioError.TooLarge,
                    $"{message.MessageType.Name} of protocol {descriptor} can take {message.MaxSize} bytes; {(descriptor.Acknowledged ? "an addressed" : "a broadcast")} radio message holds at most {limit} (PK0027).");
            }
        }

        _node = node;
        _generated = generated;
        Descriptor = descriptor;
        _handlers = new Handler?[descriptor.Length];
    }

    /// <summary>The protocol.</summary>
    public ProtocolDescriptor Descriptor { get; }

    /// <summary>The P2P port it uses.</summary>
    public int Port => Descriptor.Port;

    /// <summary>Received codes that are not part of the protocol.</summary>
    public long UnknownCodes => Interlocked.Read(ref _unknownCodes);

    /// <summary>Received messages of the protocol that no handler takes.</summary>
    public long Unhandled => Interlocked.Read(ref _unhandled);

    /// <summary>Received messages whose payload did not decode (or packets with no code byte).</summary>
    public long MalformedMessages => Interlocked.Read(ref _malformed);

    /// <summary>Handler calls that threw.</summary>
    public long HandlerFailures => Interlocked.Read(ref _handlerFailures);

    /// <summary>Registers the handler of <typeparamref name="T"/>, replacing the previous one.</summary>
    /// <exception cref="ArgumentException"><typeparamref name="T"/> is not part of the protocol.</exception>
    public void On<T>(RadioMessageHandler<T> handler) where T : IMessage<T>
    {
        ArgumentNullException.ThrowIfNull(handler);
        ProtocolMessageInfo info = Find<T>();
        Volatile.Write(ref _handlers[info.Code], new Handler<T>(handler));
    }

    /// <summary>Broadcasts <paramref name="message"/> to every node in range, once, unacknowledged.</summary>
    /// <exception cref="ArgumentException"><typeparamref name="T"/> is not part of the protocol.</exception>
    /// <exception cref="RadioException">
    /// <see cref="RadioError.TooLarge"/> when it encodes to more than <see cref="MaxBroadcastPayloadSize"/> bytes;
    /// <see cref="RadioError.Unsupported"/> when <typeparamref name="T"/> is reliable (a broadcast is never acknowledged:
    /// declare it <see cref="Reliability.Unreliable"/>, or use <see cref="SendAsync{T}"/>).
    /// </exception>
    public void Broadcast<T>(in T message) where T : IMessage<T>
    {
        ProtocolMessageInfo info = Find<T>();
        if (T.Reliability is Reliability.ReliableOrdered or Reliability.ReliableUnordered)
        {
            throw new RadioException(RadioError.Unsupported,
                $"{typeof(T).Name} is {T.Reliability}, but a radio broadcast is never acknowledged: declare it Reliability = Reliability.Unreliable, or send it to one node with SendAsync (acknowledged).");
        }

        Span<byte> data = stackalloc byte[RadioNode.P2PMaxDataSize];
        int length = Encode(in message, info.Code, data, MaxBroadcastPayloadSize);
        _node.SendRaw(Port, data[..length]);
    }

    /// <summary>Sends <paramref name="message"/> to one node through the acknowledged unicast layer.</summary>
    /// <exception cref="RadioException">
    /// <see cref="RadioError.Unsupported"/> when the protocol is not <see cref="ProtocolDescriptor.Acknowledged"/>
    /// (declare <c>[Protocol(..., Acknowledged = true)]</c>); <see cref="RadioError.TooLarge"/> above
    /// <see cref="MaxAddressedPayloadSize"/> bytes; <see cref="RadioError.NotAcknowledged"/>.
    /// </exception>
    public Task SendAsync<T>(byte node, T message, CancellationToken cancellationToken = default) where T : IMessage<T>
    {
        ProtocolMessageInfo info = Find<T>();
        if (!Descriptor.Acknowledged)
        {
            throw new RadioException(RadioError.Unsupported,
                $"Protocol {Descriptor} is not Acknowledged, so its messages are only broadcast: declare [Protocol(\"{Descriptor.Name}\", Port = {Port}, Acknowledged = true)] to send to one node.");
        }

        byte[] data = new byte[RadioNode.AddressedMaxDataSize];
        int length = Encode(in message, info.Code, data, MaxAddressedPayloadSize);
        return _node.SendAsync(node, Port, data.AsMemory(0, length), cancellationToken);
    }

    internal void Dispatch(in P2PPacket packet)
    {
        ReadOnlySpan<byte> data = packet.Data;
        if (data.IsEmpty)
        {
            Interlocked.Increment(ref _malformed);
            return;
        }

        int code = data[0];
        if (!Descriptor.TryGetMessage(code, out _))
        {
            Interlocked.Increment(ref _unknownCodes);
            return;
        }

        Handler? handler = Volatile.Read(ref _handlers[code]);
        if (handler is null && _generated is null)
        {
            Interlocked.Increment(ref _unhandled);
            return;
        }

        try
        {
            var sender = new RadioSender(packet.Sender, packet.RssiDbm, packet.IsAddressed);
            if (handler is not null)
            {
                handler.Invoke(data[1..], sender);
            }
            else if (!_generated!.DispatchRadio(code, data[1..], sender))
            {
                Interlocked.Increment(ref _unhandled);
            }
        }
        catch (MessageFormatException)
        {
            Interlocked.Increment(ref _malformed);
        }
        catch (Exception)
        {
            Interlocked.Increment(ref _handlerFailures);
        }
    }

    private static int Encode<T>(in T message, int code, Span<byte> data, int maxPayload) where T : IMessage<T>
    {
        int size = MessageSerializer.GetSize(in message);
        if (size > maxPayload)
        {
            throw new RadioException(RadioError.TooLarge,
                $"This {typeof(T).Name} encodes to {size} bytes; a radio message holds at most {maxPayload} (bound its strings and bytes, or split it).");
        }

        data[0] = (byte)code;
        return 1 + MessageSerializer.Write(in message, data[1..]);
    }

    private ProtocolMessageInfo Find<T>() where T : IMessage<T>
    {
        if (!Descriptor.TryGetMessage(typeof(T), out ProtocolMessageInfo info))
        {
            throw new ArgumentException($"{typeof(T).Name} is not a message of protocol {Descriptor}.", nameof(T));
        }

        return info;
    }

    private abstract class Handler
    {
        public abstract void Invoke(ReadOnlySpan<byte> payload, RadioSender sender);
    }

    private sealed class Handler<T>(RadioMessageHandler<T> handler) : Handler where T : IMessage<T>
    {
        public override void Invoke(ReadOnlySpan<byte> payload, RadioSender sender) =>
            handler(sender, MessageSerializer.Read<T>(payload));
    }
}
