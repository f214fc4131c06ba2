using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PeerKit.Native;

/// <summary>P/Invoke declarations of <c>include/peerkit/peerkit_native.h</c> in src/Runtime.Native.</summary>
internal static partial class NativeMethods
{
    /// <summary>
    /// The library name the runtime probes for: <c>libpeerkit_native.so</c>, <c>libpeerkit_native.dylib</c>
    /// or <c>peerkit_native.dll</c>, next to the application first.
    /// </summary>
    internal const string LibraryName = "peerkit_native";

    /// <summary><c>uint32_t pk_native_version(void)</c>: <c>(major &lt;&lt; 16) | (minor &lt;&lt; 8) | patch</c>.</summary>
    [LibraryImport(LibraryName, EntryPoint = "pk_native_version")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial uint Version();

    /// <summary><c>const char *pk_native_version_string(void)</c>: a static string the caller must not free.</summary>
    [LibraryImport(LibraryName, EntryPoint = "pk_native_version_string")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial nint VersionString();
}
