using System.Diagnostics;
using PeerKit.Routing;

namespace PeerKit.Benchmarks.Routers;

/// <summary>
/// Memory per idle session on the router (<c>dotnet run -c Release -- --router-sessions 10000</c>): the router runs in
/// this process, its clients in child processes of this program (<c>--router-session-clients</c>), so this process's
/// managed heap (<see cref="GC.GetTotalMemory(bool)"/> after a full collection) holds the router's sessions and none
/// of the clients'. Measured once with a few warm-up sessions and again with N more, all idle for a few seconds:
/// bytes per session = the difference over N.
/// </summary>
internal static class RouterSessionMemory
{
    private const int WarmUp = 32;
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(10);

    /// <summary>The parent: <c>--router-sessions N [--clients-per-process K]</c>; returns the exit code.</summary>
    public static int Run(string[] args)
    {
        int sessions = int.Parse(args[1]);
        int perProcess = args is [_, _, "--clients-per-process", var k, ..] ? int.Parse(k) : 1_000;
        return RunAsync(sessions, perProcess).GetAwaiter().GetResult();
    }

    /// <summary>The child: <c>--router-session-clients &lt;router address&gt; &lt;count&gt;</c>; holds the clients until its standard input closes.</summary>
    public static int RunClients(string[] args)
    {
        NodeAddress router = NodeAddress.Parse(args[1]);
        int count = int.Parse(args[2]);
        var clients = new RouterClient[count];
        int failed = 0;
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var client = new RouterClient(
                new PeerNodeOptions { ListenAddresses = { NodeAddress.Parse("udp://127.0.0.1:0") } },
                new RouterClientOptions { Router = router, AttachTimeout = TimeSpan.FromSeconds(30) });
            try
            {
                client.StartAsync().GetAwaiter().GetResult();
                clients[i] = client;
            }
            catch (Exception e)
            {
                if (Interlocked.Increment(ref failed) == 1)
                {
                    Console.Error.WriteLine($"client failed: {e.GetType().Name}: {e.Message}");
                }

                client.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        });
        Console.WriteLine($"ready {count - failed} {failed}");
        Console.Out.Flush();
        while (Console.In.ReadLine() is not null)
        {
        }

        // The router measured is gone or about to go: end at once rather than closing 1,000 sessions politely.
        Environment.Exit(0);
        return 0;
    }

    private static async Task<int> RunAsync(int sessions, int perProcess)
    {
        var options = new RouterOptions { ListenAddresses = { NodeAddress.Parse("udp://127.0.0.1:0") }, MaxSessions = sessions + WarmUp + 16 };
        await using var router = new PeerKit.Routing.Router(options);
        await router.StartAsync();
        string address = router.ListenAddresses[0].ToString();
        var children = new List<Process>();
        try
        {
            var clock = Stopwatch.StartNew();
            await StartClientsAsync(children, address, WarmUp);
            await WaitForSessionsAsync(router, WarmUp, TimeSpan.FromSeconds(30));
            await Task.Delay(Idle);
            long before = Settle();
            int sessionsBefore = router.SessionCount;

            int remaining = sessions;
            while (remaining > 0)
            {
                int count = Math.Min(perProcess, remaining);
                await StartClientsAsync(children, address, count);
                remaining -= count;
                Console.WriteLine($"{router.SessionCount} sessions after {clock.Elapsed.TotalSeconds:F0} s");
            }

            await WaitForSessionsAsync(router, WarmUp + sessions, TimeSpan.FromSeconds(30));
            await Task.Delay(Idle);
            long after = Settle();
            int added = router.SessionCount - sessionsBefore;
            Console.WriteLine($"router sessions: {sessionsBefore} -> {router.SessionCount} (added {added}) in {clock.Elapsed.TotalSeconds:F0} s");
            Console.WriteLine($"managed heap: {before:N0} B -> {after:N0} B");
            Console.WriteLine($"bytes per idle session: {(after - before) / (double)added:N0} B ({(after - before) / (double)added / 1024:F2} KiB; target <= 16 KiB)");
            Console.WriteLine($"process working set: {Environment.WorkingSet:N0} B");
            return added == sessions ? 0 : 1;
        }
        finally
        {
            StopClients(children);
        }
    }

    /// <summary>Ends the client processes (their standard input closes; killed after 10 s).</summary>
    internal static void StopClients(List<Process> children)
    {
        foreach (Process child in children)
        {
            try
            {
                child.StandardInput.Close();
                if (!child.WaitForExit(10_000))
                {
                    child.Kill(entireProcessTree: true);
                }
            }
            catch (InvalidOperationException)
            {
            }

            child.Dispose();
        }
    }

    /// <summary>A compacting full collection, then the managed heap size (also used by ClusterSessionMemory).</summary>
    internal static long Settle()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        long bytes = GC.GetTotalMemory(forceFullCollection: true);
        return bytes;
    }

    /// <summary>Starts a child process of idle clients attached to the router (also used by ClusterSessionMemory).</summary>
    internal static async Task StartClientsAsync(List<Process> children, string router, int count)
    {
        string self = Environment.ProcessPath!;
        string dll = typeof(RouterSessionMemory).Assembly.Location;
        var info = new ProcessStartInfo(self) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            info.ArgumentList.Add(dll);
        }

        info.ArgumentList.Add("--router-session-clients");
        info.ArgumentList.Add(router);
        info.ArgumentList.Add(count.ToString());
        Process child = Process.Start(info) ?? throw new InvalidOperationException("The client process did not start.");
        children.Add(child);
        using var timeout = new CancellationTokenSource(Bound);
        string? line = await child.StandardOutput.ReadLineAsync(timeout.Token);
        if (line is null || !line.StartsWith("ready ", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"A client process ended without its clients: {line}");
        }

        if (!line.EndsWith(" 0", StringComparison.Ordinal))
        {
            Console.WriteLine($"client process: {line} (started, failed)");
        }
    }

    /// <summary>Waits, at most the bound, until the router holds that many open sessions.</summary>
    internal static async Task WaitForSessionsAsync(PeerKit.Routing.Router router, int count, TimeSpan bound)
    {
        var clock = Stopwatch.StartNew();
        while (router.SessionCount < count && clock.Elapsed < bound)
        {
            await Task.Delay(100);
        }
    }
}
