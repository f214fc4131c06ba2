using System.Runtime.CompilerServices;

// The native runtime tests check the P/Invoke layer (NativeMethods) against the C library directly.
[assembly: InternalsVisibleTo("PeerKit.Runtime.Native.Tests")]
