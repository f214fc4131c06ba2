using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using PeerKit.Native;

namespace PeerKit.Runtime.Native.Tests;

/// <summary>The managed entry point, <see cref="NativeRuntime"/>, against the library CMake built.</summary>
public sealed class NativeRuntimeTests
{
    private static string PeerKitDirectory => Path.GetDirectoryName(typeof(NativeRuntime).Assembly.Location)!;

    [Fact]
    public void Native_runtime_is_available_to_a_project_referencing_PeerKit()
    {
        Assert.True(NativeRuntime.IsAvailable);
    }

    [Fact]
    public void Native_library_is_copied_next_to_PeerKit_dll()
    {
        string copied = Path.Combine(PeerKitDirectory, NativeBuild.LibraryFileName);

        Assert.True(File.Exists(copied), $"{copied} is missing");
        Assert.Equal(File.ReadAllBytes(NativeBuild.LibraryPath), File.ReadAllBytes(copied));
    }

    [Fact]
    public void Version_is_the_CMake_project_version()
    {
        Assert.Equal(NativeBuild.ProjectVersion, NativeRuntime.Version);
    }

    [Fact]
    public void Version_agrees_with_the_native_version_string()
    {
        string? native = Marshal.PtrToStringUTF8(NativeMethods.VersionString());

        Assert.Equal(native, NativeRuntime.Version.ToString());
    }

    [Fact]
    public void TryGetVersion_returns_the_same_version_as_the_Version_property()
    {
        Assert.True(NativeRuntime.TryGetVersion(out Version? version));
        Assert.Equal(NativeRuntime.Version, version);
    }

    [Fact]
    public void Native_version_matches_the_PeerKit_assembly_version()
    {
        Version assembly = typeof(NativeRuntime).Assembly.GetName().Version!;

        Assert.Equal(new Version(assembly.Major, assembly.Minor, assembly.Build), NativeRuntime.Version);
    }

    [Theory]
    [InlineData(0x000100u, "0.1.0")]
    [InlineData(0x010203u, "1.2.3")]
    [InlineData(0x0A00FFu, "10.0.255")]
    [InlineData(0xFFFFFFFFu, "65535.255.255")]
    public void Packed_native_version_unpacks_to_major_minor_patch(uint packed, string expected)
    {
        Assert.Equal(Version.Parse(expected), NativeRuntime.Unpack(packed));
    }

    [Fact]
    public void Version_throws_an_actionable_exception_when_the_library_cannot_be_loaded()
    {
        // A second copy of PeerKit.dll, in a context that refuses to load the native library.
        var context = new NoNativeLibraryContext();
        try
        {
            Assembly peerKit = context.LoadFromAssemblyPath(typeof(NativeRuntime).Assembly.Location);
            Type runtime = peerKit.GetType(typeof(NativeRuntime).FullName!, throwOnError: true)!;

            Assert.False((bool)runtime.GetProperty(nameof(NativeRuntime.IsAvailable))!.GetValue(null)!);

            object?[] arguments = [null];
            Assert.False((bool)runtime.GetMethod(nameof(NativeRuntime.TryGetVersion))!.Invoke(null, arguments)!);
            Assert.Null(arguments[0]);

            var thrown = Assert.Throws<TargetInvocationException>(
                () => runtime.GetProperty(nameof(NativeRuntime.Version))!.GetValue(null));
            Exception exception = thrown.InnerException!;
            Assert.Equal(typeof(NativeRuntimeUnavailableException).FullName, exception.GetType().FullName);
            Assert.Contains(NativeBuild.LibraryFileName, exception.Message);
            Assert.Contains("cmake", exception.Message, StringComparison.OrdinalIgnoreCase);
            Assert.IsType<DllNotFoundException>(exception.InnerException);
        }
        finally
        {
            context.Unload();
        }
    }

    private sealed class NoNativeLibraryContext() : AssemblyLoadContext(nameof(NoNativeLibraryContext), isCollectible: true)
    {
        protected override Assembly? Load(AssemblyName assemblyName) => null;

        protected override IntPtr LoadUnmanagedDll(string unmanagedDllName) =>
            throw new DllNotFoundException($"{unmanagedDllName} is hidden from this test's load context.");
    }
}
