using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace PeerKit.Links.Udp;

/// <summary>
/// A UDP socket with a receive loop on a dedicated thread. On 64-bit Linux it takes up to
/// <see cref="ReceiveBatch"/> datagrams per system call (<c>recvmmsg</c>), accepts coalesced runs of datagrams
/// (<c>UDP_GRO</c>) and sends runs of equal-size datagrams in one call (<c>UDP_SEGMENT</c>); elsewhere, or when
/// the kernel refuses those options, it falls back to one datagram per call.
/// </summary>
internal sealed class SocketDatagramTransport : IDatagramTransport
{
    /// <summary>Datagrams (or coalesced runs) taken per <c>recvmmsg</c>.</summary>
    internal const int ReceiveBatch = 8;

    private const int ReceiveBufferSize = 65536;
    private const int NameSize = 128;
    private const int ControlSize = 64;

    private readonly Socket _socket;
    private readonly long _busyPollMicros;
    private Thread? _thread;
    private volatile bool _stopped;
    private volatile bool _closeOnExit;
    private volatile bool _gso;
    private bool _gro;
    private long _segmentedSends;

    /// <param name="localEndPoint">The address to bind.</param>
    /// <param name="busyPoll">How long the receive thread keeps polling after a datagram before it blocks (Linux).</param>
    /// <param name="offload">Use recvmmsg, UDP_GRO and UDP_SEGMENT where available (tests switch it off).</param>
    public SocketDatagramTransport(IPEndPoint localEndPoint, TimeSpan busyPoll = default, bool offload = true)
    {
        _socket = new Socket(localEndPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (localEndPoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                _socket.DualMode = localEndPoint.Address.Equals(IPAddress.IPv6Any);
            }

            _socket.ReceiveBufferSize = 4 * 1024 * 1024;
            _socket.SendBufferSize = 4 * 1024 * 1024;
            _socket.Bind(localEndPoint);
            LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
            if (offload && LinuxUdp.IsSupported)
            {
                // UDP_SEGMENT as a socket option sets a default segment size; 0 keeps it off and tells whether the
                // kernel knows the option (4.18+). Each batch passes its segment size as a control message.
                _gso = LinuxUdp.TrySetInt(_socket.SafeHandle, LinuxUdp.SolUdp, LinuxUdp.UdpSegment, 0);
                _gro = LinuxUdp.TrySetInt(_socket.SafeHandle, LinuxUdp.SolUdp, LinuxUdp.UdpGro, 1);
                UsesRecvMMsg = true;
            }

            DontFragment = SetDontFragment(_socket, localEndPoint.AddressFamily);
            _busyPollMicros = UdpClock.Micros(busyPoll);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }
    }

    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Whether sends of many datagrams go out in one system call (UDP GSO).</summary>
    internal bool SegmentationOffload => _gso;

    /// <summary>Whether the kernel may hand over coalesced runs of datagrams (UDP GRO).</summary>
    internal bool ReceiveOffload => _gro;

    /// <summary>
    /// Whether the socket sends with the don't-fragment bit and without fragmenting, as path MTU discovery needs: on
    /// Linux <c>IP_PMTUDISC_PROBE</c> (IPv4 and IPv6), elsewhere <see cref="Socket.DontFragment"/> for IPv4 sockets.
    /// </summary>
    internal bool DontFragment { get; }

    /// <summary>The socket (tests read its options back).</summary>
    internal Socket Socket => _socket;

    /// <summary>Whether the receive loop uses <c>recvmmsg</c>.</summary>
    internal bool UsesRecvMMsg { get; }

    /// <summary>Calls that sent more than one datagram with UDP GSO.</summary>
    public long SegmentedSends => Interlocked.Read(ref _segmentedSends);

    /// <summary>Whether the receive thread is still running (tests: Dispose stops it).</summary>
    internal bool IsReceiving => _thread?.IsAlive == true;

    public int MaxSegments => _gso ? LinuxUdp.MaxSegments : 1;

    public void Start(DatagramHandler handler, Action batchEnd)
    {
        _thread = new Thread(UsesRecvMMsg ? () => ReceiveManyLoop(handler, batchEnd) : () => ReceiveLoop(handler, batchEnd))
        {
            IsBackground = true,
            Name = $"PeerKit UDP {LocalEndPoint}",
        };
        _thread.Start();
    }

    public bool Send(ReadOnlySpan<byte> datagram, SocketAddress destination) => SendChecked(datagram, destination) == DatagramSendResult.Sent;

    public DatagramSendResult SendChecked(ReadOnlySpan<byte> datagram, SocketAddress destination)
    {
        try
        {
            return _socket.SendTo(datagram, SocketFlags.None, destination) == datagram.Length ? DatagramSendResult.Sent : DatagramSendResult.Failed;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.MessageSize)
        {
            return DatagramSendResult.TooLarge;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return DatagramSendResult.Failed;
        }
    }

    public bool SendSegments(ReadOnlySpan<byte> buffer, int segmentSize, SocketAddress destination)
    {
        if (buffer.Length <= segmentSize)
        {
            return Send(buffer, destination);
        }

        if (_gso)
        {
            int error = LinuxUdp.SendSegments(_socket.SafeHandle, buffer, segmentSize, destination);
            if (error == 0)
            {
                Interlocked.Increment(ref _segmentedSends);
                return true;
            }

            if (error == LinuxUdp.EIo)
            {
                // The route's device cannot segment (or checksum) in the kernel: one datagram at a time from now on.
                _gso = false;
            }
            else if (error is not (LinuxUdp.EInval or LinuxUdp.EMsgSize))
            {
                return false; // a full buffer (EAGAIN, ENOBUFS) or an unreachable peer: lost, as a single send would be
            }

            // EINVAL, EMSGSIZE: this batch does not fit this destination's path; it goes one datagram at a time.
        }

        return IDatagramTransport.SendEach(this, buffer, segmentSize, destination);
    }

    public void Dispose()
    {
        _stopped = true;
        if (UsesRecvMMsg)
        {
            // Wakes a receive thread blocked in recvmmsg (close alone does not while it holds the descriptor).
            bool added = false;
            try
            {
                _socket.SafeHandle.DangerousAddRef(ref added);
                LinuxUdp.Shutdown(_socket.SafeHandle.DangerousGetHandle(), LinuxUdp.ShutRdWr);
            }
            catch (ObjectDisposedException)
            {
            }
            finally
            {
                if (added)
                {
                    _socket.SafeHandle.DangerousRelease();
                }
            }
        }

        if (UsesRecvMMsg && _thread == Thread.CurrentThread)
        {
            // Called on the receive thread itself (a receiver resumed there by ReceiveInline disposed the endpoint):
            // the loop further up this stack holds a reference to the socket's handle, and closing a socket waits
            // until every reference is released, so it would wait for ever. The loop closes it as it exits.
            _closeOnExit = true;
            return;
        }

        _socket.Dispose();
        if (_thread is not null && _thread != Thread.CurrentThread)
        {
            _thread.Join(TimeSpan.FromSeconds(2));
        }
    }

    /// <summary>
    /// Datagrams leave whole or not at all, so a probe that is too large for the path is lost instead of arriving in
    /// fragments, and one too large for the interface fails with EMSGSIZE (a lost probe to the link).
    /// </summary>
    private static bool SetDontFragment(Socket socket, AddressFamily family)
    {
        if (LinuxUdp.IsSupported)
        {
            // IP_PMTUDISC_PROBE rather than .NET's DontFragment (IP_PMTUDISC_DO): DO would clamp sends to the kernel's
            // cached path MTU, which ICMP messages (or their forgeries) lower, and refuse probes above it.
            if (family == AddressFamily.InterNetworkV6)
            {
                bool v6 = LinuxUdp.TrySetInt(socket.SafeHandle, LinuxUdp.SolIpv6, LinuxUdp.Ipv6MtuDiscover, LinuxUdp.PmtuDiscProbe);
                if (socket.DualMode)
                {
                    // IPv4 peers of a dual-mode socket follow the IPv4 option.
                    v6 &= LinuxUdp.TrySetInt(socket.SafeHandle, LinuxUdp.SolIp, LinuxUdp.IpMtuDiscover, LinuxUdp.PmtuDiscProbe);
                }

                return v6;
            }

            return LinuxUdp.TrySetInt(socket.SafeHandle, LinuxUdp.SolIp, LinuxUdp.IpMtuDiscover, LinuxUdp.PmtuDiscProbe);
        }

        if (family != AddressFamily.InterNetwork)
        {
            // .NET has no portable IPV6_DONTFRAG; routers never fragment IPv6, but the sending host may (docs/udp.md).
            return false;
        }

        try
        {
            socket.DontFragment = true;
            return true;
        }
        catch (Exception e) when (e is SocketException or NotSupportedException)
        {
            return false;
        }
    }

    private void ReceiveLoop(DatagramHandler handler, Action batchEnd)
    {
        byte[] buffer = new byte[UdpWire.MaxMtu];
        var source = new SocketAddress(LocalEndPoint.AddressFamily);
        while (!_stopped)
        {
            int received;
            try
            {
                received = _socket.ReceiveFrom(buffer, SocketFlags.None, source);
            }
            catch (SocketException) when (!_stopped)
            {
                // ICMP errors (connection reset on some platforms), a truncated datagram: keep serving.
                continue;
            }
            catch (Exception)
            {
                return;
            }

            handler(buffer.AsSpan(0, received), source);
            batchEnd();
        }
    }

    private unsafe void ReceiveManyLoop(DatagramHandler handler, Action batchEnd)
    {
        SafeHandle handle = _socket.SafeHandle;
        bool added = false;
        byte* block = null;
        try
        {
            handle.DangerousAddRef(ref added);
            nint fd = handle.DangerousGetHandle();

            // A backstop for the shutdown in Dispose: the blocking call returns at least every 250 ms.
            var timeout = new LinuxUdp.TimeVal { Microseconds = 250_000 };
            LinuxUdp.SetSockOpt(fd, LinuxUdp.SolSocket, LinuxUdp.SoRcvTimeo, &timeout, (uint)sizeof(LinuxUdp.TimeVal));

            int perEntry = ReceiveBufferSize + NameSize + ControlSize + sizeof(LinuxUdp.IoVec) + sizeof(LinuxUdp.MMsgHdr);
            block = (byte*)NativeMemory.AlignedAlloc((nuint)(ReceiveBatch * perEntry), 64);
            var messages = (LinuxUdp.MMsgHdr*)block;
            var iovs = (LinuxUdp.IoVec*)(messages + ReceiveBatch);
            byte* names = (byte*)(iovs + ReceiveBatch);
            byte* controls = names + (ReceiveBatch * NameSize);
            byte* buffers = controls + (ReceiveBatch * ControlSize);
            for (int i = 0; i < ReceiveBatch; i++)
            {
                iovs[i] = new LinuxUdp.IoVec { Base = buffers + ((long)i * ReceiveBufferSize), Length = ReceiveBufferSize };
            }

            var source = new SocketAddress(LocalEndPoint.AddressFamily);
            Span<byte> sourceBytes = source.Buffer.Span;
            long pollUntil = 0;
            int failures = 0;
            while (!_stopped)
            {
                for (int i = 0; i < ReceiveBatch; i++)
                {
                    messages[i] = new LinuxUdp.MMsgHdr
                    {
                        Header = new LinuxUdp.MsgHdr
                        {
                            Name = names + (i * NameSize),
                            NameLength = NameSize,
                            Iov = iovs + i,
                            IovLength = 1,
                            Control = _gro ? controls + (i * ControlSize) : null,
                            ControlLength = _gro ? ControlSize : 0u,
                        },
                    };
                }

                bool polling = pollUntil != 0;
                int count = LinuxUdp.RecvMMsg(fd, messages, ReceiveBatch, polling ? LinuxUdp.MsgDontWait : LinuxUdp.MsgWaitForOne, null);
                if (count <= 0)
                {
                    int error = count < 0 ? Marshal.GetLastPInvokeError() : 0;
                    if (polling && UdpClock.Now >= pollUntil)
                    {
                        pollUntil = 0; // nothing came while polling: block from now on
                    }
                    else if (polling)
                    {
                        Thread.Yield();
                    }
                    else if (error != LinuxUdp.EAgain && error != LinuxUdp.EIntr && ++failures > 3)
                    {
                        // A blocking call that keeps failing at once (an error that repeats): do not spin on it.
                        Thread.Sleep(1);
                    }

                    // EAGAIN (the timeout, or nothing while polling), EINTR, an ICMP error, or 0 after shutdown.
                    continue;
                }

                failures = 0;

                for (int i = 0; i < count; i++)
                {
                    ref LinuxUdp.MMsgHdr m = ref messages[i];
                    int length = (int)m.Length;
                    int nameLength = (int)m.Header.NameLength;
                    if ((m.Header.Flags & LinuxUdp.MsgTrunc) != 0 || nameLength > sourceBytes.Length)
                    {
                        handler([], source); // counted as malformed
                        continue;
                    }

                    new ReadOnlySpan<byte>(names + (i * NameSize), nameLength).CopyTo(sourceBytes);
                    source.Size = nameLength;
                    int segment = length;
                    if (_gro && m.Header.ControlLength >= LinuxUdp.CmsgHeader + sizeof(int))
                    {
                        segment = GroSegmentSize(controls + (i * ControlSize), (int)m.Header.ControlLength, length);
                    }

                    byte* data = iovs[i].Base;
                    for (int offset = 0; offset < length; offset += segment)
                    {
                        handler(new ReadOnlySpan<byte>(data + offset, Math.Min(segment, length - offset)), source);
                    }
                }

                batchEnd();
                if (_busyPollMicros > 0)
                {
                    pollUntil = UdpClock.Now + _busyPollMicros;
                }
            }
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            NativeMemory.AlignedFree(block);
            if (added)
            {
                handle.DangerousRelease();
            }

            if (_closeOnExit)
            {
                _socket.Dispose();
            }
        }
    }

    /// <summary>The segment size of a coalesced run from its <c>UDP_GRO</c> control message, or the whole length.</summary>
    private static unsafe int GroSegmentSize(byte* control, int controlLength, int length)
    {
        int offset = 0;
        while (offset + LinuxUdp.CmsgHeader <= controlLength)
        {
            nuint cmsgLength = *(nuint*)(control + offset);
            int level = *(int*)(control + offset + 8);
            int type = *(int*)(control + offset + 12);
            if (cmsgLength < LinuxUdp.CmsgHeader || cmsgLength > (nuint)(controlLength - offset))
            {
                break;
            }

            if (level == LinuxUdp.SolUdp && type == LinuxUdp.UdpGro && cmsgLength >= LinuxUdp.CmsgHeader + sizeof(int))
            {
                int segment = *(int*)(control + offset + LinuxUdp.CmsgHeader);
                return segment > 0 ? segment : length;
            }

            offset += (int)((cmsgLength + 7) & ~(nuint)7);
        }

        return length;
    }
}
