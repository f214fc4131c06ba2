namespace PeerKit.Routing;

/// <summary>
/// The Lua scripts that change the directory and the rooms atomically in Redis (each runs alone on the server). They
/// touch keys built from the prefix (ARGV) beside those in KEYS, which a single Redis allows; a Redis Cluster would need
/// the room and its members' keys in one hash slot (docs/router.md, "Past one Redis").
/// </summary>
internal static class RedisScripts
{
    /// <summary>
    /// Refreshes session keys: one of this router is given a new time to live, one missing (expired, or Redis restarted
    /// empty) is set again to this router, one another router holds now is left alone. KEYS: session keys; ARGV: router
    /// id, ttl ms. Returns how many were set again.
    /// </summary>
    public const string Refresh = """
        local n = 0
        for _, k in ipairs(KEYS) do
          local v = redis.call('GET', k)
          if not v then
            redis.call('SET', k, ARGV[1], 'PX', ARGV[2])
            n = n + 1
          elseif v == ARGV[1] then
            redis.call('PEXPIRE', k, ARGV[2])
          end
        end
        return n
        """;

    /// <summary>
    /// Creates or joins a room. Members whose session key is gone (their router crashed and they never came back) are
    /// dropped first, and a room left with none is no room: its name is free again and leaves the list of rooms (else a
    /// crashed router's rooms would keep their names, and count against the cluster's room limit, for ever). KEYS: room, rooms, member's noderooms; ARGV: member hex, create (1/0), max rooms, max members, max
    /// rooms per node, room name, prefix. Returns {status, added, members…}.
    /// </summary>
    public const string Enter = """
        for _, m in ipairs(redis.call('SMEMBERS', KEYS[1])) do
          if m ~= ARGV[1] and redis.call('EXISTS', ARGV[7] .. 'session:' .. m) == 0 then
            redis.call('SREM', KEYS[1], m)
            redis.call('SREM', ARGV[7] .. 'noderooms:' .. m, ARGV[6])
          end
        end
        local exists = redis.call('EXISTS', KEYS[1]) == 1
        if not exists then redis.call('SREM', KEYS[2], ARGV[6]) end
        if ARGV[2] == '1' then
          if exists then return {9, 0} end
          if redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[3]) then return {13, 0} end
        elseif not exists then
          return {10, 0}
        end
        local added = 0
        if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 then
          if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[4]) then return {11, 0} end
          if redis.call('SCARD', KEYS[3]) >= tonumber(ARGV[5]) then return {13, 0} end
          redis.call('SADD', KEYS[1], ARGV[1])
          redis.call('SADD', KEYS[2], ARGV[6])
          redis.call('SADD', KEYS[3], ARGV[6])
          added = 1
        end
        local r = {0, added}
        for _, m in ipairs(redis.call('SMEMBERS', KEYS[1])) do table.insert(r, m) end
        return r
        """;

    /// <summary>Leaves a room. KEYS: room, rooms, member's noderooms; ARGV: member hex, room name. Returns {status, changed, remaining members…}.</summary>
    public const string Leave = """
        if redis.call('SREM', KEYS[1], ARGV[1]) == 0 then return {12, 0} end
        redis.call('SREM', KEYS[3], ARGV[2])
        if redis.call('SCARD', KEYS[1]) == 0 then redis.call('SREM', KEYS[2], ARGV[2]) end
        local r = {0, 1}
        for _, m in ipairs(redis.call('SMEMBERS', KEYS[1])) do table.insert(r, m) end
        return r
        """;

    /// <summary>
    /// Ends a node's session on this router: unless another router holds the node now, its key goes and it leaves
    /// every room. KEYS: session key, noderooms; ARGV: router id, member hex, prefix. Returns {{room, remaining members…}…}.
    /// </summary>
    public const string End = """
        local v = redis.call('GET', KEYS[1])
        if v and v ~= ARGV[1] then return {} end
        redis.call('DEL', KEYS[1])
        local r = {}
        for _, name in ipairs(redis.call('SMEMBERS', KEYS[2])) do
          local rk = ARGV[3] .. 'room:' .. name
          redis.call('SREM', rk, ARGV[2])
          if redis.call('SCARD', rk) == 0 then redis.call('SREM', ARGV[3] .. 'rooms', name) end
          local entry = {name}
          for _, m in ipairs(redis.call('SMEMBERS', rk)) do table.insert(entry, m) end
          table.insert(r, entry)
        end
        redis.call('DEL', KEYS[2])
        return r
        """;

    /// <summary>Registers a node's rooms again (after Redis lost them), without limits: it was a member before. KEYS: noderooms, rooms; ARGV: member hex, prefix, room names….</summary>
    public const string Rejoin = """
        for i = 3, #ARGV do
          redis.call('SADD', ARGV[2] .. 'room:' .. ARGV[i], ARGV[1])
          redis.call('SADD', KEYS[2], ARGV[i])
          redis.call('SADD', KEYS[1], ARGV[i])
        end
        return #ARGV - 2
        """;
}
