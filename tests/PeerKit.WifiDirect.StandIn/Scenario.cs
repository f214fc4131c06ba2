namespace PeerKit.WifiDirect.StandIn;

/// <summary>
/// A scripted supplicant. The file is read line by line; '#' starts a comment.
/// <code>
/// device 02:00:00:00:01:00 "Stand-in GO"        this device's P2P address and name (STATUS, GET device_name)
/// peer 02:00:00:00:02:00 10-0050F204-5 0x0 Bob   a row of the P2P_PEER table (address, type, group_capab, name)
/// on P2P_CONNECT [once]                          a rule for commands starting with this text (IFNAME= stripped)
///   reply OK                                     the reply (\n for new lines); no reply line: "OK"
///   silent                                       no reply at all
///   emit &lt;3&gt;P2P-GO-NEG-SUCCESS role=GO ...   an event to every attached client
///   sleep 50                                     milliseconds
///   exit                                         remove the socket and quit (the supplicant going away)
/// attach                                         actions run after the first ATTACH
/// start                                          actions run once the socket is bound (after the ready file)
/// </code>
/// Built in, unless a rule says otherwise: PING → PONG, ATTACH/DETACH → OK, STATUS, GET device_name,
/// P2P_PEER FIRST/NEXT-/&lt;addr&gt; from the table; anything else → UNKNOWN COMMAND.
/// </summary>
internal sealed class Scenario
{
    public string DeviceAddress { get; private set; } = "02:00:00:00:00:01";

    public string DeviceName { get; private set; } = "stand-in";

    public List<Peer> Peers { get; } = [];

    public List<Rule> Rules { get; } = [];

    public List<string> OnAttach { get; } = [];

    public List<string> OnStart { get; } = [];

    public sealed record Peer(string Address, string Type, string GroupCapab, string Name);

    public sealed class Rule
    {
        public required string Prefix { get; init; }

        public bool Once { get; init; }

        public bool Used { get; set; }

        public List<string> Actions { get; } = [];
    }

    public static Scenario Parse(IEnumerable<string> lines)
    {
        var s = new Scenario();
        List<string>? block = null;
        int number = 0;
        foreach (string raw in lines)
        {
            number++;
            string line = raw.TrimEnd();
            if (line.TrimStart().StartsWith('#') || line.Trim().Length == 0)
            {
                continue;
            }

            bool indented = char.IsWhiteSpace(line[0]);
            line = line.Trim();
            if (indented)
            {
                if (block is null)
                {
                    throw new FormatException($"line {number}: an action outside 'on', 'attach' or 'start'");
                }

                block.Add(line);
                continue;
            }

            string[] words = line.Split(' ', 2);
            switch (words[0])
            {
                case "device":
                {
                    string[] parts = words[1].Split(' ', 2);
                    s.DeviceAddress = parts[0];
                    s.DeviceName = parts.Length > 1 ? parts[1].Trim('"') : "";
                    block = null;
                    break;
                }

                case "peer":
                {
                    string[] parts = words[1].Split(' ', 4);
                    s.Peers.Add(new Peer(parts[0], parts[1], parts[2], parts.Length > 3 ? parts[3] : ""));
                    block = null;
                    break;
                }

                case "on":
                {
                    string rest = words[1];
                    bool once = rest.EndsWith(" once", StringComparison.Ordinal);
                    var rule = new Rule { Prefix = once ? rest[..^5] : rest, Once = once };
                    s.Rules.Add(rule);
                    block = rule.Actions;
                    break;
                }

                case "attach":
                    block = s.OnAttach;
                    break;

                case "start":
                    block = s.OnStart;
                    break;

                default:
                    throw new FormatException($"line {number}: unknown '{words[0]}'");
            }
        }

        return s;
    }

    public Rule? Match(string command)
    {
        foreach (Rule r in Rules)
        {
            if ((r.Once && r.Used) || !command.StartsWith(r.Prefix, StringComparison.Ordinal))
            {
                continue;
            }

            r.Used = true;
            return r;
        }

        return null;
    }
}
