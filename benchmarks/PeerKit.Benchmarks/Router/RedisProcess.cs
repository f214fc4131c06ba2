using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PeerKit.Benchmarks.Routers;

/// <summary>A redis-server the cluster benchmarks start on a free loopback port (no persistence) and always stop.</summary>
internal sealed class RedisProcess : IDisposable
{
    /// <summary>Where the Debian package <c>redis-server</c> installs the server.</summary>
    public const string Executable = "/usr/bin/redis-server";

    private readonly Process _process;

    private RedisProcess(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public string Url => $"redis://127.0.0.1:{Port}";

    /// <summary>Starts redis-server and waits (bounded) until it answers PING.</summary>
    public static RedisProcess Start(TimeSpan readyTimeout)
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"{Executable} is missing: install the Debian package redis-server (apt-get update && apt-get install -y redis-server).");
        }

        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var info = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in new[] { "--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no" })
        {
            info.ArgumentList.Add(arg);
        }

        Process process = Process.Start(info) ?? throw new InvalidOperationException("redis-server did not start.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new RedisProcess(process, port);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Dispose();
        var clock = Stopwatch.StartNew();
        while (!server.Ping())
        {
            if (process.HasExited || clock.Elapsed > readyTimeout)
            {
                server.Dispose();
                throw new TimeoutException($"redis-server did not answer PING within {readyTimeout.TotalSeconds} s.");
            }

            Thread.Sleep(50);
        }

        return server;
    }

    public void Dispose()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
        }
    }

    private bool Ping()
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, Port);
            client.ReceiveTimeout = 1000;
            NetworkStream stream = client.GetStream();
            stream.Write("PING\r\n"u8);
            byte[] buffer = new byte[16];
            int read = stream.Read(buffer);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return false;
        }
    }
}
