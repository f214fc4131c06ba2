using System.Runtime.CompilerServices;

// The Wi-Fi Direct tests drive the event tracker and the native parser directly.
[assembly: InternalsVisibleTo("PeerKit.WifiDirect.Tests")]
