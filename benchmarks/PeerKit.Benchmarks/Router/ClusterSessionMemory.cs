using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using PeerKit.Routing;

namespace PeerKit.Benchmarks.Routers;

/// <summary>
/// Sessions per router with the cluster on (<c>dotnet run -c Release -- --cluster-sessions 300</c>): the same N idle
/// sessions on one router, first alone (the baseline, <c>LocalBackplane</c>), then in a cluster on a <c>redis-server</c>
/// this program starts on loopback. Clients live in child processes (the <c>--router-session-clients</c> mode of
/// <see cref="RouterSessionMemory"/>), so this process's managed heap after a full collection holds the router and
/// none of the clients. Per idle session it prints: router heap bytes (alone, clustered, their ratio), Redis memory
/// (<c>INFO memory</c> used_memory, after minus before, over N) and Redis commands per minute (<c>INFO
/// commandstats</c> over an idle window after <c>CONFIG RESETSTAT</c>: the directory's refresh, and the Redis client's
/// keep-alive, which does not grow with sessions).
/// </summary>
internal static class ClusterSessionMemory
{
    private const int WarmUp = 32;
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(5);

    /// <summary><c>--cluster-sessions N</c>; returns the exit code.</summary>
    public static int Run(string[] args)
    {
        int sessions = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 300;
        return RunAsync(sessions).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(int sessions)
    {
        Console.WriteLine($"{sessions} idle sessions on one router, {WarmUp} warm-up sessions first; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        (double alone, int addedAlone) = await MeasureAsync(sessions, redis: null);
        Console.WriteLine($"alone: {alone:N0} B per idle session (router heap, {addedAlone} added)");

        using RedisProcess redis = RedisProcess.Start(TimeSpan.FromSeconds(15));
        (double clustered, int addedClustered) = await MeasureAsync(sessions, redis);
        Console.WriteLine($"clustered: {clustered:N0} B per idle session (router heap, {addedClustered} added)");
        Console.WriteLine($"ratio clustered / alone: {clustered / alone:F2}");
        return addedAlone == sessions && addedClustered == sessions ? 0 : 1;
    }

    private static async Task<(double BytesPerSession, int Added)> MeasureAsync(int sessions, RedisProcess? redis)
    {
        var options = new RouterOptions { ListenAddresses = { NodeAddress.Parse("udp://127.0.0.1:0") }, MaxSessions = sessions + WarmUp + 16 };
        if (redis is not null)
        {
            options.Cluster = new RouterClusterOptions { ConnectionString = redis.Url, RouterId = "r0" };
        }

        await using var router = new PeerKit.Routing.Router(options);
        await router.StartAsync();
        string address = router.ListenAddresses[0].ToString();
        var children = new List<Process>();
        try
        {
            await RouterSessionMemory.StartClientsAsync(children, address, WarmUp);
            await RouterSessionMemory.WaitForSessionsAsync(router, WarmUp, TimeSpan.FromSeconds(60));
            await Task.Delay(Idle);
            long before = RouterSessionMemory.Settle();
            int sessionsBefore = router.SessionCount;
            long redisBefore = redis is null ? 0 : UsedMemory(redis);

            await RouterSessionMemory.StartClientsAsync(children, address, sessions);
            await RouterSessionMemory.WaitForSessionsAsync(router, WarmUp + sessions, TimeSpan.FromSeconds(60));
            await Task.Delay(Idle);
            long after = RouterSessionMemory.Settle();
            int added = router.SessionCount - sessionsBefore;
            Console.WriteLine($"{(redis is null ? "alone" : "clustered")}: router sessions {sessionsBefore} -> {router.SessionCount}, managed heap {before:N0} B -> {after:N0} B");

            if (redis is not null)
            {
                long redisAfter = UsedMemory(redis);
                Console.WriteLine($"redis used_memory {redisBefore:N0} B -> {redisAfter:N0} B: {(redisAfter - redisBefore) / (double)added:N0} B per session");
                Info(redis, "CONFIG", "RESETSTAT");
                await Task.Delay(Window);
                Dictionary<string, long> calls = CommandCalls(redis);
                double minutes = Window.TotalMinutes;
                long total = calls.Values.Sum();
                int held = router.SessionCount;
                Console.WriteLine($"redis commands over {Window.TotalSeconds:F0} s idle with {held} sessions: {total} ({string.Join(", ", calls.Select(c => $"{c.Key} {c.Value}"))})");
                // commandstats counts the commands a script runs too: the refresh script's GET and PEXPIRE of each key.
                long scripts = calls.Where(c => c.Key is "evalsha" or "eval").Sum(c => c.Value);
                long inScripts = calls.Where(c => c.Key is "get" or "pexpire" or "set").Sum(c => c.Value);
                Console.WriteLine($"per idle session per minute: {scripts / (double)held / minutes:F3} requests (refresh script calls, one per 256 sessions), "
                    + $"{inScripts / (double)held / minutes:F1} commands run inside them (GET and PEXPIRE of its key), {total / (double)held / minutes:F1} all commands; "
                    + $"keep-alive PINGs {calls.GetValueOrDefault("ping") / minutes:F0} per minute whatever the sessions");
                ClusterStatistics statistics = router.GetClusterStatistics();
                Console.WriteLine($"router's Redis operations (its own count, whole run): {statistics.RedisOperations}");
            }

            return ((after - before) / (double)added, added);
        }
        finally
        {
            RouterSessionMemory.StopClients(children);
        }
    }

    private static long UsedMemory(RedisProcess redis) =>
        long.Parse(Field(Info(redis, "INFO", "memory"), "used_memory"), CultureInfo.InvariantCulture);

    /// <summary>Calls per command from <c>INFO commandstats</c> (the INFO and CONFIG calls of this program left out).</summary>
    private static Dictionary<string, long> CommandCalls(RedisProcess redis)
    {
        var calls = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (string line in Info(redis, "INFO", "commandstats").Split("\r\n"))
        {
            // cmdstat_get:calls=3,usec=…
            if (line.StartsWith("cmdstat_", StringComparison.Ordinal) && line.IndexOf(":calls=", StringComparison.Ordinal) is int at and > 0)
            {
                string name = line[8..at];
                int end = line.IndexOf(',', at);
                long count = long.Parse(line[(at + 7)..end], CultureInfo.InvariantCulture);
                if (name is not "info" and not "config" && !name.StartsWith("config|", StringComparison.Ordinal))
                {
                    calls[name] = count;
                }
            }
        }

        return calls;
    }

    private static string Field(string info, string name) =>
        info.Split("\r\n").First(l => l.StartsWith(name + ":", StringComparison.Ordinal))[(name.Length + 1)..];

    /// <summary>One command in RESP on a connection of its own; the reply as text (bulk or simple string).</summary>
    private static string Info(RedisProcess redis, params string[] command)
    {
        using var client = new TcpClient();
        client.Connect(IPAddress.Loopback, redis.Port);
        client.ReceiveTimeout = 5000;
        NetworkStream stream = client.GetStream();
        var request = new StringBuilder($"*{command.Length}\r\n");
        foreach (string part in command)
        {
            request.Append(CultureInfo.InvariantCulture, $"${part.Length}\r\n{part}\r\n");
        }

        stream.Write(Encoding.ASCII.GetBytes(request.ToString()));
        var reply = new MemoryStream();
        byte[] buffer = new byte[16 * 1024];
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            int read = stream.Read(buffer);
            if (read == 0)
            {
                break;
            }

            reply.Write(buffer, 0, read);
            string text = Encoding.ASCII.GetString(reply.GetBuffer(), 0, (int)reply.Length);
            if (text.StartsWith('+') || text.StartsWith('-'))
            {
                return text.TrimEnd();
            }

            int header = text.IndexOf("\r\n", StringComparison.Ordinal);
            if (text.StartsWith('$') && header > 0 && text.Length >= header + 2 + int.Parse(text[1..header], CultureInfo.InvariantCulture))
            {
                return text.Substring(header + 2, int.Parse(text[1..header], CultureInfo.InvariantCulture));
            }
        }

        throw new TimeoutException($"redis did not answer {command[0]} in time.");
    }
}
