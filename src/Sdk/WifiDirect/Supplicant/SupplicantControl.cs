using System.Text;

namespace PeerKit.WifiDirect.Supplicant;

/// <summary>
/// One connection to a wpa_supplicant control socket (<c>pk_wpa_open</c>): commands and replies, or, once
/// attached, events. Not thread-safe: its owner serializes calls.
/// </summary>
internal sealed unsafe class SupplicantControl : IDisposable
{
    /// <summary>The largest reply or event read (wpa_supplicant's own replies stay below 4 KiB).</summary>
    internal const int BufferSize = 16 * 1024;

    private nint _ctrl;

    private SupplicantControl(nint ctrl, string path)
    {
        _ctrl = ctrl;
        Path = path;
    }

    /// <summary>The control socket's path.</summary>
    public string Path { get; }

    /// <summary>Connects, or throws <see cref="WifiP2pException"/> saying why and what to do.</summary>
    public static SupplicantControl Open(string path, string? clientDirectory)
    {
        int result;
        nint ctrl;
        int osError;
        try
        {
            result = WpaNative.Open(path, clientDirectory, out ctrl, out osError);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            throw new WifiP2pException(WifiP2pErrorCode.OperationFailed, WifiP2pFailure.NativeRuntimeMissing,
                "The PeerKit native runtime (libpeerkit_native) with the wpa_supplicant client could not be loaded; "
                + "it is built from src/Runtime.Native with CMake and copied next to PeerKit.dll.", e);
        }

        if (result == WpaNative.Ok)
        {
            return new SupplicantControl(ctrl, path);
        }

        string why = result == WpaNative.ErrConnect
            ? $"no wpa_supplicant control socket at '{path}' ({new System.ComponentModel.Win32Exception(osError).Message}). "
              + "Start wpa_supplicant with a control interface (ctrl_interface=/run/wpa_supplicant, or -g <path> for the global socket), "
              + "check the path and that this process may use it (root or the ctrl_interface group)."
            : $"could not open the control connection to '{path}': {WpaNative.Describe(result)}"
              + (osError != 0 ? $" ({new System.ComponentModel.Win32Exception(osError).Message})" : "") + ".";
        throw new WifiP2pException(WifiP2pErrorCode.OperationFailed, WifiP2pFailure.SupplicantUnreachable, why);
    }

    /// <summary>Sends a command and returns the reply text; throws when the supplicant does not answer.</summary>
    public string Request(string command, int timeoutMs)
    {
        ObjectDisposedException.ThrowIf(_ctrl == 0, this);
        byte[] text = new byte[Encoding.UTF8.GetByteCount(command) + 1];
        Encoding.UTF8.GetBytes(command, text);
        byte[] reply = new byte[BufferSize];
        int n;
        fixed (byte* c = text)
        fixed (byte* r = reply)
        {
            n = WpaNative.Request(_ctrl, c, r, reply.Length, timeoutMs);
        }

        if (n < 0)
        {
            int os = WpaNative.OsError(_ctrl);
            WifiP2pFailure failure = n == WpaNative.ErrTimeout ? WifiP2pFailure.Timeout : WifiP2pFailure.SupplicantGone;
            throw new WifiP2pException(WifiP2pErrorCode.OperationFailed, failure,
                $"wpa_supplicant at '{Path}' did not answer '{FirstWord(command)}': {WpaNative.Describe(n)}"
                + (os != 0 && n != WpaNative.ErrTimeout ? $" ({new System.ComponentModel.Win32Exception(os).Message})" : "") + ".");
        }

        return Encoding.UTF8.GetString(reply, 0, n);
    }

    /// <summary>ATTACH: this connection receives events from now on.</summary>
    public void Attach(int timeoutMs)
    {
        ObjectDisposedException.ThrowIf(_ctrl == 0, this);
        int result = WpaNative.Attach(_ctrl, timeoutMs);
        if (result != WpaNative.Ok)
        {
            throw new WifiP2pException(WifiP2pErrorCode.OperationFailed,
                result == WpaNative.ErrTimeout ? WifiP2pFailure.Timeout : WifiP2pFailure.SupplicantGone,
                $"wpa_supplicant at '{Path}' refused ATTACH (events): {WpaNative.Describe(result)}.");
        }
    }

    /// <summary>Waits for one datagram; its length, or a negative <c>PK_WPA_ERR_*</c> (timeout included).</summary>
    public int Receive(byte[] buffer, int timeoutMs)
    {
        ObjectDisposedException.ThrowIf(_ctrl == 0, this);
        fixed (byte* b = buffer)
        {
            return WpaNative.Receive(_ctrl, b, buffer.Length, timeoutMs);
        }
    }

    /// <summary>Closes the connection and removes the client's socket file.</summary>
    public void Dispose()
    {
        nint ctrl = Interlocked.Exchange(ref _ctrl, 0);
        if (ctrl != 0)
        {
            WpaNative.Close(ctrl);
        }
    }

    internal static string FirstWord(string command)
    {
        int start = command.StartsWith("IFNAME=", StringComparison.Ordinal) ? command.IndexOf(' ') + 1 : 0;
        int end = command.IndexOf(' ', start);
        return end < 0 ? command[start..] : command[start..end];
    }

    /// <summary>The reply's class (<c>pk_wpa_reply_kind</c>).</summary>
    public static int ReplyKind(string reply)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(reply);
        fixed (byte* b = bytes)
        {
            return WpaNative.ReplyKind(b, bytes.Length);
        }
    }

    /// <summary>"key=value" of a STATUS-style reply, or null.</summary>
    public static string? ReplyValue(string reply, string key)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(reply);
        byte[] k = Encoding.UTF8.GetBytes(key + "\0");
        byte* value = stackalloc byte[256];
        int n;
        fixed (byte* b = bytes)
        fixed (byte* kp = k)
        {
            n = WpaNative.ReplyValue(b, bytes.Length, kp, value, 256);
        }

        return n < 0 ? null : Encoding.UTF8.GetString(value, n);
    }
}
