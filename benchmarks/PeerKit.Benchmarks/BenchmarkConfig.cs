using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;

namespace PeerKit.Benchmarks;

/// <summary>The suite's configuration: BenchmarkDotNet's defaults, a median column, and a job sized for a small, shared machine.</summary>
public static class BenchmarkConfig
{
    /// <summary>
    /// The job used when the command line names none: two launches of 5 warmup and 15 measured iterations.
    /// Fixed counts keep a run bounded (about half a minute per benchmark on a 2-core machine) where
    /// BenchmarkDotNet's default job, which iterates until the error is small, can take 100 iterations on a
    /// noisy one; two launches average out a process that landed on a busy core.
    /// </summary>
    public static Job NoisyMachineJob { get; } = Job.Default
        .WithId("Noisy2Core")
        .WithLaunchCount(2)
        .WithWarmupCount(5)
        .WithIterationCount(15);

    /// <summary>
    /// The configuration for <paramref name="args"/>: with <c>--job</c> (<c>short</c>, <c>medium</c>, <c>dry</c>…)
    /// BenchmarkDotNet's job of that name, else <see cref="NoisyMachineJob"/>. Other job options on the
    /// command line (<c>--iterationCount</c>, <c>--launchCount</c>…) apply on top of either.
    /// </summary>
    public static IConfig Create(IReadOnlyList<string> args)
    {
        IConfig config = DefaultConfig.Instance.AddColumn(StatisticColumn.Median);
        return NamesJob(args) ? config : config.AddJob(NoisyMachineJob.AsDefault());
    }

    private static bool NamesJob(IReadOnlyList<string> args) =>
        args.Any(a => a is "-j" or "--job" || a.StartsWith("--job=", StringComparison.Ordinal));
}
