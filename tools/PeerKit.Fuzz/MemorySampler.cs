using System.Diagnostics;

namespace PeerKit.Fuzz;

/// <summary>Samples the managed heap and the working set every 50 ms and keeps the peaks.</summary>
internal sealed class MemorySampler : IDisposable
{
    private readonly Timer _timer;
    private long _peakHeap;
    private long _peakWorkingSet;

    public MemorySampler()
    {
        Sample();
        _timer = new Timer(_ => Sample(), null, 50, 50);
    }

    public long PeakManagedHeap => Interlocked.Read(ref _peakHeap);

    public long PeakWorkingSet => Interlocked.Read(ref _peakWorkingSet);

    /// <summary>Starts the peaks again from now.</summary>
    public void Reset()
    {
        Interlocked.Exchange(ref _peakHeap, 0);
        Interlocked.Exchange(ref _peakWorkingSet, 0);
        Sample();
    }

    public void Dispose() => _timer.Dispose();

    private void Sample()
    {
        long heap = GC.GetTotalMemory(forceFullCollection: false);
        long workingSet;
        using (Process self = Process.GetCurrentProcess())
        {
            workingSet = self.WorkingSet64;
        }

        Max(ref _peakHeap, heap);
        Max(ref _peakWorkingSet, workingSet);
    }

    private static void Max(ref long peak, long value)
    {
        long current;
        while (value > (current = Interlocked.Read(ref peak)) && Interlocked.CompareExchange(ref peak, value, current) != current)
        {
        }
    }
}
