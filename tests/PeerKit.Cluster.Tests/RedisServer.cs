using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PeerKit.Cluster.Tests;

/// <summary>
/// A redis-server process of the test's own, on a free loopback port, with no persistence (a restart starts empty, as
/// a lost Redis does). Killed on dispose, and when the test process exits, even after a failure.
/// </summary>
internal sealed class RedisServer : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);
    private readonly string _program;
    private Process? _process;

    private RedisServer(string program, int port)
    {
        _program = program;
        Port = port;
    }

    public int Port { get; }

    /// <summary><c>redis://127.0.0.1:port</c>, as <c>--cluster</c> takes it.</summary>
    public string Url => $"redis://127.0.0.1:{Port}";

    /// <summary>Starts a server; fails with why when redis-server is missing and cannot be installed.</summary>
    public static async Task<RedisServer> StartAsync()
    {
        string program;
        try
        {
            program = SystemTools.Require("redis-server", "redis-server");
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidOperationException($"These tests need redis-server (Debian package redis-server; .ci/run installs it): {e.Message}", e);
        }

        var server = new RedisServer(program, FreePort());
        try
        {
            await server.StartAgainAsync();
        }
        catch
        {
            server.Dispose();
            throw;
        }

        return server;
    }

    /// <summary>Starts the process (again, after <see cref="Kill"/>), on the same port, and waits until it answers PING.</summary>
    public async Task StartAgainAsync()
    {
        var info = new ProcessStartInfo(_program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[] { "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no" })
        {
            info.ArgumentList.Add(argument);
        }

        _process = Process.Start(info) ?? throw new InvalidOperationException("redis-server did not start.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        AppDomain.CurrentDomain.ProcessExit += KillOnExit;
        var clock = Stopwatch.StartNew();
        while (!await PingAsync())
        {
            if (clock.Elapsed > StartTimeout || _process.HasExited)
            {
                throw new InvalidOperationException($"redis-server on port {Port} did not answer within {StartTimeout} (exited: {_process.HasExited}).");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Kills the process at once (SIGKILL), as a crash.</summary>
    public void Kill()
    {
        if (_process is { } process)
        {
            try
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
            catch (InvalidOperationException)
            {
            }

            process.Dispose();
            _process = null;
        }

        AppDomain.CurrentDomain.ProcessExit -= KillOnExit;
    }

    public void Dispose() => Kill();

    private void KillOnExit(object? sender, EventArgs e) => Kill();

    private async Task<bool> PingAsync()
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await client.ConnectAsync(IPAddress.Loopback, Port, timeout.Token);
            NetworkStream stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), timeout.Token);
            byte[] buffer = new byte[16];
            int read = await stream.ReadAsync(buffer, timeout.Token);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or IOException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
