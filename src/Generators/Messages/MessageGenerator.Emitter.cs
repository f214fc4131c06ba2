using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using PeerKit.Generators.Helpers;
using PeerKit.Generators.Model;
using static PeerKit.Generators.Helpers.TypeDeclarations;

namespace PeerKit.Generators.Messages;

internal sealed partial class MessageGenerator
{
    /// <summary>Turns a <see cref="MessageSpec"/> into the source of its <c>IMessage&lt;T&gt;</c> implementation.</summary>
    internal static class Emitter
    {
        private const string Serialization = "global::PeerKit.Serialization";

        public static string Emit(MessageSpec spec)
        {
            var w = new SourceWriter();
            OpenScope(w, spec.Namespace, spec.ContainingTypes);

            string self = spec.FullyQualifiedName;
            string contract = $"global::PeerKit.IMessage<{self}>";
            w.Line(spec.FixedSize > 0
                ? $"[{Serialization}.GeneratedMessage(MaxSize = {spec.MaxSize}, FixedSize = {spec.FixedSize})]"
                : $"[{Serialization}.GeneratedMessage(MaxSize = {spec.MaxSize})]");
            w.Open($"{Partial(spec.Keyword)} {spec.Name} : {contract}");
            w.Line($"static int {contract}.Code => {spec.Code};");
            w.Line();
            w.Line($"static global::PeerKit.Reliability {contract}.Reliability => global::PeerKit.Reliability.{ReliabilityName(spec.Reliability)};");
            w.Line();
            w.Line($"static int {contract}.MaxSize => {spec.MaxSize};");
            w.Line();
            EmitGetSize(w, spec, contract, bound: false);
            w.Line();
            if (HasSizeBound(spec))
            {
                EmitGetSize(w, spec, contract, bound: true);
                w.Line();
            }

            EmitWrite(w, spec, contract);
            w.Line();
            if (spec.FixedSize > 0)
            {
                EmitTryWriteFixed(w, spec, contract);
                w.Line();
            }

            EmitRead(w, spec, contract);
            w.Close();

            CloseScope(w, spec.Namespace, spec.ContainingTypes);

            return w.ToString();
        }


        private static string ReliabilityName(int value) => value switch
        {
            1 => "ReliableUnordered",
            2 => "Unreliable",
            3 => "UnreliableSequenced",
            _ => "ReliableOrdered",
        };

        /// <summary>
        /// A message with strings or nested messages (not of fixed layout) gets a <c>GetSizeBound</c> that reads no
        /// string's characters, so it is written in one pass into a destination that long.
        /// </summary>
        private static bool HasSizeBound(MessageSpec spec) =>
            spec.FixedSize == 0 && spec.Members.Any(m => m.ProtoType is ProtoType.String or ProtoType.Message);

        /// <summary>
        /// <c>GetSize</c>, or with <paramref name="bound"/> <c>GetSizeBound</c>: the same sums, with strings counted as
        /// three bytes a UTF-16 unit and nested messages by their own bound, and the same [MaxLength] checks.
        /// </summary>
        private static void EmitGetSize(SourceWriter w, MessageSpec spec, string contract, bool bound)
        {
            w.Open(bound
                ? $"static int {contract}.GetSizeBound(in {spec.FullyQualifiedName} message)"
                : $"static int {contract}.GetSize(in {spec.FullyQualifiedName} message)");
            w.Line(bound ? "long size = 0;" : "int size = 0;");
            foreach (MemberSpec member in spec.Members)
            {
                string tagSize = Tag(member, WireTypeOf(member)).Length.ToString(CultureInfo.InvariantCulture);
                if (member.Collection == CollectionKind.None)
                {
                    Singular access = Access(member);
                    OpenIf(w, access.Condition);
                    w.Line($"size += {tagSize} + {(bound ? UpperSizeOf(spec, member, access.Value) : BoundedSizeOf(spec, member, access.Value))};");
                    CloseIf(w, access.Condition);
                }
                else if (IsPacked(member))
                {
                    Repeated access = RepeatedAccess(member);
                    w.Open($"if ({access.Condition})");
                    EmitCountCheck(w, spec, member, access);
                    EmitPackedLength(w, member, access);
                    w.Line($"size += {tagSize} + {Serialization}.WireSize.LengthDelimited(packed);");
                    w.Close();
                }
                else
                {
                    Repeated access = RepeatedAccess(member);
                    w.Open($"if ({access.Condition})");
                    EmitCountCheck(w, spec, member, access);
                    EmitLoop(w, access, e => w.Line($"size += {tagSize} + {(bound ? ElementUpperSizeOf(member, e) : ElementSizeOf(member, e))};"));
                    w.Close();
                }
            }

            w.Line(bound ? "return size > int.MaxValue ? -1 : (int)size;" : "return size;");
            w.Close();
        }

        /// <summary>At least a singular member's size, reading no string's characters unless its [MaxLength] needs them.</summary>
        private static string UpperSizeOf(MessageSpec spec, MemberSpec member, string value) => (member.MaxLength, member.ProtoType) switch
        {
            ( > 0, ProtoType.String) => $"{Serialization}.WireSize.StringBound({value}, {Limit(member)}, {Label(spec, member)})",
            (_, ProtoType.String) => $"{Serialization}.WireSize.StringBound({value})",
            (_, ProtoType.Message) => $"{Serialization}.WireSize.MessageBound({value})",
            _ => BoundedSizeOf(spec, member, value),
        };

        private static string ElementUpperSizeOf(MemberSpec member, string e) => member.ProtoType switch
        {
            ProtoType.String => $"{Serialization}.WireSize.StringBound({e} ?? string.Empty)",
            ProtoType.Message when !member.ElementIsValueType => $"({e} is null ? 1 : {Serialization}.WireSize.MessageBound({e}))",
            ProtoType.Message => $"{Serialization}.WireSize.MessageBound({e})",
            _ => ElementSizeOf(member, e),
        };

        /// <summary>The member as the errors name it: <c>Message.Member</c>.</summary>
        private static string Label(MessageSpec spec, MemberSpec member) =>
            "\"" + spec.Name + "." + member.Name.TrimStart('@') + "\"";

        private static string Limit(MemberSpec member) => member.MaxLength.ToString(CultureInfo.InvariantCulture);

        /// <summary>A singular member's size; a [MaxLength] string or bytes member is checked against it here, before anything is written.</summary>
        private static string BoundedSizeOf(MessageSpec spec, MemberSpec member, string value) => (member.MaxLength, member.ProtoType) switch
        {
            ( > 0, ProtoType.String) => $"{Serialization}.WireSize.String({value}, {Limit(member)}, {Label(spec, member)})",
            ( > 0, ProtoType.Bytes) => $"{Serialization}.WireSize.Bytes({value}.Length, {Limit(member)}, {Label(spec, member)})",
            _ => SizeOf(member, value),
        };

        private static void EmitCountCheck(SourceWriter w, MessageSpec spec, MemberSpec member, Repeated access)
        {
            if (member.MaxLength > 0)
            {
                w.Line($"{Serialization}.WireSize.Count({access.Count}, {Limit(member)}, {Label(spec, member)});");
            }
        }

        private static void EmitWrite(SourceWriter w, MessageSpec spec, string contract)
        {
            w.Open($"static void {contract}.Write(in {spec.FullyQualifiedName} message, ref {Serialization}.MessageWriter writer)");
            if (spec.FixedSize > 0)
            {
                w.Open("if (writer.TryWriteFixed(in message))");
                w.Line("return;");
                w.Close();
            }

            foreach (MemberSpec member in spec.Members)
            {
                if (member.Collection == CollectionKind.None)
                {
                    Singular access = Access(member);
                    OpenIf(w, access.Condition);
                    if (FusedFixedWrite(member, access.Value) is { } fused)
                    {
                        w.Line(fused);
                    }
                    else
                    {
                        w.Line(WriteTag(member, WireTypeOf(member)));
                        w.Line(WriteValue(member, access.Value, "writer"));
                    }

                    CloseIf(w, access.Condition);
                }
                else if (IsPacked(member))
                {
                    Repeated access = RepeatedAccess(member);
                    w.Open($"if ({access.Condition})");
                    w.Line(WriteTag(member, 2));
                    EmitPackedLength(w, member, access);
                    w.Line("writer.WriteLength(packed);");
                    EmitLoop(w, access, e => w.Line(WriteValue(member, e, "writer")));
                    w.Close();
                }
                else
                {
                    Repeated access = RepeatedAccess(member);
                    w.Open($"if ({access.Condition})");
                    EmitLoop(w, access, e =>
                    {
                        w.Line(WriteTag(member, 2));
                        EmitWriteElement(w, member, e);
                    });
                    w.Close();
                }
            }

            w.Close();
        }

        /// <summary>
        /// A message of fixed layout: one check that the destination holds its largest encoding, then every field in
        /// straight-line code (tags as constants, no bounds checks), each still omitted when proto3 omits it.
        /// </summary>
        /// <summary>Fixed-layout messages up to this bound have their straight-line writer inlined where they are nested.</summary>
        private const int SmallFixedSize = 32;

        private static void EmitTryWriteFixed(SourceWriter w, MessageSpec spec, string contract)
        {
            const string Layout = Serialization + ".FixedLayout";
            string size = spec.FixedSize.ToString(CultureInfo.InvariantCulture);
            if (spec.FixedSize <= SmallFixedSize)
            {
                // Small messages (a vector, a color) are written in place in the messages that nest them.
                w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]");
            }

            w.Open($"static int {contract}.TryWriteFixed(in {spec.FullyQualifiedName} message, global::System.Span<byte> destination)");
            w.Open($"if (destination.Length < {size})");
            w.Line("return -1;");
            w.Close();
            w.Line();
            w.Line("ref byte d = ref global::System.Runtime.InteropServices.MemoryMarshal.GetReference(destination);");
            w.Line("int n = 0;");
            foreach (MemberSpec member in spec.Members)
            {
                Singular access = Access(member);
                OpenIf(w, access.Condition);
                byte[] tag = Tag(member, WireTypeOf(member));
                string hex = "0x" + tag[0].ToString("X2", CultureInfo.InvariantCulture);
                string value = access.Value;
                string? fused = (tag.Length, member.ProtoType) switch
                {
                    (1, ProtoType.Fixed32) => $"n = {Layout}.TaggedFixed32(ref d, n, {hex}, {value});",
                    (1, ProtoType.SFixed32) => $"n = {Layout}.TaggedFixed32(ref d, n, {hex}, (uint){value});",
                    (1, ProtoType.Float) => $"n = {Layout}.TaggedFixed32(ref d, n, {hex}, global::System.BitConverter.SingleToUInt32Bits({value}));",
                    (1, ProtoType.Fixed64) => $"n = {Layout}.TaggedFixed64(ref d, n, {hex}, {value});",
                    (1, ProtoType.SFixed64) => $"n = {Layout}.TaggedFixed64(ref d, n, {hex}, (ulong){value});",
                    (1, ProtoType.Double) => $"n = {Layout}.TaggedFixed64(ref d, n, {hex}, global::System.BitConverter.DoubleToUInt64Bits({value}));",
                    _ => null,
                };
                if (fused is not null)
                {
                    w.Line(fused);
                }
                else
                {
                    w.Line($"n = {Layout}.Tag(ref d, n, {string.Join(", ", tag.Select(b => "0x" + b.ToString("X2", CultureInfo.InvariantCulture)))});");
                    w.Line(member.ProtoType switch
                    {
                        ProtoType.Bool => $"n = {Layout}.Bool(ref d, n, {value});",
                        ProtoType.Int32 => $"n = {Layout}.Int32(ref d, n, {value});",
                        ProtoType.Enum => $"n = {Layout}.Int32(ref d, n, (int){value});",
                        ProtoType.Int64 => $"n = {Layout}.Varint64(ref d, n, (ulong){value});",
                        ProtoType.UInt32 => $"n = {Layout}.Varint32(ref d, n, {value});",
                        ProtoType.UInt64 => $"n = {Layout}.Varint64(ref d, n, {value});",
                        ProtoType.SInt32 => $"n = {Layout}.Varint32(ref d, n, {Serialization}.ZigZag.Encode({value}));",
                        ProtoType.SInt64 => $"n = {Layout}.Varint64(ref d, n, {Serialization}.ZigZag.Encode({value}));",
                        ProtoType.Fixed32 => $"n = {Layout}.Fixed32(ref d, n, {value});",
                        ProtoType.SFixed32 => $"n = {Layout}.Fixed32(ref d, n, (uint){value});",
                        ProtoType.Float => $"n = {Layout}.Fixed32(ref d, n, global::System.BitConverter.SingleToUInt32Bits({value}));",
                        ProtoType.Fixed64 => $"n = {Layout}.Fixed64(ref d, n, {value});",
                        ProtoType.SFixed64 => $"n = {Layout}.Fixed64(ref d, n, (ulong){value});",
                        ProtoType.Double => $"n = {Layout}.Fixed64(ref d, n, global::System.BitConverter.DoubleToUInt64Bits({value}));",
                        _ => $"n = {Layout}.Message({value}, destination, n);",
                    });
                }

                CloseIf(w, access.Condition);
            }

            w.Line("return n;");
            w.Close();
        }

        private static void EmitRead(SourceWriter w, MessageSpec spec, string contract)
        {
            // A struct is read into its destination (ReadInto), and Read goes through that: returned by value, a
            // struct of mixed integer and float fields is assembled on the stack and reloaded into registers, a
            // store-forwarding stall that cost more than reading its fields.
            bool inPlace = IsStruct(spec);
            if (inPlace)
            {
                w.Line($"static {spec.FullyQualifiedName} {contract}.Read(ref {Serialization}.MessageReader reader) => {Serialization}.MessageReader.ReadInto<{spec.FullyQualifiedName}>(ref reader);");
                w.Line();
                w.Open($"static void {contract}.ReadInto(ref {Serialization}.MessageReader reader, out {spec.FullyQualifiedName} message)");
            }
            else
            {
                w.Open($"static {spec.FullyQualifiedName} {contract}.Read(ref {Serialization}.MessageReader reader)");
            }

            foreach (MemberSpec member in spec.Members)
            {
                w.Line($"{LocalType(member)} {Local(member)} = {LocalDefault(member)};");
                if (Merges(member))
                {
                    w.Line($"{Serialization}.MessageOccurrences {Occurrences(member)} = default;");
                }
            }

            // The fields in the order Write writes them, each taken when the next byte is its tag: a compare
            // per field instead of a jump through the switch. Whatever follows (other orders, unknown or
            // repeated fields, later duplicates) goes through the loop, so the result is the same.
            foreach (MemberSpec member in spec.Members)
            {
                byte[] tag = Tag(member, WireTypeOf(member));
                if (member.Collection == CollectionKind.None && tag.Length == 1)
                {
                    string hex = "0x" + tag[0].ToString("X2", CultureInfo.InvariantCulture);
                    string bits = $"b{member.FieldNumber}";
                    string? fused = member.ProtoType switch
                    {
                        ProtoType.Fixed32 => $"TryReadTaggedFixed32({hex}, out uint {bits})",
                        ProtoType.SFixed32 or ProtoType.Float => $"TryReadTaggedFixed32({hex}, out uint {bits})",
                        ProtoType.Fixed64 or ProtoType.SFixed64 or ProtoType.Double => $"TryReadTaggedFixed64({hex}, out ulong {bits})",
                        _ => null,
                    };
                    string? value = member.ProtoType switch
                    {
                        ProtoType.Fixed32 or ProtoType.Fixed64 => bits,
                        ProtoType.SFixed32 => $"(int){bits}",
                        ProtoType.SFixed64 => $"(long){bits}",
                        ProtoType.Float => $"global::System.BitConverter.UInt32BitsToSingle({bits})",
                        ProtoType.Double => $"global::System.BitConverter.UInt64BitsToDouble({bits})",
                        _ => null,
                    };
                    w.Open(fused is null ? $"if (reader.TryReadTag({hex}))" : $"if (reader.{fused})");
                    w.Line(Merges(member) ? $"reader.AddOccurrence(ref {Occurrences(member)});" : $"{Local(member)} = {value ?? ReadValue(member, "reader")};");
                    w.Close();
                }
                else if (member.Collection != CollectionKind.None && (IsPacked(member) || ReadsRuns(member)))
                {
                    // A repeated field in its place: the packed run, or the run of elements, read at once.
                    byte[] packedTag = Tag(member, 2);
                    if (packedTag.Length == 1)
                    {
                        w.Open($"if (reader.TryReadTag(0x{packedTag[0].ToString("X2", CultureInfo.InvariantCulture)}))");
                        if (IsPacked(member))
                        {
                            w.Line("var packed = reader.ReadPacked();");
                            EmitReadPacked(w, member, Local(member));
                        }
                        else
                        {
                            EmitReadRun(w, member, Local(member));
                        }

                        w.Close();
                    }
                }
            }

            w.Line("uint tag;");
            w.Open("while ((tag = reader.ReadTag()) != 0)");
            w.Open("switch (tag)");
            foreach (MemberSpec member in spec.Members)
            {
                string local = Local(member);
                if (member.Collection == CollectionKind.None)
                {
                    w.Line($"case {TagValue(member, WireTypeOf(member))}:");
                    w.Line(Merges(member) ? $"    reader.AddOccurrence(ref {Occurrences(member)});" : $"    {local} = {ReadValue(member, "reader")};");
                    w.Line("    break;");
                }
                else if (IsPacked(member))
                {
                    w.Line($"case {TagValue(member, 2)}:");
                    w.Open(string.Empty);
                    w.Line("var packed = reader.ReadPacked();");
                    EmitReadPacked(w, member, local);
                    w.Line("break;");
                    w.Close();
                    w.Line($"case {TagValue(member, WireTypeOf(member))}:");
                    EmitElementCountCheck(w, member, local);
                    w.Line($"    {local}.Add({ReadValue(member, "reader")});");
                    w.Line("    break;");
                }
                else if (ReadsRuns(member))
                {
                    w.Line($"case {TagValue(member, 2)}:");
                    w.Open(string.Empty);
                    EmitReadRun(w, member, local);
                    w.Line("break;");
                    w.Close();
                }
                else
                {
                    w.Line($"case {TagValue(member, 2)}:");
                    EmitElementCountCheck(w, member, local);
                    w.Line($"    {local}.Add({ReadValue(member, "reader")});");
                    w.Line("    break;");
                }
            }

            w.Line("default:");
            w.Line("    reader.SkipField(tag);");
            w.Line("    break;");
            w.Close();
            w.Close();

            foreach (MemberSpec member in spec.Members.Where(Merges))
            {
                w.Open($"if ({Occurrences(member)}.Occurred)");
                w.Line($"{Local(member)} = reader.ReadOccurrences<{member.ElementTypeName}>(ref {Occurrences(member)});");
                w.Close();
            }

            var byName = spec.Members.ToDictionary(m => m.Name);
            string arguments = string.Join(", ", spec.ConstructorArguments.Select(name => FinalValue(byName[name])));
            string result = inPlace ? "message =" : "return";
            if (spec.InitializedMembers.Count > 0)
            {
                w.Line($"{result} new {spec.FullyQualifiedName}({arguments})");
                w.Line("{");
                foreach (string name in spec.InitializedMembers)
                {
                    w.Line($"    {name} = {FinalValue(byName[name])},");
                }

                w.Line("};");
            }
            else
            {
                w.Line($"{result} new {spec.FullyQualifiedName}({arguments});");
            }

            w.Close();
        }

        private const string Always = "true";

        private static void OpenIf(SourceWriter w, string condition)
        {
            if (condition != Always)
            {
                w.Open($"if ({condition})");
            }
        }

        private static void CloseIf(SourceWriter w, string condition)
        {
            if (condition != Always)
            {
                w.Close();
            }
        }

        private readonly struct Singular
        {
            public Singular(string condition, string value)
            {
                Condition = condition;
                Value = value;
            }

            public string Condition { get; }

            public string Value { get; }
        }

        private readonly struct Repeated
        {
            public Repeated(CollectionKind kind, string condition, string collection, string count)
            {
                Kind = kind;
                Condition = condition;
                Collection = collection;
                Count = count;
            }

            public CollectionKind Kind { get; }

            public string Condition { get; }

            public string Collection { get; }

            public string Count { get; }
        }

        /// <summary>When a singular member is written (proto3 presence rules) and how its value is read.</summary>
        private static Singular Access(MemberSpec member)
        {
            string expression = $"message.{member.Name}";
            string variable = $"v{member.FieldNumber}";
            if (member.HasPresence && member.IsValueType)
            {
                return new Singular($"{expression}.HasValue", $"{expression}.GetValueOrDefault()");
            }

            if (member.HasPresence)
            {
                return new Singular($"{expression} is {{ }} {variable}", variable);
            }

            return member.ProtoType switch
            {
                ProtoType.Bool => new Singular(expression, "true"),
                ProtoType.Float => new Singular($"{expression} != 0F", expression),
                ProtoType.Double => new Singular($"{expression} != 0D", expression),
                ProtoType.String => new Singular($"{expression} is {{ Length: > 0 }} {variable}", variable),
                ProtoType.Bytes when member.BytesAsMemory => new Singular($"!{expression}.IsEmpty", expression),
                ProtoType.Bytes => new Singular($"{expression} is {{ Length: > 0 }} {variable}", variable),
                ProtoType.Message when member.IsValueType => new Singular(Always, expression),
                ProtoType.Message => new Singular($"{expression} is {{ }} {variable}", variable),
                _ => new Singular($"{expression} != 0", expression),
            };
        }

        private static Repeated RepeatedAccess(MemberSpec member)
        {
            string expression = $"message.{member.Name}";
            string variable = $"c{member.FieldNumber}";
            return member.Collection == CollectionKind.Array
                ? new Repeated(member.Collection, $"{expression} is {{ Length: > 0 }} {variable}", variable, $"{variable}.Length")
                : new Repeated(member.Collection, $"{expression} is {{ Count: > 0 }} {variable}", variable, $"{variable}.Count");
        }

        private static void EmitLoop(SourceWriter w, Repeated access, System.Action<string> body)
        {
            switch (access.Kind)
            {
                case CollectionKind.Array:
                    w.Open($"foreach (var e in {access.Collection})");
                    body("e");
                    w.Close();
                    break;
                case CollectionKind.List:
                    w.Open($"foreach (var e in global::System.Runtime.InteropServices.CollectionsMarshal.AsSpan({access.Collection}))");
                    body("e");
                    w.Close();
                    break;
                default:
                    w.Open($"for (int i = 0; i < {access.Count}; i++)");
                    w.Line($"var e = {access.Collection}[i];");
                    body("e");
                    w.Close();
                    break;
            }
        }

        private static void EmitPackedLength(SourceWriter w, MemberSpec member, Repeated access)
        {
            int? width = FixedWidth(member.ProtoType);
            if (width is not null)
            {
                w.Line($"int packed = {access.Count} * {width};");
                return;
            }

            w.Line("int packed = 0;");
            EmitLoop(w, access, e => w.Line($"packed += {SizeOf(member, e)};"));
        }

        private static void EmitWriteElement(SourceWriter w, MemberSpec member, string e)
        {
            switch (member.ProtoType)
            {
                case ProtoType.String:
                    w.Line($"writer.WriteString({e} ?? string.Empty);");
                    break;
                case ProtoType.Bytes when member.BytesAsMemory:
                    w.Line($"writer.WriteBytes({e}.Span);");
                    break;
                case ProtoType.Bytes:
                    w.Line($"writer.WriteBytes({e});");
                    break;
                case ProtoType.Message when !member.ElementIsValueType:
                    w.Open($"if ({e} is null)");
                    w.Line("writer.WriteLength(0);");
                    w.Close();
                    w.Open("else");
                    w.Line($"writer.WriteMessage({e});");
                    w.Close();
                    break;
                default:
                    w.Line($"writer.WriteMessage({e});");
                    break;
            }
        }

        private static string ElementSizeOf(MemberSpec member, string e) => member.ProtoType switch
        {
            ProtoType.String => $"{Serialization}.WireSize.String({e} ?? string.Empty)",
            ProtoType.Bytes when member.BytesAsMemory => $"{Serialization}.WireSize.LengthDelimited({e}.Length)",
            ProtoType.Bytes => $"{Serialization}.WireSize.LengthDelimited({e}?.Length ?? 0)",
            ProtoType.Message when !member.ElementIsValueType => $"({e} is null ? 1 : {Serialization}.WireSize.Message({e}))",
            _ => $"{Serialization}.WireSize.Message({e})",
        };

        private static bool IsPacked(MemberSpec member) =>
            member.ProtoType is not (ProtoType.String or ProtoType.Bytes or ProtoType.Message);

        private static int? FixedWidth(ProtoType type) => type switch
        {
            ProtoType.Fixed32 or ProtoType.SFixed32 or ProtoType.Float => 4,
            ProtoType.Fixed64 or ProtoType.SFixed64 or ProtoType.Double => 8,
            ProtoType.Bool => 1,
            _ => null,
        };

        private static int WireTypeOf(MemberSpec member) => member.ProtoType switch
        {
            ProtoType.Fixed64 or ProtoType.SFixed64 or ProtoType.Double => 1,
            ProtoType.String or ProtoType.Bytes or ProtoType.Message => 2,
            ProtoType.Fixed32 or ProtoType.SFixed32 or ProtoType.Float => 5,
            _ => 0,
        };

        private static string SizeOf(MemberSpec member, string value) => member.ProtoType switch
        {
            ProtoType.Bool => "1",
            ProtoType.Int32 => $"{Serialization}.WireSize.Int32({value})",
            ProtoType.Int64 => $"{Serialization}.WireSize.Int64({value})",
            ProtoType.UInt32 => $"{Serialization}.WireSize.Varint32({value})",
            ProtoType.UInt64 => $"{Serialization}.WireSize.Varint64({value})",
            ProtoType.SInt32 => $"{Serialization}.WireSize.SInt32({value})",
            ProtoType.SInt64 => $"{Serialization}.WireSize.SInt64({value})",
            ProtoType.Fixed32 or ProtoType.SFixed32 or ProtoType.Float => "4",
            ProtoType.Fixed64 or ProtoType.SFixed64 or ProtoType.Double => "8",
            ProtoType.Enum => $"{Serialization}.WireSize.Int32((int){value})",
            ProtoType.String => $"{Serialization}.WireSize.String({value})",
            ProtoType.Bytes => $"{Serialization}.WireSize.LengthDelimited({value}.Length)",
            _ => $"{Serialization}.WireSize.Message({value})",
        };

        private static string WriteValue(MemberSpec member, string value, string writer) => member.ProtoType switch
        {
            ProtoType.Bool => $"{writer}.WriteBool({value});",
            ProtoType.Int32 => $"{writer}.WriteInt32({value});",
            ProtoType.Int64 => $"{writer}.WriteInt64({value});",
            ProtoType.UInt32 => $"{writer}.WriteUInt32({value});",
            ProtoType.UInt64 => $"{writer}.WriteUInt64({value});",
            ProtoType.SInt32 => $"{writer}.WriteSInt32({value});",
            ProtoType.SInt64 => $"{writer}.WriteSInt64({value});",
            ProtoType.Fixed32 => $"{writer}.WriteFixed32({value});",
            ProtoType.Fixed64 => $"{writer}.WriteFixed64({value});",
            ProtoType.SFixed32 => $"{writer}.WriteSFixed32({value});",
            ProtoType.SFixed64 => $"{writer}.WriteSFixed64({value});",
            ProtoType.Float => $"{writer}.WriteFloat({value});",
            ProtoType.Double => $"{writer}.WriteDouble({value});",
            ProtoType.Enum => $"{writer}.WriteEnum((int){value});",
            ProtoType.String => $"{writer}.WriteString({value});",
            ProtoType.Bytes when member.BytesAsMemory => $"{writer}.WriteBytes({value}.Span);",
            ProtoType.Bytes => $"{writer}.WriteBytes({value});",
            _ => $"{writer}.WriteMessage({value});",
        };

        private static string ReadValue(MemberSpec member, string reader) => member.ProtoType switch
        {
            ProtoType.Bool => $"{reader}.ReadBool()",
            ProtoType.Int32 => $"{reader}.ReadInt32()",
            ProtoType.Int64 => $"{reader}.ReadInt64()",
            ProtoType.UInt32 => $"{reader}.ReadUInt32()",
            ProtoType.UInt64 => $"{reader}.ReadUInt64()",
            ProtoType.SInt32 => $"{reader}.ReadSInt32()",
            ProtoType.SInt64 => $"{reader}.ReadSInt64()",
            ProtoType.Fixed32 => $"{reader}.ReadFixed32()",
            ProtoType.Fixed64 => $"{reader}.ReadFixed64()",
            ProtoType.SFixed32 => $"{reader}.ReadSFixed32()",
            ProtoType.SFixed64 => $"{reader}.ReadSFixed64()",
            ProtoType.Float => $"{reader}.ReadFloat()",
            ProtoType.Double => $"{reader}.ReadDouble()",
            ProtoType.Enum => $"({member.ElementTypeName}){reader}.ReadEnum()",
            ProtoType.String when member.MaxLength > 0 && member.Collection == CollectionKind.None => $"{reader}.ReadString({Limit(member)})",
            ProtoType.Bytes when member.MaxLength > 0 && member.Collection == CollectionKind.None && member.BytesAsMemory => $"{reader}.ReadBytesMemory({Limit(member)})",
            ProtoType.Bytes when member.MaxLength > 0 && member.Collection == CollectionKind.None => $"{reader}.ReadBytes({Limit(member)})",
            ProtoType.String => $"{reader}.ReadString()",
            ProtoType.Bytes when member.BytesAsMemory => $"{reader}.ReadBytesMemory()",
            ProtoType.Bytes => $"{reader}.ReadBytes()",

            _ => $"{reader}.ReadMessage<{member.ElementTypeName}>()",
        };

        private static bool IsStruct(MessageSpec spec) => spec.Keyword.Contains("struct");

        /// <summary>A singular embedded message: a second occurrence in the input merges into the first.</summary>
        private static bool Merges(MemberSpec member) =>
            member.ProtoType == ProtoType.Message && member.Collection == CollectionKind.None;

        private static string Occurrences(MemberSpec member) => $"m{member.FieldNumber}";

        private static string PackedCount(MemberSpec member) => FixedWidth(member.ProtoType) switch
        {
            4 => "packed.Remaining / 4",
            8 => "packed.Remaining / 8",
            _ => "packed.CountVarints()",
        };

        /// <summary>
        /// A packed field's elements are counted first (varint ends, or whole fixed-width values) and read into
        /// that many elements at once: straight into the final array when they are the field's first. What is left
        /// after them can only be a value the input cuts short, which the one-at-a-time loop then reports.
        /// </summary>
        private static void EmitReadPacked(SourceWriter w, MemberSpec member, string local)
        {
            string? bulk = member.ProtoType switch
            {
                ProtoType.Int32 => "ReadPackedInt32",
                ProtoType.UInt32 => "ReadPackedUInt32",
                ProtoType.Int64 => "ReadPackedInt64",
                ProtoType.UInt64 => "ReadPackedUInt64",
                ProtoType.SInt32 => "ReadPackedSInt32",
                ProtoType.SInt64 => "ReadPackedSInt64",
                ProtoType.Fixed32 => "ReadPackedFixed32",
                ProtoType.SFixed32 => "ReadPackedSFixed32",
                ProtoType.Float => "ReadPackedFloat",
                ProtoType.Fixed64 => "ReadPackedFixed64",
                ProtoType.SFixed64 => "ReadPackedSFixed64",
                ProtoType.Double => "ReadPackedDouble",
                _ => null,
            };
            string count = PackedCount(member);
            if (member.MaxLength > 0)
            {
                // Counted before any is stored: a hostile run cannot grow the field past its bound.
                w.Line($"int count = {count};");
                w.Line($"packed.CheckCount({local}.Count + count, {Limit(member)});");
                count = "count";
            }

            if (bulk is not null)
            {
                w.Line($"packed.{bulk}({local}.Append({count}));");
            }
            else
            {
                w.Line($"var elements = {local}.Append({count});");
                w.Open("for (int i = 0; i < elements.Length; i++)");
                w.Line($"elements[i] = {ReadValue(member, "packed")};");
                w.Close();
            }

            w.Open("while (!packed.IsAtEnd)");
            if (member.MaxLength > 0)
            {
                w.Line($"packed.CheckCount({local}.Count + 1, {Limit(member)});");
            }

            w.Line($"{local}.Add({ReadValue(member, "packed")});");
            w.Close();
        }

        /// <summary>
        /// A repeated message, string or bytes field without [MaxLength] (whose offsets are reported per element)
        /// and with a tag of one or two bytes: its elements that follow one another are counted first and read
        /// into that many elements at once, straight into the final array when they are the field's first.
        /// </summary>
        private static bool ReadsRuns(MemberSpec member) =>
            member.Collection != CollectionKind.None && !IsPacked(member) && member.MaxLength <= 0 && TagValue(member, 2) < 0x4000;

        private static void EmitReadRun(SourceWriter w, MemberSpec member, string local)
        {
            uint tag = TagValue(member, 2);
            w.Line($"var run = {local}.Append(reader.CountRun({tag}));");
            bool inPlace = member.ProtoType == ProtoType.Message && member.ElementIsValueType;
            w.Line(inPlace ? $"reader.ReadMessage(out run[0]);" : $"run[0] = {ReadValue(member, "reader")};");
            w.Open("for (int i = 1; i < run.Length; i++)");
            w.Line($"reader.ReadRunTag({tag});");
            w.Line(inPlace ? $"reader.ReadMessage(out run[i]);" : $"run[i] = {ReadValue(member, "reader")};");
            w.Close();
        }

        private static void EmitElementCountCheck(SourceWriter w, MemberSpec member, string local)
        {
            if (member.MaxLength > 0)
            {
                w.Line($"    reader.CheckCount({local}.Count + 1, {Limit(member)});");
            }
        }

        private static string Local(MemberSpec member) => $"f{member.FieldNumber}";

        private static string LocalType(MemberSpec member)
        {
            if (member.Collection != CollectionKind.None)
            {
                // Keep a nullable element annotation (List<string?>) so the built collection converts without warnings.
                return $"{Serialization}.RepeatedBuilder<{member.ElementTypeName}{(member.ElementIsNullableReference ? "?" : string.Empty)}>";
            }

            if (member.ProtoType == ProtoType.Message && !member.HasPresence)
            {
                return member.ElementTypeName + "?";
            }

            return member.TypeName;
        }

        private static string LocalDefault(MemberSpec member)
        {
            if (member.Collection != CollectionKind.None)
            {
                return "default";
            }

            if (member.HasPresence || member.ProtoType == ProtoType.Message)
            {
                return "null";
            }

            return member.ProtoType switch
            {
                ProtoType.String => "string.Empty",
                ProtoType.Bytes when !member.BytesAsMemory => "global::System.Array.Empty<byte>()",
                _ => "default",
            };
        }

        private static string FinalValue(MemberSpec member)
        {
            string local = Local(member);
            return member.Collection switch
            {
                CollectionKind.List => $"{local}.ToList()",
                CollectionKind.Array or CollectionKind.ReadOnlyList => $"{local}.ToArray()",
                _ when member.ProtoType == ProtoType.Message && !member.HasPresence =>
                    $"{local} ?? {Serialization}.MessageReader.ReadDefault<{member.ElementTypeName}>()",
                _ => local,
            };
        }

        private static uint TagValue(MemberSpec member, int wireType) => ((uint)member.FieldNumber << 3) | (uint)wireType;

        private static byte[] Tag(MemberSpec member, int wireType)
        {
            uint value = TagValue(member, wireType);
            var bytes = new List<byte>();
            while (value >= 0x80)
            {
                bytes.Add((byte)(value | 0x80));
                value >>= 7;
            }

            bytes.Add((byte)value);
            return bytes.ToArray();
        }

        /// <summary>
        /// A fixed-width field with a one-byte tag is written with one bounds check for tag and value
        /// (<c>WriteTaggedFixed32/64</c>); <c>null</c> for every other field.
        /// </summary>
        private static string? FusedFixedWrite(MemberSpec member, string value)
        {
            byte[] tag = Tag(member, WireTypeOf(member));
            if (tag.Length != 1)
            {
                return null;
            }

            string hex = "0x" + tag[0].ToString("X2", CultureInfo.InvariantCulture);
            return member.ProtoType switch
            {
                ProtoType.Fixed32 => $"writer.WriteTaggedFixed32({hex}, {value});",
                ProtoType.SFixed32 => $"writer.WriteTaggedFixed32({hex}, (uint){value});",
                ProtoType.Float => $"writer.WriteTaggedFixed32({hex}, global::System.BitConverter.SingleToUInt32Bits({value}));",
                ProtoType.Fixed64 => $"writer.WriteTaggedFixed64({hex}, {value});",
                ProtoType.SFixed64 => $"writer.WriteTaggedFixed64({hex}, (ulong){value});",
                ProtoType.Double => $"writer.WriteTaggedFixed64({hex}, global::System.BitConverter.DoubleToUInt64Bits({value}));",
                _ => null,
            };
        }

        private static string WriteTag(MemberSpec member, int wireType) =>
            $"writer.WriteRawTag({string.Join(", ", Tag(member, wireType).Select(b => "0x" + b.ToString("X2", CultureInfo.InvariantCulture)))});";
    }
}
