using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace PeerKit.Benchmarks;

/// <summary>
/// Runs the benchmarks: <c>dotnet run -c Release -- --filter '*'</c> (add <c>--job short</c> for a quick run).
/// Before anything is measured, checks that PeerKit and Google.Protobuf write the same bytes for every message.
/// </summary>
public static class Program
{
    /// <summary>The entry point; returns 1 when a check or a benchmark failed.</summary>
    public static int Main(string[] args)
    {
        if (args is ["--probe", ..])
        {
            return Probe.Run(args);
        }

        if (args is ["--router-sessions", ..])
        {
            return Routers.RouterSessionMemory.Run(args);
        }

        if (args is ["--cluster-sessions", ..])
        {
            return Routers.ClusterSessionMemory.Run(args);
        }

        if (args is ["--router-session-clients", ..])
        {
            return Routers.RouterSessionMemory.RunClients(args);
        }

        Fixtures.Verify(Console.Out);
        ShapeFixtures.Verify(Console.Out);
        IEnumerable<Summary> summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, BenchmarkConfig.Create(args));
        bool failed = summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success));
        return failed ? 1 : 0;
    }
}
