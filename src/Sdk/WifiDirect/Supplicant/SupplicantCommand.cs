using System.Text;

namespace PeerKit.WifiDirect.Supplicant;

/// <summary>
/// Builds commands with the native builders (<c>pk_wpa_build_*</c>), which refuse malformed addresses and names,
/// so nothing a caller passes can become a second argument or command.
/// </summary>
internal static unsafe class SupplicantCommand
{
    private const int Size = 256;

    private delegate int Builder(byte* buffer, int size);

    private static string Build(Builder build, string? interfaceName, string what)
    {
        byte* buffer = stackalloc byte[Size];
        int n = build(buffer, Size);
        if (n >= 0 && !string.IsNullOrEmpty(interfaceName))
        {
            n = WpaNative.BuildForInterface(buffer, Size, interfaceName);
        }

        if (n < 0)
        {
            throw new WifiP2pException(WifiP2pErrorCode.InvalidParameter, WifiP2pFailure.InvalidArgument,
                $"{what}: {WpaNative.Describe(n)} (a MAC address is xx:xx:xx:xx:xx:xx; an interface name has no spaces or quotes).");
        }

        return Encoding.UTF8.GetString(buffer, n);
    }

    public static string Find(int timeoutSeconds, string? interfaceName) =>
        Build((b, s) => WpaNative.BuildFind(b, s, timeoutSeconds, 0), interfaceName, "P2P_FIND");

    public static string StopFind(string? interfaceName) => Build(WpaNative.BuildStopFind, interfaceName, "P2P_STOP_FIND");

    public static string Peer(string? address, bool next, string? interfaceName) =>
        Build((b, s) => WpaNative.BuildPeer(b, s, address, next ? 1 : 0), interfaceName, $"P2P_PEER {address}");

    public static string Connect(string address, string? pin, int persistent, bool join, int goIntent, int frequency, string? interfaceName) =>
        Build((b, s) => WpaNative.BuildConnect(b, s, address, pin, persistent, join ? 1 : 0, goIntent, frequency), interfaceName,
            $"P2P_CONNECT to '{address}'");

    public static string Cancel(string? interfaceName) => Build(WpaNative.BuildCancel, interfaceName, "P2P_CANCEL");

    public static string GroupAdd(int persistent, int frequency, string? interfaceName) =>
        Build((b, s) => WpaNative.BuildGroupAdd(b, s, persistent, frequency), interfaceName, "P2P_GROUP_ADD");

    public static string GroupRemove(string groupInterface, string? interfaceName) =>
        Build((b, s) => WpaNative.BuildGroupRemove(b, s, groupInterface), interfaceName, $"P2P_GROUP_REMOVE '{groupInterface}'");

    public static string Status(string? interfaceName) => Build(WpaNative.BuildStatus, interfaceName, "STATUS");
}
