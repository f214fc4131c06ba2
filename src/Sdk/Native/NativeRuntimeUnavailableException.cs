namespace PeerKit.Native;

/// <summary>
/// The exception thrown when PeerKit's native runtime library (<c>libpeerkit_native</c>)
/// cannot be loaded or does not export the expected API.
/// </summary>
/// <remarks>
/// The message says what to do: usually install CMake and a C compiler, rebuild, and make sure the
/// library was copied next to <c>PeerKit.dll</c>. <see cref="Exception.InnerException"/> holds the
/// loader's original error. Use <see cref="NativeRuntime.IsAvailable"/> or
/// <see cref="NativeRuntime.TryGetVersion"/> to check without catching this exception.
/// </remarks>
public sealed class NativeRuntimeUnavailableException : Exception
{
    /// <summary>Initializes a new instance with a default message.</summary>
    public NativeRuntimeUnavailableException()
        : base("The PeerKit native runtime (libpeerkit_native) is not available.")
    {
    }

    /// <summary>Initializes a new instance with the given message.</summary>
    /// <param name="message">What failed and what to do about it.</param>
    public NativeRuntimeUnavailableException(string? message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance with the given message and the loader's error.</summary>
    /// <param name="message">What failed and what to do about it.</param>
    /// <param name="innerException">The loader's error, such as a <see cref="DllNotFoundException"/>.</param>
    public NativeRuntimeUnavailableException(string? message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
