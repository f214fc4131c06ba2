namespace PeerKit.Tests.Radios;

/// <summary>The simulated medium through the managed API, with the manual clock: exact and fast.</summary>
public sealed class SimulatedMediumTests
{
    private static List<(uint Sender, int Rssi, byte First)> Run(ulong seed)
    {
        using var medium = new SimulatedMedium(new SimulatedMediumOptions { Seed = seed, ManualClock = true, ExtraLoss = 0.3 });
        using Radio a = medium.OpenRadio(1), b = medium.OpenRadio(2, 8), c = medium.OpenRadio(3, 0, 20);
        var received = new List<(uint, int, byte)>();
        for (int i = 0; i < 300; i++)
        {
            (i % 2 == 0 ? a : c).Send([0xFF, 0x80, (byte)i]);
            medium.Time += 400;
            while (b.TryReceive(out NativeRadioFrame frame, 0))
            {
                received.Add((frame.Sender, frame.RssiDbm, GetFirst(frame)));
            }
        }

        return received;
    }

    private static byte GetFirst(NativeRadioFrame frame) => frame.ToArray()[2];

    [Fact]
    public void The_same_seed_gives_the_same_deliveries_and_another_seed_does_not()
    {
        List<(uint, int, byte)> first = Run(42), second = Run(42), other = Run(43);

        Assert.InRange(first.Count, 150, 270); // about 70 % of 300, minus what the far sender loses to noise
        Assert.Equal(first, second);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void Frames_are_delivered_only_after_their_airtime()
    {
        using var medium = new SimulatedMedium(new SimulatedMediumOptions { ManualClock = true });
        using Radio a = medium.OpenRadio(1), b = medium.OpenRadio(2, 1);

        a.Send(new byte[62]);
        medium.Time = 284; // 62 bytes at 2 Mbit/s take 285 µs
        Assert.False(b.TryReceive(out _, 0));
        medium.Time = 285;
        Assert.True(b.TryReceive(out NativeRadioFrame frame, 0));
        Assert.Equal(285ul, frame.TimestampMicroseconds);
        Assert.Equal(RadioError.InvalidArgument, Assert.Throws<RadioException>(() => medium.Time = 100).Error);
    }
}
