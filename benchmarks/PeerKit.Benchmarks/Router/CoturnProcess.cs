using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace PeerKit.Benchmarks.Routers;

/// <summary>
/// A coturn <c>turnserver</c> that the benchmark starts on a free loopback port and always stops: UDP only, no
/// authentication, loopback peers allowed, relay ports on 127.0.0.1. Ready once it answers an Allocate.
/// </summary>
internal sealed class CoturnProcess : IDisposable
{
    /// <summary>Where the Debian package <c>coturn</c> installs the server.</summary>
    public const string Executable = "/usr/bin/turnserver";

    private readonly Process _process;

    private CoturnProcess(Process process, IPEndPoint address)
    {
        _process = process;
        Address = address;
    }

    /// <summary>The server's listening address.</summary>
    public IPEndPoint Address { get; }

    /// <summary>Starts turnserver and waits (bounded) until it allocates; throws with the reason when it cannot.</summary>
    public static CoturnProcess Start(TimeSpan readyTimeout)
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"{Executable} is missing: install the Debian package coturn (apt-get update && apt-get install -y coturn).");
        }

        int port = FreeUdpPort();
        var info = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[]
                 {
                     "-n", "--no-auth", "--allow-loopback-peers", "--listening-ip=127.0.0.1", $"--listening-port={port}",
                     "--relay-ip=127.0.0.1", "--min-port=40000", "--max-port=40999", "--no-tcp", "--no-tls", "--no-dtls",
                     "--no-tcp-relay", "--no-cli", "--no-rfc5780", "--no-stun-backward-compatibility", "--realm=peerkit.bench",
                     "--log-file=stdout", "--simple-log",
                 })
        {
            info.ArgumentList.Add(arg);
        }

        Process process = Process.Start(info) ?? throw new InvalidOperationException("turnserver did not start.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new CoturnProcess(process, new IPEndPoint(IPAddress.Loopback, port));
        try
        {
            var clock = Stopwatch.StartNew();
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            probe.ReceiveTimeout = 200;
            while (true)
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"turnserver exited with {process.ExitCode} before it was ready.");
                }

                if (TurnWire.TryAllocate(probe, server.Address, out _))
                {
                    return server;
                }

                if (clock.Elapsed > readyTimeout)
                {
                    throw new TimeoutException($"turnserver did not answer an Allocate within {readyTimeout.TotalSeconds} s.");
                }
            }
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>Stops the server (kills it) and waits for it to exit.</summary>
    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5_000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }

    private static int FreeUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
