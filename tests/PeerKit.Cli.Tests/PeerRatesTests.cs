using System.Diagnostics;
using PeerKit.Cli.Commands;

namespace PeerKit.Cli.Tests;

public sealed class PeerRatesTests
{
    [Fact]
    public void Rates_are_bytes_per_second_between_two_samples_and_gone_peers_are_forgotten()
    {
        var rates = new PeerRates();
        NodeId peer = NodeId.Parse(new string('b', 64));
        Assert.Equal((0.0, 0.0), rates.Update(peer, 1000, 500, 0));
        (double inRate, double outRate) = rates.Update(peer, 3000, 1500, Stopwatch.Frequency * 2);
        Assert.Equal(1000, inRate, 6);
        Assert.Equal(500, outRate, 6);

        rates.Retain([]);
        Assert.Equal((0.0, 0.0), rates.Update(peer, 9000, 9000, Stopwatch.Frequency * 3));
    }
}
