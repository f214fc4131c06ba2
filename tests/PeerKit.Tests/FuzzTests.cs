using System.Diagnostics;
using Google.Protobuf;
using PeerKit.Tests.Model;
using PeerKit.Tests.Support;
using Xunit.Abstractions;
using G = PeerKit.Tests.Google;

namespace PeerKit.Tests;

/// <summary>
/// Random and mutated inputs (seeded, so a failure replays): decoding ends in a value or a
/// <see cref="MessageFormatException"/>, never another exception; TryRead agrees with Read; and what a read
/// allocates stays within a small multiple of the input's length.
/// </summary>
public class FuzzTests(ITestOutputHelper output)
{
    private const int Inputs = 200_000;

    /// <summary>Bytes a read may allocate per input byte (objects and arrays built from it, pooled buffers rounded up).</summary>
    private const int BytesPerInputByte = 64;

    /// <summary>Bytes a read may allocate whatever its input: an exception and its message, a default nested instance.</summary>
    private const int ConstantBytes = 8 * 1024;

    private interface ITarget
    {
        string Name { get; }

        byte[][] Seeds { get; }

        /// <summary>Reads <paramref name="input"/>; true when it was valid.</summary>
        bool Read(byte[] input, bool fromSpan);

        bool TryRead(byte[] input);
    }

    private sealed class Target<T>(byte[][] seeds) : ITarget
        where T : IMessage<T>
    {
        public string Name => typeof(T).Name;

        public byte[][] Seeds => seeds;

        public bool Read(byte[] input, bool fromSpan)
        {
            try
            {
                _ = fromSpan ? MessageSerializer.Read<T>(input.AsSpan()) : MessageSerializer.Read<T>(input);
                return true;
            }
            catch (MessageFormatException e)
            {
                Assert.InRange(e.Offset, 0, input.Length);
                return false;
            }
        }

        public bool TryRead(byte[] input) => MessageSerializer.TryRead<T>(input, out _);
    }

    private static byte[][] Encode<TGoogle>(IEnumerable<TGoogle> messages)
        where TGoogle : global::Google.Protobuf.IMessage => messages.Select(m => m.ToByteArray()).Where(b => b.Length > 0).ToArray();

    private static List<ITarget> Targets()
    {
        const int count = 40;
        byte[][] scalars = Encode(Gens.Sample(Gens.Scalars, count, 1, 20));
        byte[][] repeateds = Encode(Gens.Sample(Gens.Repeateds, count, 2, 8));
        byte[][] outers = Encode(Gens.Sample(Gens.Outer, count, 3, 10));
        return
        [
            new Target<ScalarsClass>(scalars),
            new Target<ScalarsRecord>(scalars),
            new Target<ScalarsStruct>(scalars),
            new Target<Optionals>(Encode(Gens.Sample(Gens.Optionals, count, 4, 20))),
            new Target<RepeatedArrays>(repeateds),
            new Target<RepeatedLists>(repeateds),
            new Target<RepeatedReadOnlyLists>(repeateds),
            new Target<Outer>(outers),
            new Target<OuterClass>(outers),
            new Target<Recursive>(Encode(Gens.Sample(Gens.Recursive, count, 5, 30))),
            new Target<WideTags>(Encode(Gens.Sample(Gens.WideTags, count, 6, 10))),
            new Target<Block>(Encode(Gens.Sample(Gens.Block, count, 7, 10))),
            new Target<BlockClass>(Encode(Gens.Sample(Gens.Block, count, 8, 10))),
            new Target<ChatMessage>(Encode(Gens.Sample(Gens.ChatMessage, count, 9, 20))),
            new Target<AvatarTransform>(Encode(Gens.Sample(Gens.AvatarTransform, count, 10, 20))),
        ];
    }

    private static byte[] RandomVarint(Random random)
    {
        int length = random.Next(1, 12);
        byte[] bytes = new byte[length];
        for (int i = 0; i < length - 1; i++)
        {
            bytes[i] = (byte)(0x80 | random.Next(0x80));
        }

        bytes[^1] = (byte)random.Next(random.Next(2) == 0 ? 0x80 : 0x10);
        return bytes;
    }

    private static byte[] Mutate(byte[] input, byte[][] donors, Random random)
    {
        var bytes = new List<byte>(input);
        int mutations = random.Next(1, 4);
        for (int m = 0; m < mutations; m++)
        {
            int at = bytes.Count == 0 ? 0 : random.Next(bytes.Count + 1);
            switch (random.Next(9))
            {
                case 0 when bytes.Count > 0: // flip bits
                    for (int i = random.Next(1, 5); i > 0; i--)
                    {
                        int index = random.Next(bytes.Count);
                        bytes[index] ^= (byte)(1 << random.Next(8));
                    }

                    break;
                case 1: // truncate
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 2: // splice with another valid encoding
                    byte[] donor = donors[random.Next(donors.Length)];
                    int from = random.Next(donor.Length + 1);
                    bytes.RemoveRange(at, bytes.Count - at);
                    bytes.AddRange(donor.AsSpan(from).ToArray());
                    break;
                case 3: // insert a varint (often a huge length or an overlong one)
                    bytes.InsertRange(at, RandomVarint(random));
                    break;
                case 4: // insert a tag and a varint
                    bytes.InsertRange(at, [.. RandomVarint(random).Take(5), .. RandomVarint(random)]);
                    break;
                case 5 when bytes.Count > 0: // overwrite a byte with an interesting value
                    bytes[random.Next(bytes.Count)] = (byte)new[] { 0x00, 0x01, 0x07, 0x0A, 0x0B, 0x0C, 0x0E, 0x0F, 0x7F, 0x80, 0xFF }[random.Next(11)];
                    break;
                case 6 when bytes.Count > 1: // duplicate a chunk
                    int start = random.Next(bytes.Count);
                    int length = random.Next(1, Math.Min(64, bytes.Count - start) + 1);
                    bytes.InsertRange(at, bytes.GetRange(start, length));
                    break;
                case 7: // delete a chunk
                    if (bytes.Count > 0)
                    {
                        int s = random.Next(bytes.Count);
                        bytes.RemoveRange(s, random.Next(1, Math.Min(16, bytes.Count - s) + 1));
                    }

                    break;
                default: // deep nesting of field 1
                    int depth = random.Next(1, 100);
                    var nest = new List<byte>();
                    for (int d = 0; d < depth; d++)
                    {
                        nest.Add(0x0A);
                        nest.Add((byte)Math.Min(0x7F, (depth - d - 1) * 2));
                    }

                    bytes.InsertRange(at, nest);
                    break;
            }
        }

        return bytes.ToArray();
    }

    [Fact]
    public void Random_and_mutated_inputs_only_ever_throw_MessageFormatException_and_allocate_in_proportion()
    {
        var random = new Random(20_240_601);
        List<ITarget> targets = Targets();
        byte[][] allSeeds = targets.SelectMany(t => t.Seeds).ToArray();

        // Warm up: JIT, type loading and the array pools allocate once, on the first reads.
        foreach (ITarget target in targets)
        {
            foreach (byte[] seed in target.Seeds)
            {
                Assert.True(target.Read(seed, fromSpan: false), $"{target.Name} rejected a valid encoding: {Wire.Hex(seed)}");
                Assert.True(target.Read(seed, fromSpan: true));
                Assert.True(target.TryRead(seed));
                target.Read(seed[..^1], fromSpan: true);
                target.TryRead([.. seed, 0x0F]);
            }
        }

        var stopwatch = Stopwatch.StartNew();
        int valid = 0;
        long worstExcess = 0;
        double worstRatio = 0;
        for (int n = 0; n < Inputs; n++)
        {
            ITarget target = targets[n % targets.Count];
            byte[] input;
            if (n % 10 == 0)
            {
                input = new byte[random.Next(0, 80)];
                random.NextBytes(input);
            }
            else
            {
                input = Mutate(target.Seeds[random.Next(target.Seeds.Length)], allSeeds, random);
            }

            bool fromSpan = (n & 1) == 0;
            bool ok;
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                ok = target.Read(input, fromSpan);
            }
            catch (Exception e)
            {
                Assert.Fail($"{target.Name}: Read threw {e.GetType().Name} (not MessageFormatException) on input #{n}: {Wire.Hex(input)}\n{e}");
                throw;
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            bool tried;
            before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                tried = target.TryRead(input);
            }
            catch (Exception e)
            {
                Assert.Fail($"{target.Name}: TryRead threw {e.GetType().Name} on input #{n}: {Wire.Hex(input)}\n{e}");
                throw;
            }

            long allocatedByTry = GC.GetAllocatedBytesForCurrentThread() - before;

            if (ok != tried)
            {
                Assert.Fail($"{target.Name}: Read {(ok ? "accepted" : "rejected")} but TryRead {(tried ? "accepted" : "rejected")} input #{n}: {Wire.Hex(input)}");
            }

            long limit = ((long)BytesPerInputByte * input.Length) + ConstantBytes;
            long most = Math.Max(allocated, allocatedByTry);
            if (most > limit)
            {
                Assert.Fail($"{target.Name}: reading {input.Length} bytes allocated {most} bytes (limit {limit}) on input #{n}: {Wire.Hex(input)}");
            }

            worstExcess = Math.Max(worstExcess, most - ((long)BytesPerInputByte * input.Length));
            if (input.Length > 64)
            {
                worstRatio = Math.Max(worstRatio, (double)most / input.Length);
            }

            valid += ok ? 1 : 0;
        }

        output.WriteLine($"{Inputs} inputs in {stopwatch.Elapsed.TotalSeconds:F1} s: {valid} valid, {Inputs - valid} rejected; " +
            $"worst allocation {worstRatio:F1} bytes per input byte (inputs over 64 bytes), worst excess over {BytesPerInputByte}/byte {worstExcess} bytes");

        // Both outcomes must be common, or the mutations are not exercising anything.
        Assert.InRange(valid, Inputs / 20, Inputs - (Inputs / 20));
    }

    [Fact]
    public void Every_prefix_of_valid_encodings_is_read_or_rejected_cleanly()
    {
        foreach (ITarget target in Targets())
        {
            foreach (byte[] seed in target.Seeds.Take(10))
            {
                for (int length = 0; length < seed.Length; length++)
                {
                    byte[] prefix = seed[..length];
                    bool ok = target.Read(prefix, fromSpan: (length & 1) == 0);
                    Assert.Equal(ok, target.TryRead(prefix));
                }
            }
        }
    }
}
