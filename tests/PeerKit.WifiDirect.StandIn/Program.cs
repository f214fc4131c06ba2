// A stand-in wpa_supplicant for PeerKit's Wi-Fi Direct tests and sample: it binds a Unix datagram socket, answers
// commands, and sends events to attached clients, exactly as wpa_supplicant's control interface does, following a
// scenario file (Scenario.cs).
//
//   PeerKit.WifiDirect.StandIn --socket <path> --scenario <file> [--log <file>] [--ready <file>]
//
// --log appends every command received, one a line; --ready is written once the socket is bound.
using System.Net.Sockets;
using System.Text;
using PeerKit.WifiDirect.StandIn;

string? socketPath = null, scenarioPath = null, logPath = null, readyPath = null;
for (int i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--socket": socketPath = args[i + 1]; break;
        case "--scenario": scenarioPath = args[i + 1]; break;
        case "--log": logPath = args[i + 1]; break;
        case "--ready": readyPath = args[i + 1]; break;
        default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
    }
}

if (socketPath is null || scenarioPath is null)
{
    Console.Error.WriteLine("usage: --socket <path> --scenario <file> [--log <file>] [--ready <file>]");
    return 2;
}

Scenario scenario = Scenario.Parse(File.ReadAllLines(scenarioPath));
var supplicant = new StandInSupplicant(scenario, socketPath, logPath);
AppDomain.CurrentDomain.ProcessExit += (_, _) => supplicant.Remove();
supplicant.Bind();
if (readyPath is not null)
{
    File.WriteAllText(readyPath, Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
}

return supplicant.Run();

namespace PeerKit.WifiDirect.StandIn
{
    /// <summary>The control socket loop.</summary>
    internal sealed class StandInSupplicant(Scenario scenario, string path, string? logPath)
    {
        private readonly List<UnixDomainSocketEndPoint> _attached = [];
        private Socket? _socket;
        private bool _attachedOnce;

        public void Bind()
        {
            if (File.Exists(path))
            {
                File.Delete(path);
            }

            _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            _socket.Bind(new UnixDomainSocketEndPoint(path));
        }

        public void Remove()
        {
            try
            {
                File.Delete(path);
            }
            catch (IOException)
            {
            }
        }

        public int Run()
        {
            Socket socket = _socket!;
            if (Perform(scenario.OnStart, null))
            {
                return 0;
            }

            byte[] buffer = new byte[4096];
            while (true)
            {
                System.Net.EndPoint from = new UnixDomainSocketEndPoint("/");
                int n = socket.ReceiveFrom(buffer, ref from);
                var client = (UnixDomainSocketEndPoint)from;
                string command = Encoding.UTF8.GetString(buffer, 0, n);
                if (logPath is not null)
                {
                    File.AppendAllText(logPath, command.Replace("\n", "\\n", StringComparison.Ordinal) + "\n");
                }

                string bare = command.StartsWith("IFNAME=", StringComparison.Ordinal) && command.Contains(' ')
                    ? command[(command.IndexOf(' ') + 1)..]
                    : command;
                bool attach = bare == "ATTACH";
                if (attach && !_attached.Any(a => a.ToString() == client.ToString()))
                {
                    _attached.Add(client);
                }
                else if (bare == "DETACH")
                {
                    _attached.RemoveAll(a => a.ToString() == client.ToString());
                }

                Scenario.Rule? rule = scenario.Match(bare);
                if (rule is null)
                {
                    Send(client, Builtin(bare));
                }
                else
                {
                    if (!rule.Actions.Any(a => a.StartsWith("reply", StringComparison.Ordinal) || a == "silent" || a == "exit"))
                    {
                        Send(client, "OK\n");
                    }

                    if (Perform(rule.Actions, client))
                    {
                        return 0;
                    }
                }

                if (attach && !_attachedOnce)
                {
                    _attachedOnce = true;
                    if (Perform(scenario.OnAttach, null))
                    {
                        return 0;
                    }
                }
            }
        }

        /// <summary>Runs actions; true when one of them was 'exit'.</summary>
        private bool Perform(List<string> actions, UnixDomainSocketEndPoint? client)
        {
            foreach (string action in actions)
            {
                string[] words = action.Split(' ', 2);
                string arg = words.Length > 1 ? words[1] : "";
                switch (words[0])
                {
                    case "reply" when client is not null:
                        Send(client, Unescape(arg) + (arg.EndsWith("\\n", StringComparison.Ordinal) ? "" : "\n"));
                        break;
                    case "silent":
                        break;
                    case "emit":
                        foreach (UnixDomainSocketEndPoint a in _attached.ToArray())
                        {
                            Send(a, Unescape(arg));
                        }

                        break;
                    case "sleep":
                        Thread.Sleep(int.Parse(arg, System.Globalization.CultureInfo.InvariantCulture));
                        break;
                    case "exit":
                        _socket!.Dispose();
                        Remove();
                        return true;
                    default:
                        throw new FormatException($"unknown action '{action}'");
                }
            }

            return false;
        }

        private string Builtin(string command)
        {
            switch (command)
            {
                case "PING": return "PONG\n";
                case "ATTACH": return "OK\n";
                case "DETACH": return "OK\n";
                case "STATUS": return $"wpa_state=DISCONNECTED\np2p_device_address={scenario.DeviceAddress}\naddress={scenario.DeviceAddress}\nuuid=00000000-0000-0000-0000-000000000000\n";
                case "GET device_name": return scenario.DeviceName + "\n";
                case "P2P_PEER FIRST": return PeerReply(0);
            }

            if (command.StartsWith("P2P_PEER NEXT-", StringComparison.Ordinal))
            {
                int i = scenario.Peers.FindIndex(p => p.Address == command[14..]);
                return i < 0 ? "FAIL\n" : PeerReply(i + 1);
            }

            if (command.StartsWith("P2P_PEER ", StringComparison.Ordinal))
            {
                return PeerReply(scenario.Peers.FindIndex(p => p.Address == command[9..]));
            }

            return "UNKNOWN COMMAND\n";
        }

        // The reply of wpa_supplicant's p2p_ctrl_peer, field for field.
        private string PeerReply(int index)
        {
            if (index < 0 || index >= scenario.Peers.Count)
            {
                return "FAIL\n";
            }

            Scenario.Peer p = scenario.Peers[index];
            return $"{p.Address}\npri_dev_type={p.Type}\ndevice_name={p.Name}\nmanufacturer=\nmodel_name=\nmodel_number=\n"
                + $"serial_number=\nconfig_methods=0x188\ndev_capab=0x25\ngroup_capab={p.GroupCapab}\nlevel=-40\n"
                + "age=1\nlisten_freq=2412\nwps_method=not-ready\ninterface_addr=00:00:00:00:00:00\n"
                + "member_in_go_dev=00:00:00:00:00:00\nmember_in_go_iface=00:00:00:00:00:00\ngo_neg_req_sent=0\n"
                + "go_state=unknown\ndialog_token=0\nintended_addr=00:00:00:00:00:00\ncountry=\noper_freq=0\n"
                + "req_config_methods=0x0\nflags=[REPORTED]\nstatus=0\ninvitation_reqs=0\n";
        }

        private void Send(UnixDomainSocketEndPoint to, string text)
        {
            try
            {
                _socket!.SendTo(Encoding.UTF8.GetBytes(text), to);
            }
            catch (SocketException)
            {
                // A client that went away: the real supplicant drops such monitors too.
                _attached.RemoveAll(a => a.ToString() == to.ToString());
            }
        }

        private static string Unescape(string text) =>
            text.Replace("\\n", "\n", StringComparison.Ordinal).Replace("\\t", "\t", StringComparison.Ordinal);
    }
}
