using System.Collections.Frozen;

namespace PeerKit;

/// <summary>
/// What a protocol is, independent of any peer: go-ethereum's <c>p2p.Protocol{Name, Version, Length}</c> plus the
/// message table. The generator emits one per <see cref="ProtocolAttribute">[Protocol]</see> class
/// (<c>MyProtocol.Descriptor</c>); a protocol written by hand constructs its own.
/// </summary>
public sealed class ProtocolDescriptor
{
    /// <summary>The largest <see cref="Length"/> a protocol may reserve.</summary>
    public const int MaxLength = 1 << 16;

    private readonly ProtocolMessageInfo?[] _byCode;
    private readonly FrozenDictionary<Type, ProtocolMessageInfo> _byType;

    /// <summary>Creates a descriptor and checks it.</summary>
    /// <param name="name">The capability name: 1 to 32 ASCII letters, digits, <c>-</c>, <c>_</c> or <c>.</c>.</param>
    /// <param name="version">The version, at least 1.</param>
    /// <param name="length">The number of codes reserved: 0 to compute it (highest code + 1); otherwise at least that.</param>
    /// <param name="port">The port (0–15) on sessionless links, or -1.</param>
    /// <param name="messages">The message table; codes must be distinct.</param>
    /// <param name="schema">The protocol's proto3 schema, when the generator emitted one.</param>
    /// <exception cref="ArgumentException">One of the values breaks the rules above.</exception>
    public ProtocolDescriptor(string name, int version, int length, int port, IReadOnlyList<ProtocolMessageInfo> messages, string? schema = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(messages);
        if (!IsValidName(name))
        {
            throw new ArgumentException($"Protocol name \"{name}\" must be 1 to 32 ASCII letters, digits, '-', '_' or '.'.", nameof(name));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
        if (port is < -1 or > 15)
        {
            throw new ArgumentOutOfRangeException(nameof(port), port, "A port is 0 to 15, or -1 for none.");
        }

        int required = 0;
        foreach (ProtocolMessageInfo message in messages)
        {
            ArgumentNullException.ThrowIfNull(message, nameof(messages));
            required = Math.Max(required, message.Code + 1);
        }

        if (length == 0)
        {
            length = required;
        }
        else if (length < required)
        {
            throw new ArgumentException($"Protocol {name}/{version} declares Length {length}, but its highest code needs {required}.", nameof(length));
        }

        if (length > MaxLength)
        {
            throw new ArgumentException($"Protocol {name}/{version} needs {length} codes; at most {MaxLength} are allowed.", nameof(length));
        }

        _byCode = new ProtocolMessageInfo?[length];
        var byType = new Dictionary<Type, ProtocolMessageInfo>();
        foreach (ProtocolMessageInfo message in messages)
        {
            if (_byCode[message.Code] is { } other)
            {
                throw new ArgumentException($"Protocol {name}/{version} uses code {message.Code} for both {other.MessageType} and {message.MessageType}.", nameof(messages));
            }

            _byCode[message.Code] = message;
            if (!byType.TryAdd(message.MessageType, message))
            {
                throw new ArgumentException($"Protocol {name}/{version} lists {message.MessageType} twice.", nameof(messages));
            }
        }

        Name = name;
        Version = version;
        Length = length;
        Port = port;
        Messages = messages.ToArray();
        Schema = schema;
        _byType = byType.ToFrozenDictionary();
    }

    /// <summary>The capability name.</summary>
    public string Name { get; }

    /// <summary>The version.</summary>
    public int Version { get; }

    /// <summary>The number of codes the protocol occupies in a session (highest code + 1 unless declared larger).</summary>
    public int Length { get; }

    /// <summary>The port on sessionless links (0–15), or -1.</summary>
    public int Port { get; }

    /// <summary>
    /// Whether the protocol uses the radio's acknowledged layer (<see cref="ProtocolAttribute.Acknowledged"/>): its
    /// messages may be sent to one node, and may be reliable. Meaningful only with a <see cref="Port"/>.
    /// </summary>
    public bool Acknowledged { get; init; }

    /// <summary>The message table, in the order given (generated descriptors list the messages by code).</summary>
    public IReadOnlyList<ProtocolMessageInfo> Messages { get; }

    /// <summary>The proto3 schema of the protocol's messages, as the generator emitted it (<c>null</c> for hand-written descriptors).</summary>
    public string? Schema { get; }

    /// <summary>The name and version as a <see cref="PeerKit.Capability"/>.</summary>
    public Capability Capability => new(Name, Version);

    /// <summary>The message with relative code <paramref name="code"/>, if the protocol has one.</summary>
    public bool TryGetMessage(int code, out ProtocolMessageInfo message)
    {
        if ((uint)code < (uint)_byCode.Length && _byCode[code] is { } found)
        {
            message = found;
            return true;
        }

        message = null!;
        return false;
    }

    /// <summary>The entry for a message type, if the protocol carries it.</summary>
    public bool TryGetMessage(Type messageType, out ProtocolMessageInfo message) => _byType.TryGetValue(messageType, out message!);

    /// <inheritdoc/>
    public override string ToString() => $"{Name}/{Version}";

    internal static bool IsValidName(string name)
    {
        if (name.Length is 0 or > 32)
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                return false;
            }
        }

        return true;
    }
}
