using System.Diagnostics;
using System.Text;
using System.Threading.Channels;

namespace PeerKit.Nat.Tests.Topology;

/// <summary>
/// A host (tests/PeerKit.Nat.Host) running inside a namespace through <c>ip netns exec</c>, driven by one command line
/// at a time; each waits for its one reply line within a timeout. The host's own <c>--lifetime</c> ends it should this
/// process die without disposing it; dispose asks it to exit, then kills it.
/// </summary>
internal sealed class HostProcess : IAsyncDisposable
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(90);
    private readonly Process _process;
    private readonly Channel<string> _replies = Channel.CreateUnbounded<string>();
    private readonly StringBuilder _errors = new();
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);

    private HostProcess(Process process, string name, string ns)
    {
        _process = process;
        Name = name;
        Namespace = ns;
    }

    /// <summary>What the test calls this host (in failure messages).</summary>
    public string Name { get; }

    /// <summary>The namespace it runs in.</summary>
    public string Namespace { get; }

    /// <summary>The node id the host reported when its node started.</summary>
    public NodeId Id { get; private set; }

    /// <summary>The UDP port its node listens on.</summary>
    public int Port { get; private set; }

    public static HostProcess Start(string ip, string ns, string name)
    {
        var info = new ProcessStartInfo(ip)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in new[] { "netns", "exec", ns, BuiltPrograms.DotNet, HostPath, "--lifetime", ((int)Lifetime.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            info.ArgumentList.Add(a);
        }

        var host = new HostProcess(Process.Start(info)!, name, ns);
        host._process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                host._replies.Writer.TryComplete();
            }
            else
            {
                host._replies.Writer.TryWrite(e.Data);
            }
        };
        host._process.ErrorDataReceived += (_, e) =>
        {
            lock (host._errors)
            {
                if (host._errors.Length < 20_000)
                {
                    host._errors.AppendLine(e.Data);
                }
            }
        };
        host._process.BeginOutputReadLine();
        host._process.BeginErrorReadLine();
        return host;
    }

    /// <summary>Waits for the host's "ok ready".</summary>
    public async Task WaitReadyAsync(TimeSpan timeout) => Expect("(start)", await NextReplyAsync("(start)", timeout), "ok ready");

    /// <summary>Sends <paramref name="command"/> and returns the reply line ("ok …" or "error …").</summary>
    public async Task<string> AskAsync(string command, TimeSpan timeout)
    {
        await _oneAtATime.WaitAsync();
        try
        {
            await _process.StandardInput.WriteLineAsync(command);
            await _process.StandardInput.FlushAsync();
            return await NextReplyAsync(command, timeout);
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    /// <summary>Sends <paramref name="command"/> and returns the words after "ok"; fails the test on an error reply.</summary>
    public async Task<string[]> OkAsync(string command, TimeSpan timeout)
    {
        string reply = await AskAsync(command, timeout);
        Expect(command, reply, "ok");
        return reply.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..];
    }

    /// <summary>Starts the host's node listening on UDP <paramref name="port"/> (0: any) of every address.</summary>
    public async Task StartNodeAsync(int port = 0, TimeSpan? dialTimeout = null)
    {
        string[] words = await OkAsync($"node udp://0.0.0.0:{port} {(long)(dialTimeout ?? TimeSpan.FromSeconds(5)).TotalMilliseconds}", TimeSpan.FromSeconds(20));
        Id = NodeId.Parse(words[1]);
        Port = int.Parse(words[2], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Records the id and port of a node the host started by another command (a router client).</summary>
    public void SetNode(NodeId id, int port)
    {
        Id = id;
        Port = port;
    }

    /// <summary>What the host wrote on standard error (its diagnostics).</summary>
    public string Errors()
    {
        lock (_errors)
        {
            return _errors.ToString();
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                await _process.StandardInput.WriteLineAsync("exit");
                await _process.StandardInput.FlushAsync();
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _process.WaitForExitAsync(wait.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException)
        {
        }
        finally
        {
            try
            {
                if (!_process.HasExited)
                {
                    _process.Kill(entireProcessTree: true);
                    _process.WaitForExit(10_000);
                }
            }
            catch (InvalidOperationException)
            {
            }

            _process.Dispose();
        }
    }

    private static string HostPath => BuiltPrograms.Metadata(typeof(HostProcess).Assembly, "PeerKit.NatHostPath");

    private async Task<string> NextReplyAsync(string command, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            return await _replies.Reader.ReadAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Name} ({Namespace}) did not answer \"{command}\" within {timeout.TotalSeconds} s. Its standard error:\n{Errors()}");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"{Name} ({Namespace}) exited before answering \"{command}\". Its standard error:\n{Errors()}");
        }
    }

    private void Expect(string command, string reply, string start)
    {
        if (!reply.StartsWith(start, StringComparison.Ordinal))
        {
            throw new Xunit.Sdk.XunitException($"{Name} ({Namespace}) answered \"{command}\" with \"{reply}\", expected \"{start}…\". Its standard error:\n{Errors()}");
        }
    }
}
