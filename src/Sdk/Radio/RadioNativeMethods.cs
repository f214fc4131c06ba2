using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using PeerKit.Native;

namespace PeerKit;

/// <summary>P/Invoke declarations of the radio block of <c>include/peerkit/peerkit_native.h</c>.</summary>
internal static unsafe partial class RadioNativeMethods
{
    internal const int Ok = 0;
    internal const int Timeout = 1;

    [LibraryImport(NativeMethods.LibraryName, EntryPoint = "pk_sim_medium_config_init")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial void MediumConfigInit(NativeMediumConfig* config);

    [LibraryImport(NativeMethods.LibraryName, EntryPoint = "pk_sim_medium_create")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial int MediumCreate(NativeMediumConfig* config, nint* medium, NativeRadioError* error);

    [LibraryImport(NativeMethods.LibraryName, EntryPoint = "pk_sim_medium_destroy")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial void MediumDestroy(nint medium);

    [LibraryImport(NativeMethods.LibraryName, EntryPoint = "pk_sim_medium_set_time")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial int MediumSetTime(SimulatedMediumHandle medium, ulong nowMicroseconds);

    [LibraryImport(NativeMethods.LibraryName, EntryPoint = "pk_sim_medium_time")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial ulong MediumTime(SimulatedMediumHandle medium);

    [LibraryImport(NativeMethods.LibraryName, EntryPoint = "pk_radio_open_sim")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial int OpenSim(SimulatedMediumHandle medium, uint id, double x, double y, double z, nint* radio, NativeRadioError* error);

    [LibraryImport(NativeMethods.LibraryName, EntryPoint = "pk_radio_open_crazyradio")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial int OpenCrazyradio(NativeCrazyradioConfig* config, nint* radio, NativeRadioError* error);

    [LibraryImport(NativeMethods.LibraryName, EntryPoint = "pk_radio_set_position")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial int SetPosition(RadioHandle radio, double x, double y, double z);

    [LibraryImport(NativeMethods.LibraryName, EntryPoint = "pk_radio_set_channel")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial int SetChannel(RadioHandle radio, int channel);

    [LibraryImport(NativeMethods.LibraryName, EntryPoint = "pk_radio_set_address")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial int SetAddress(RadioHandle radio, byte* address);

    [LibraryImport(NativeMethods.LibraryName, EntryPoint = "pk_radio_set_data_rate")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial int SetDataRate(RadioHandle radio, int dataRate);

    [LibraryImport(NativeMethods.LibraryName, EntryPoint = "pk_radio_max_frame")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial int MaxFrame(RadioHandle radio);

    [LibraryImport(NativeMethods.LibraryName, EntryPoint = "pk_radio_send")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial int Send(RadioHandle radio, byte* frame, nuint length);

    [LibraryImport(NativeMethods.LibraryName, EntryPoint = "pk_radio_receive")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial int Receive(RadioHandle radio, NativeRadioFrame* frame, int timeoutMilliseconds);

    [LibraryImport(NativeMethods.LibraryName, EntryPoint = "pk_radio_get_stats")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial int GetStats(RadioHandle radio, NativeRadioStats* stats);

    [LibraryImport(NativeMethods.LibraryName, EntryPoint = "pk_radio_last_error")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial nint LastError(RadioHandle radio);

    [LibraryImport(NativeMethods.LibraryName, EntryPoint = "pk_radio_close")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial void Close(nint radio);

    [LibraryImport(NativeMethods.LibraryName, EntryPoint = "pk_radio_status_string")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial nint StatusString(int status);

    [LibraryImport(NativeMethods.LibraryName, EntryPoint = "pk_p2p_accepts")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial int P2PAccepts(byte* frame, nuint length);
}
