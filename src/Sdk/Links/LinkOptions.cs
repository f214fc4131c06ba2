namespace PeerKit.Links;

/// <summary>Limits shared by every kind of link.</summary>
public class LinkOptions
{
    /// <summary>The default <see cref="MaxFrameSize"/>: 16 MiB, devp2p's frame limit.</summary>
    public const int DefaultMaxFrameSize = 16 * 1024 * 1024;

    /// <summary>The largest <see cref="MaxFrameSize"/> allowed: 1 GiB.</summary>
    public const int MaxAllowedFrameSize = 1 << 30;

    private readonly int _maxFrameSize = DefaultMaxFrameSize;
    private readonly int _receiveQueueCapacity = 256;

    /// <summary>
    /// The largest frame, in bytes, this side sends or accepts. A larger send throws
    /// <see cref="FrameTooLargeException"/>; a larger frame announced by the remote side closes the link
    /// (<see cref="LinkCloseReason.FrameTooLarge"/>) before anything is allocated for it. Default 16 MiB.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1 or more than <see cref="MaxAllowedFrameSize"/>.</exception>
    public int MaxFrameSize
    {
        get => _maxFrameSize;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, MaxAllowedFrameSize);
            _maxFrameSize = value;
        }
    }

    /// <summary>
    /// How many received frames may wait for the receiver before the link stops reading from its transport
    /// (and, for the memory pair, before the sender waits). Default 256. A count of frames does not bound memory:
    /// the TCP link also stops at <see cref="PeerKit.Links.Streams.StreamLinkOptions.ReceiveQueueBytes"/>, and the UDP link ignores this
    /// limit, bounding reliable frames by flow control (<see cref="Udp.UdpLinkOptions.ReceiveWindow"/>) and unreliable
    /// frames in bytes (<see cref="Udp.UdpLinkOptions.UnreliableReceiveQueueBytes"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public int ReceiveQueueCapacity
    {
        get => _receiveQueueCapacity;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _receiveQueueCapacity = value;
        }
    }
}
