using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace PeerKit.Links.Udp;

/// <summary>
/// The Linux system calls .NET's <see cref="Socket"/> does not expose: <c>recvmmsg</c> (many datagrams per call),
/// UDP generic segmentation offload (<c>UDP_SEGMENT</c>: one <c>sendmsg</c> carries up to 64 equal-size datagrams)
/// and generic receive offload (<c>UDP_GRO</c>: the kernel hands over a run of same-size datagrams from one sender as
/// one buffer plus its segment size). Used on 64-bit Linux only, where the structure layouts below hold.
/// </summary>
internal static unsafe partial class LinuxUdp
{
    public const int SolUdp = 17;
    public const int UdpSegment = 103;
    public const int UdpGro = 104;
    public const int SolSocket = 1;
    public const int SolIp = 0;
    public const int SolIpv6 = 41;
    public const int IpMtuDiscover = 10;
    public const int Ipv6MtuDiscover = 23;

    /// <summary>
    /// <c>IP_PMTUDISC_PROBE</c> (and <c>IPV6_PMTUDISC_PROBE</c>, the same value): set DF, never fragment, and ignore
    /// the kernel's cached path MTU, so a datagram up to the interface's MTU leaves as it is (larger ones fail with
    /// <c>EMSGSIZE</c>). What datagram PLPMTUD needs (RFC 8899 §6.1; QUIC stacks set the same).
    /// </summary>
    public const int PmtuDiscProbe = 3;
    public const int SoRcvTimeo = 20;
    public const int MsgDontWait = 0x40;
    public const int MsgTrunc = 0x20;
    public const int MsgWaitForOne = 0x10000;
    public const int ShutRdWr = 2;
    public const int EIntr = 4;
    public const int EIo = 5;
    public const int EAgain = 11;
    public const int EInval = 22;
    public const int EMsgSize = 90;

    /// <summary>The size of <c>struct cmsghdr</c> and the alignment of its data on LP64.</summary>
    public const int CmsgHeader = 16;

    /// <summary>Linux's <c>UDP_MAX_SEGMENTS</c> on every kernel that has <c>UDP_SEGMENT</c> (4.18 and later).</summary>
    public const int MaxSegments = 64;

    /// <summary>True where the structure layouts and constants here are the kernel's: Linux on x64 or Arm64.</summary>
    public static bool IsSupported { get; } = OperatingSystem.IsLinux()
        && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public byte* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public byte* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public byte* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct MMsgHdr
    {
        public MsgHdr Header;
        public uint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct TimeVal
    {
        public long Seconds;
        public long Microseconds;
    }

    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    public static partial nint SendMsg(nint fd, MsgHdr* message, int flags);

    [LibraryImport("libc", EntryPoint = "recvmmsg", SetLastError = true)]
    public static partial int RecvMMsg(nint fd, MMsgHdr* messages, uint count, int flags, void* timeout);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSockOpt(nint fd, int level, int name, void* value, uint length);

    [LibraryImport("libc", EntryPoint = "shutdown", SetLastError = true)]
    public static partial int Shutdown(nint fd, int how);

    /// <summary>Sets an <c>int</c> socket option; false when the kernel refuses it.</summary>
    public static bool TrySetInt(SafeHandle socket, int level, int name, int value)
    {
        bool added = false;
        try
        {
            socket.DangerousAddRef(ref added);
            return SetSockOpt(socket.DangerousGetHandle(), level, name, &value, sizeof(int)) == 0;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
        finally
        {
            if (added)
            {
                socket.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// Sends <paramref name="buffer"/> to <paramref name="destination"/> as datagrams of <paramref name="segmentSize"/>
    /// bytes (the last may be shorter) in one <c>sendmsg</c>. Returns 0 on success, else the <c>errno</c>.
    /// </summary>
    public static int SendSegments(SafeHandle socket, ReadOnlySpan<byte> buffer, int segmentSize, SocketAddress destination)
    {
        bool added = false;
        try
        {
            socket.DangerousAddRef(ref added);
            byte* control = stackalloc byte[CmsgHeader + 8];
            new Span<byte>(control, CmsgHeader + 8).Clear();
            *(nuint*)control = (nuint)(CmsgHeader + sizeof(ushort)); // cmsg_len = CMSG_LEN(sizeof(uint16_t))
            *(int*)(control + 8) = SolUdp;
            *(int*)(control + 12) = UdpSegment;
            *(ushort*)(control + CmsgHeader) = (ushort)segmentSize;
            fixed (byte* data = buffer)
            fixed (byte* name = destination.Buffer.Span)
            {
                var iov = new IoVec { Base = data, Length = (nuint)buffer.Length };
                var message = new MsgHdr
                {
                    Name = name,
                    NameLength = (uint)destination.Size,
                    Iov = &iov,
                    IovLength = 1,
                    Control = control,
                    ControlLength = CmsgHeader + 8,
                };
                nint sent = SendMsg(socket.DangerousGetHandle(), &message, 0);
                return sent == buffer.Length ? 0 : sent < 0 ? Marshal.GetLastPInvokeError() : EMsgSize;
            }
        }
        catch (ObjectDisposedException)
        {
            return EIo;
        }
        finally
        {
            if (added)
            {
                socket.DangerousRelease();
            }
        }
    }
}
