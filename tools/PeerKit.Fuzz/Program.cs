using PeerKit.Fuzz;

// PeerKit.Fuzz: the mutation fuzzer and the floods of issue 13 (see tools/PeerKit.Fuzz/README.md).
//   dotnet run -c Release --project tools/PeerKit.Fuzz -- fuzz [inputs] [seed]
//   dotnet run -c Release --project tools/PeerKit.Fuzz -- attack [seconds]
// Exit code 0 when every check held, 1 when one failed, 2 on bad arguments.
string mode = args.Length > 0 ? args[0] : "fuzz";
try
{
    switch (mode)
    {
        case "fuzz":
        {
            long inputs = args.Length > 1 ? long.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000;
            int seed = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 13;
            Console.WriteLine($"PeerKit.Fuzz: {inputs:N0} mutated UDP datagrams (TCP inputs beside them), seed {seed}, {Environment.ProcessorCount} cores");
            FuzzReport report = await FuzzCampaign.RunAsync(new FuzzSettings { UdpInputs = inputs, Seed = seed, Progress = Console.Out });
            report.Print(Console.Out);
            return report.Passed ? 0 : 1;
        }

        case "attack":
        {
            double seconds = args.Length > 1 ? double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5;
            Console.WriteLine($"PeerKit.Fuzz attack: each flood for {seconds} s, heap hard limit {Environment.GetEnvironmentVariable("DOTNET_GCHeapHardLimit") ?? "none"}");
            AttackReport report = await AttackCampaign.RunAsync(TimeSpan.FromSeconds(seconds), Console.Out);
            report.Print(Console.Out);
            return report.Passed ? 0 : 1;
        }

        default:
            Console.Error.WriteLine("usage: PeerKit.Fuzz fuzz [inputs] [seed] | attack [seconds]");
            return 2;
    }
}
catch (OutOfMemoryException e)
{
    Console.WriteLine($"OutOfMemoryException: {e}");
    return 3;
}
