namespace PeerKit.Tests.Hostile;

/// <summary>
/// Tests that measure the whole process's allocations or heap (GC.GetTotalAllocatedBytes, GC.GetTotalMemory) run in
/// this collection, which xunit runs alone after the parallel tests: another test allocating meanwhile would be
/// counted against them (a clean-clone CI run saw 1 GiB from the flood soak counted against the TCP prefix test).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideMemory
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Process-wide memory";
}
