using System.Diagnostics.CodeAnalysis;

namespace PeerKit.Native;

/// <summary>
/// Entry point to PeerKit's native runtime shim, <c>libpeerkit_native</c>
/// (built from <c>src/Runtime.Native</c> and shipped next to <c>PeerKit.dll</c>).
/// </summary>
/// <remarks>
/// The library is loaded on first use of any member, once per process; whether that
/// succeeded, and the version it reported, are remembered. All members are thread-safe.
/// </remarks>
public static class NativeRuntime
{
    private static readonly Lazy<LoadResult> s_load = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// Gets a value indicating whether the native runtime library could be loaded in this process.
    /// </summary>
    /// <value><see langword="true"/> if <see cref="Version"/> can be read; otherwise <see langword="false"/>.</value>
    public static bool IsAvailable => s_load.Value.Version is not null;

    /// <summary>
    /// Gets the version of the loaded native runtime library, as <c>major.minor.patch</c>.
    /// </summary>
    /// <value>The version reported by the library's <c>pk_native_version()</c>.</value>
    /// <exception cref="NativeRuntimeUnavailableException">
    /// The native library could not be loaded, or it does not export the version API.
    /// The message says what to install or rebuild.
    /// </exception>
    public static Version Version => s_load.Value.Version ?? throw s_load.Value.CreateUnavailableException();

    /// <summary>
    /// Gets the version of the native runtime library without throwing when it cannot be loaded.
    /// </summary>
    /// <param name="version">
    /// When this method returns <see langword="true"/>, the version reported by the library;
    /// otherwise <see langword="null"/>.
    /// </param>
    /// <returns><see langword="true"/> if the library was loaded; otherwise <see langword="false"/>.</returns>
    public static bool TryGetVersion([MaybeNullWhen(false)] out Version version)
    {
        version = s_load.Value.Version;
        return version is not null;
    }

    /// <summary>The platform's file name of the native library, e.g. <c>libpeerkit_native.so</c>.</summary>
    internal static string LibraryFileName =>
        OperatingSystem.IsWindows() ? NativeMethods.LibraryName + ".dll"
        : OperatingSystem.IsMacOS() || OperatingSystem.IsIOS() || OperatingSystem.IsTvOS() ? "lib" + NativeMethods.LibraryName + ".dylib"
        : "lib" + NativeMethods.LibraryName + ".so";

    /// <summary>Unpacks <c>(major &lt;&lt; 16) | (minor &lt;&lt; 8) | patch</c>, as returned by <c>pk_native_version()</c>.</summary>
    internal static Version Unpack(uint packed) =>
        new((int)(packed >> 16), (int)((packed >> 8) & 0xFF), (int)(packed & 0xFF));

    private static LoadResult Load()
    {
        try
        {
            return new LoadResult(Unpack(NativeMethods.Version()), null);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return new LoadResult(null, e);
        }
    }

    private sealed record LoadResult(Version? Version, Exception? Error)
    {
        public NativeRuntimeUnavailableException CreateUnavailableException()
        {
            string file = LibraryFileName;
            string reason = Error is EntryPointNotFoundException
                ? $"{file} was loaded but does not export pk_native_version, so it is not a PeerKit native runtime or is out of date"
                : $"{file} could not be loaded";
            return new NativeRuntimeUnavailableException(
                $"The PeerKit native runtime is not available: {reason} ({Error?.Message}). "
                + $"{file} is built from src/Runtime.Native with CMake when PeerKit builds and is copied next to PeerKit.dll: "
                + "install CMake and a C compiler (e.g. `apt-get install cmake gcc`), rebuild, "
                + $"and check that {file} is in the application's output folder (or on the native library search path).",
                Error);
        }
    }
}
