namespace PeerKit.Routing;

/// <summary>
/// The router's rooms: names, members, and the limits on both. Pure state (no I/O, no locking: the router holds its
/// lock around every call); each change returns the members to tell.
/// </summary>
internal sealed class RoomDirectory
{
    private readonly Dictionary<string, List<NodeId>> _rooms = new(StringComparer.Ordinal);
    private readonly Dictionary<NodeId, List<string>> _roomsOf = [];
    private readonly int _maxRooms;
    private readonly int _maxMembers;
    private readonly int _maxRoomsPerNode;

    public RoomDirectory(int maxRooms, int maxMembers, int maxRoomsPerNode)
    {
        _maxRooms = maxRooms;
        _maxMembers = maxMembers;
        _maxRoomsPerNode = maxRoomsPerNode;
    }

    public int Count => _rooms.Count;

    /// <summary>Whether <paramref name="name"/> is a valid room name: 1 to <see cref="RouterProtocol.MaxRoomNameLength"/> UTF-8 bytes, no control characters.</summary>
    public static bool IsValidName(string name) =>
        name.Length > 0 && System.Text.Encoding.UTF8.GetByteCount(name) <= RouterProtocol.MaxRoomNameLength && !name.Any(char.IsControl);

    /// <summary>Creates a room with <paramref name="creator"/> as its first member.</summary>
    public RouterStatus Create(string name, NodeId creator)
    {
        if (!IsValidName(name))
        {
            return RouterStatus.Malformed;
        }

        if (_rooms.ContainsKey(name))
        {
            return RouterStatus.RoomExists;
        }

        if (_rooms.Count >= _maxRooms || RoomsOf(creator).Count >= _maxRoomsPerNode)
        {
            return RouterStatus.Busy;
        }

        _rooms.Add(name, [creator]);
        AddRoomOf(creator, name);
        return RouterStatus.Ok;
    }

    /// <summary>Adds <paramref name="member"/> to a room; joining a room one is in already is <see cref="RouterStatus.Ok"/>.</summary>
    public RouterStatus Join(string name, NodeId member, out bool added)
    {
        added = false;
        if (!IsValidName(name))
        {
            return RouterStatus.Malformed;
        }

        if (!_rooms.TryGetValue(name, out List<NodeId>? members))
        {
            return RouterStatus.NoSuchRoom;
        }

        if (members.Contains(member))
        {
            return RouterStatus.Ok;
        }

        if (members.Count >= _maxMembers)
        {
            return RouterStatus.RoomFull;
        }

        if (RoomsOf(member).Count >= _maxRoomsPerNode)
        {
            return RouterStatus.Busy;
        }

        members.Add(member);
        AddRoomOf(member, name);
        added = true;
        return RouterStatus.Ok;
    }

    /// <summary>Removes <paramref name="member"/> from a room; the room ends with its last member.</summary>
    public RouterStatus Leave(string name, NodeId member)
    {
        if (!_rooms.TryGetValue(name, out List<NodeId>? members) || !members.Remove(member))
        {
            return RouterStatus.NotInRoom;
        }

        if (members.Count == 0)
        {
            _rooms.Remove(name);
        }

        if (_roomsOf.TryGetValue(member, out List<string>? rooms))
        {
            rooms.Remove(name);
            if (rooms.Count == 0)
            {
                _roomsOf.Remove(member);
            }
        }

        return RouterStatus.Ok;
    }

    /// <summary>Removes a node from every room it is in (its session ended); returns those rooms.</summary>
    public string[] LeaveAll(NodeId member)
    {
        string[] rooms = [.. RoomsOf(member)];
        foreach (string name in rooms)
        {
            Leave(name, member);
        }

        return rooms;
    }

    /// <summary>The members of a room (empty when there is no such room).</summary>
    public NodeId[] Members(string name) => _rooms.TryGetValue(name, out List<NodeId>? members) ? [.. members] : [];

    /// <summary>The names of every room, in ordinal order.</summary>
    public string[] Names(int max) => [.. _rooms.Keys.Order(StringComparer.Ordinal).Take(max)];

    /// <summary>Whether <paramref name="member"/> is in room <paramref name="name"/>.</summary>
    public bool IsMember(string name, NodeId member) => _rooms.TryGetValue(name, out List<NodeId>? members) && members.Contains(member);

    private IReadOnlyList<string> RoomsOf(NodeId member) => _roomsOf.TryGetValue(member, out List<string>? rooms) ? rooms : [];

    private void AddRoomOf(NodeId member, string name)
    {
        if (!_roomsOf.TryGetValue(member, out List<string>? rooms))
        {
            rooms = [];
            _roomsOf.Add(member, rooms);
        }

        rooms.Add(name);
    }
}
