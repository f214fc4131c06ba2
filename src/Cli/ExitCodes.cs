namespace PeerKit.Cli;

/// <summary>The exit codes of <c>peerkit</c>.</summary>
public static class ExitCodes
{
    /// <summary>Done.</summary>
    public const int Ok = 0;

    /// <summary>The command failed (a file, a key, a transfer).</summary>
    public const int Failure = 1;

    /// <summary>The command line was wrong (unknown verb, missing argument, bad value).</summary>
    public const int Usage = 2;

    /// <summary>The peer could not be reached or refused the connection.</summary>
    public const int Unreachable = 3;

    /// <summary>A device or service is not there: no Crazyradio, no libusb, no wpa_supplicant at the control socket.</summary>
    public const int Unavailable = 4;
}
