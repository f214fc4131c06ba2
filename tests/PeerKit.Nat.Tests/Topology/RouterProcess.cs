using System.Diagnostics;
using System.Text;

namespace PeerKit.Nat.Tests.Topology;

/// <summary>
/// The router program (src/Router, <c>PeerKit.Router.dll --listen udp://0.0.0.0:PORT</c>, what
/// <c>dotnet run --project src/Router</c> runs) started inside a namespace with <c>ip netns exec</c>. It is ready when it
/// prints its listen address, which carries its node id; dispose kills it.
/// </summary>
internal sealed class RouterProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<string> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private RouterProcess(Process process)
    {
        _process = process;
    }

    /// <summary>The router's node id, from the address it printed.</summary>
    public NodeId Id { get; private set; }

    public static async Task<RouterProcess> StartAsync(string ip, string ns, int port, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(ip)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in new[] { "netns", "exec", ns, BuiltPrograms.DotNet, RouterPath, "--listen", $"udp://0.0.0.0:{port}" })
        {
            info.ArgumentList.Add(a);
        }

        var router = new RouterProcess(Process.Start(info)!);
        router._process.OutputDataReceived += (_, e) => router.OnLine(e.Data);
        router._process.ErrorDataReceived += (_, e) => router.OnLine(e.Data);
        router._process.Exited += (_, _) => router._listening.TrySetException(new InvalidOperationException($"the router exited:\n{router.Output()}"));
        router._process.EnableRaisingEvents = true;
        router._process.BeginOutputReadLine();
        router._process.BeginErrorReadLine();
        try
        {
            // "router listening on udp://<id>@0.0.0.0:<port>"
            string address = await router._listening.Task.WaitAsync(timeout);
            router.Id = NodeAddress.Parse(address).Id ?? throw new InvalidOperationException($"the router printed an address without its id: {address}");
            return router;
        }
        catch (TimeoutException)
        {
            await router.DisposeAsync();
            throw new TimeoutException($"the router did not print its address within {timeout.TotalSeconds} s:\n{router.Output()}");
        }
        catch
        {
            await router.DisposeAsync();
            throw;
        }
    }

    /// <summary>What the router printed.</summary>
    public string Output()
    {
        lock (_output)
        {
            return _output.ToString();
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _process.WaitForExitAsync(wait.Token);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or OperationCanceledException)
        {
        }

        _process.Dispose();
    }

    private static string RouterPath => BuiltPrograms.Metadata(typeof(RouterProcess).Assembly, "PeerKit.RouterPath");

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            if (_output.Length < 20_000)
            {
                _output.AppendLine(line);
            }
        }

        const string Listening = "router listening on ";
        if (line.StartsWith(Listening, StringComparison.Ordinal))
        {
            _listening.TrySetResult(line[Listening.Length..].Trim());
        }
    }
}
