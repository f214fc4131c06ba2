namespace PeerKit;

/// <summary>What went wrong in a <see cref="RadioException"/>.</summary>
public enum RadioError
{
    /// <summary>An argument is out of range (a channel above 125, a bad setting).</summary>
    InvalidArgument = 1,

    /// <summary>The native library ran out of memory.</summary>
    OutOfMemory = 2,

    /// <summary>The frame or packet is larger than the radio, the P2P format or the protocol allows; the message names the limit.</summary>
    TooLarge = 3,

    /// <summary>libusb-1.0 is not installed, so no Crazyradio can be opened.</summary>
    NoLibUsb = 4,

    /// <summary>No Crazyradio is plugged in (or it was unplugged).</summary>
    NoDevice = 5,

    /// <summary>The Crazyradio is there but this user may not open it: install the udev rule (docs/radio.md).</summary>
    NoPermission = 6,

    /// <summary>The Crazyradio's firmware is too old for the requested mode.</summary>
    OldFirmware = 7,

    /// <summary>A USB transfer failed.</summary>
    Io = 8,

    /// <summary>The radio cannot do this (a Crazyradio PA in legacy mode cannot receive P2P).</summary>
    Unsupported = 9,

    /// <summary>A socket of a medium shared by processes failed.</summary>
    Socket = 10,

    /// <summary>The radio id is already attached to the medium.</summary>
    InUse = 11,

    /// <summary>An addressed send was not acknowledged after every retry.</summary>
    NotAcknowledged = 12,
}
