using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace PeerKit.WifiDirect.Supplicant;

/// <summary>P/Invoke declarations of the wpa_supplicant control client in <c>peerkit_native.h</c>.</summary>
internal static unsafe partial class WpaNative
{
    private const string Library = "peerkit_native";

    internal const int Ok = 0;
    internal const int ErrArgument = -1;
    internal const int ErrPath = -2;
    internal const int ErrSocket = -3;
    internal const int ErrConnect = -4;
    internal const int ErrSend = -5;
    internal const int ErrReceive = -6;
    internal const int ErrTimeout = -7;
    internal const int ErrTooLong = -8;
    internal const int ErrMemory = -9;
    internal const int ErrReply = -10;

    internal const int ReplyData = 0;
    internal const int ReplyOk = 1;
    internal const int ReplyPong = 2;
    internal const int ReplyFail = 3;
    internal const int ReplyUnknownCommand = 4;

    [LibraryImport(Library, EntryPoint = "pk_wpa_open", StringMarshalling = StringMarshalling.Utf8)]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial int Open(string serverPath, string? clientDirectory, out nint ctrl, out int osError);

    [LibraryImport(Library, EntryPoint = "pk_wpa_close")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial void Close(nint ctrl);

    [LibraryImport(Library, EntryPoint = "pk_wpa_os_error")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial int OsError(nint ctrl);

    [LibraryImport(Library, EntryPoint = "pk_wpa_request")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial int Request(nint ctrl, byte* command, byte* reply, int replySize, int timeoutMs);

    [LibraryImport(Library, EntryPoint = "pk_wpa_attach")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial int Attach(nint ctrl, int timeoutMs);

    [LibraryImport(Library, EntryPoint = "pk_wpa_receive")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial int Receive(nint ctrl, byte* buffer, int bufferSize, int timeoutMs);

    [LibraryImport(Library, EntryPoint = "pk_wpa_event_parse")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial int EventParse(byte* line, int length, WpaEventStruct* wpaEvent);

    [LibraryImport(Library, EntryPoint = "pk_wpa_reply_kind")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial int ReplyKind(byte* reply, int length);

    [LibraryImport(Library, EntryPoint = "pk_wpa_reply_value")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial int ReplyValue(byte* reply, int length, byte* key, byte* value, int valueSize);

    [LibraryImport(Library, EntryPoint = "pk_wpa_peer_parse")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial int PeerParse(byte* reply, int length, WpaPeerStruct* peer);

    [LibraryImport(Library, EntryPoint = "pk_wpa_build_p2p_find")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial int BuildFind(byte* buffer, int size, int timeoutSeconds, int type);

    [LibraryImport(Library, EntryPoint = "pk_wpa_build_p2p_stop_find")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial int BuildStopFind(byte* buffer, int size);

    [LibraryImport(Library, EntryPoint = "pk_wpa_build_p2p_peer", StringMarshalling = StringMarshalling.Utf8)]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial int BuildPeer(byte* buffer, int size, string? address, int next);

    [LibraryImport(Library, EntryPoint = "pk_wpa_build_p2p_connect", StringMarshalling = StringMarshalling.Utf8)]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial int BuildConnect(byte* buffer, int size, string address, string? pin, int persistent, int join, int goIntent, int freq);

    [LibraryImport(Library, EntryPoint = "pk_wpa_build_p2p_cancel")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial int BuildCancel(byte* buffer, int size);

    [LibraryImport(Library, EntryPoint = "pk_wpa_build_p2p_group_add")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial int BuildGroupAdd(byte* buffer, int size, int persistent, int freq);

    [LibraryImport(Library, EntryPoint = "pk_wpa_build_p2p_group_remove", StringMarshalling = StringMarshalling.Utf8)]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial int BuildGroupRemove(byte* buffer, int size, string ifname);

    [LibraryImport(Library, EntryPoint = "pk_wpa_build_status")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial int BuildStatus(byte* buffer, int size);

    [LibraryImport(Library, EntryPoint = "pk_wpa_build_for_interface", StringMarshalling = StringMarshalling.Utf8)]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial int BuildForInterface(byte* buffer, int size, string ifname);

    /// <summary>Reads a NUL-terminated UTF-8 field of a native struct.</summary>
    internal static string Text(ReadOnlySpan<byte> field)
    {
        int end = field.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? field : field[..end]);
    }

    /// <summary>The name of a native result code, for messages.</summary>
    internal static string Describe(int result) => result switch
    {
        ErrArgument => "invalid argument",
        ErrPath => "socket path too long",
        ErrSocket => "could not create the client socket",
        ErrConnect => "nothing listens on the control socket",
        ErrSend => "the supplicant's socket is gone",
        ErrReceive => "receiving failed",
        ErrTimeout => "no reply in time",
        ErrTooLong => "reply longer than the buffer",
        ErrMemory => "out of memory",
        ErrReply => "unexpected reply",
        _ => $"error {result}",
    };
}

/// <summary>Mirror of <c>pk_wpa_event</c> (peerkit_native.h); field order and sizes must match.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct WpaEventStruct
{
    public int Kind;
    public int Level;
    public int Freq;
    public int Status;
    public int IsGo;
    public int Persistent;
    public int GoIntent;
    public int DevPasswdId;
    public long ConfigMethods;
    public long DevCapab;
    public long GroupCapab;
    public fixed byte IfName[64];
    public fixed byte GroupIfName[64];
    public fixed byte Address[18];
    public fixed byte DeviceAddress[18];
    public fixed byte GoDeviceAddress[18];
    public fixed byte Name[64];
    public fixed byte PrimaryDeviceType[32];
    public fixed byte Ssid[132];
    public fixed byte Passphrase[68];
    public fixed byte Psk[68];
    public fixed byte IpAddress[16];
    public fixed byte IpMask[16];
    public fixed byte GoIpAddress[16];
    public fixed byte Reason[32];
    public fixed byte WpsMethod[32];
}

/// <summary>Mirror of <c>pk_wpa_peer</c> (peerkit_native.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct WpaPeerStruct
{
    public long ConfigMethods;
    public long DevCapab;
    public long GroupCapab;
    public int Level;
    public int Persistent;
    public fixed byte DeviceAddress[18];
    public fixed byte InterfaceAddress[18];
    public fixed byte Name[64];
    public fixed byte PrimaryDeviceType[32];
}
