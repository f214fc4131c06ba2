using System.Globalization;
using System.Linq;
using System.Text;
using PeerKit.Generators.Helpers;
using PeerKit.Generators.Model;
using static PeerKit.Generators.Helpers.TypeDeclarations;

namespace PeerKit.Generators.Protocols;

internal sealed partial class ProtocolGenerator
{
    /// <summary>Turns a <see cref="ProtocolSpec"/> into the source of its <c>IProtocol</c> (and <c>IProtocolHandlers</c>) implementation.</summary>
    internal static class Emitter
    {
        private const string Sdk = "global::PeerKit";

        public static string Emit(ProtocolSpec spec)
        {
            var w = new SourceWriter();
            OpenScope(w, spec.Namespace, spec.ContainingTypes);

            string interfaces = $"{Sdk}.IProtocol"
                + (spec.HasHandlers ? $", {Sdk}.IProtocolHandlers" : string.Empty)
                + (spec.HasRadioHandlers ? $", {Sdk}.IRadioProtocolHandlers" : string.Empty);
            w.Open($"partial {spec.Keyword} {spec.Name} : {interfaces}");
            string version = Text(spec.Version);
            if (spec.EmitLengthConstant)
            {
                w.Line($"/// <summary>The number of codes protocol {Xml(spec.ProtocolName)}/{version} occupies in a session.</summary>");
                w.Line($"public const int Length = {Text(spec.Length)};");
                w.Line();
            }

            if (spec.EmitSchemaConstant)
            {
                w.Line($"/// <summary>The proto3 schema of protocol {Xml(spec.ProtocolName)}/{version}'s messages, as in <see cref=\"{Sdk}.ProtocolDescriptor.Schema\"/>.</summary>");
                w.Line("public const string Schema =");
                EmitSchemaLiteral(w, spec.Schema);
                w.Line();
            }

            w.Line($"/// <summary>Protocol {Xml(spec.ProtocolName)}/{version}: its name, version, length, port, message table and schema.</summary>");
            w.Line($"public static {Sdk}.ProtocolDescriptor Descriptor {{ get; }} = new {Sdk}.ProtocolDescriptor(");
            w.Line($"    {Literal(spec.ProtocolName)},");
            w.Line($"    {version},");
            w.Line($"    {Text(spec.Length)},");
            w.Line($"    {Text(spec.Port)},");
            if (spec.Messages.Count == 0)
            {
                w.Line($"    global::System.Array.Empty<{Sdk}.ProtocolMessageInfo>(),");
            }
            else
            {
                w.Line($"    new {Sdk}.ProtocolMessageInfo[]");
                w.Line("    {");
                foreach (ProtocolMessageSpec message in spec.Messages)
                {
                    w.Line($"        {Sdk}.ProtocolMessageInfo.Create<{message.TypeName}>(),");
                }

                w.Line("    },");
            }

            string end = spec.Acknowledged ? ") { Acknowledged = true };" : ");";
            if (spec.EmitSchemaConstant)
            {
                w.Line("    Schema" + end);
            }
            else
            {
                w.Line("    schema:");
                EmitSchemaLiteral(w, spec.Schema, terminator: end);
            }

            w.Line();
            w.Line($"{Sdk}.ProtocolDescriptor {Sdk}.IProtocol.Descriptor => Descriptor;");
            if (spec.HasHandlers)
            {
                w.Line();
                EmitDispatch(w, spec);
            }

            if (spec.HasRadioHandlers)
            {
                w.Line();
                EmitRadioDispatch(w, spec);
            }

            w.Close();
            CloseScope(w, spec.Namespace, spec.ContainingTypes);

            return w.ToString();
        }

        /// <summary>The radio's dispatch: decode the payload of a code with a RadioSender handler and call it.</summary>
        private static void EmitRadioDispatch(SourceWriter w, ProtocolSpec spec)
        {
            w.Line("/// <summary>Decodes <paramref name=\"payload\"/> as the message with <paramref name=\"code\"/> and calls its [Handler] method that takes a <see cref=\"global::PeerKit.RadioSender\"/>.</summary>");
            w.Line("/// <returns><see langword=\"false\"/> when no such handler takes <paramref name=\"code\"/>.</returns>");
            w.Line("/// <exception cref=\"global::PeerKit.MessageFormatException\">The payload does not decode.</exception>");
            w.Open($"public bool DispatchRadio(int code, global::System.ReadOnlySpan<byte> payload, {Sdk}.RadioSender sender)");
            w.Open("switch (code)");
            foreach (ProtocolMessageSpec message in spec.Messages)
            {
                if (message.RadioHandler is not { } handler)
                {
                    continue;
                }

                string target = handler.IsStatic ? spec.FullyQualifiedName : "this";
                w.Line($"case {Text(message.Code)}:");
                w.Line($"    {target}.{handler.MethodName}(sender, {Sdk}.MessageSerializer.Read<{message.TypeName}>(payload));"); // an 'in' parameter takes the value too
                w.Line("    return true;");
            }

            w.Line("default:");
            w.Line("    return false;");
            w.Close();
            w.Close();
        }

        private static void EmitDispatch(SourceWriter w, ProtocolSpec spec)
        {
            w.Line("/// <summary>Decodes <paramref name=\"message\"/> and calls its [Handler] method.</summary>");
            w.Line("/// <returns><see cref=\"global::PeerKit.DispatchResult.Handled\"/>; <see cref=\"global::PeerKit.DispatchResult.Unhandled\"/> for a message of the protocol without a handler; <see cref=\"global::PeerKit.DispatchResult.UnknownCode\"/> for a code outside the protocol.</returns>");
            w.Line("/// <exception cref=\"global::PeerKit.MessageFormatException\">The payload does not decode.</exception>");
            w.Open(
                $"public global::System.Threading.Tasks.ValueTask<{Sdk}.DispatchResult> DispatchAsync({Sdk}.Peer peer, in {Sdk}.ProtocolMessage message, global::System.Threading.CancellationToken cancellationToken)");
            w.Open("switch (message.Code)");
            foreach (ProtocolMessageSpec message in spec.Messages)
            {
                if (message.Handler is not null)
                {
                    w.Line($"case {Text(message.Code)}:");
                    w.Line($"    return this.{CaseMethodName(message)}(peer, message.Span, cancellationToken);");
                }
            }

            ProtocolMessageSpec[] unhandled = spec.Messages.Where(m => m.Handler is null).ToArray();
            foreach (ProtocolMessageSpec message in unhandled)
            {
                w.Line($"case {Text(message.Code)}:");
            }

            if (unhandled.Length > 0)
            {
                w.Line($"    return {Sdk}.ProtocolDispatch.Unhandled;");
            }

            w.Line("default:");
            w.Line($"    return {Sdk}.ProtocolDispatch.UnknownCode;");
            w.Close();
            w.Close();

            // One small method per case: the switch stays small, and a call sets up only the locals of its own case
            // (measured: a switch holding every case's locals was slower than a dictionary of delegates).
            foreach (ProtocolMessageSpec message in spec.Messages)
            {
                if (message.Handler is not { } handler)
                {
                    continue;
                }

                w.Line();
                w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]");
                w.Open(
                    $"private global::System.Threading.Tasks.ValueTask<{Sdk}.DispatchResult> {CaseMethodName(message)}({Sdk}.Peer peer, global::System.ReadOnlySpan<byte> payload, global::System.Threading.CancellationToken cancellationToken)");
                w.Line($"{message.TypeName} decoded = {Sdk}.MessageSerializer.Read<{message.TypeName}>(payload);");
                string target = handler.IsStatic ? spec.FullyQualifiedName : "this";
                string call = $"{target}.{handler.MethodName}(peer, {(handler.PassesIn ? "in " : string.Empty)}decoded{(handler.TakesCancellationToken ? ", cancellationToken" : string.Empty)})";
                if (handler.IsAsync)
                {
                    w.Line($"return {Sdk}.ProtocolDispatch.After({call});");
                }
                else
                {
                    w.Line($"{call};");
                    w.Line($"return {Sdk}.ProtocolDispatch.Handled;");
                }

                w.Close();
            }
        }

        /// <summary>The name of the generated method that decodes and handles one code (prefixed so it cannot meet a user member).</summary>
        private static string CaseMethodName(ProtocolMessageSpec message) => $"__PeerKit_Dispatch{Text(message.Code)}";

        /// <summary>Writes the schema as concatenated string literals, one per line of the schema, indented under the current line.</summary>
        private static void EmitSchemaLiteral(SourceWriter w, string schema, string terminator = ";")
        {
            string[] lines = schema.Split('\n');
            int count = lines.Length;
            if (count > 1 && lines[count - 1].Length == 0)
            {
                count--;
            }

            for (int i = 0; i < count; i++)
            {
                string line = lines[i] + (i < count - 1 || schema.EndsWith("\n", System.StringComparison.Ordinal) ? "\n" : string.Empty);
                w.Line("    " + Literal(line) + (i < count - 1 ? " +" : terminator));
            }
        }


        private static string Literal(string value)
        {
            var builder = new StringBuilder(value.Length + 2);
            builder.Append('"');
            foreach (char c in value)
            {
                switch (c)
                {
                    case '"':
                        builder.Append("\\\"");
                        break;
                    case '\\':
                        builder.Append("\\\\");
                        break;
                    case '\n':
                        builder.Append("\\n");
                        break;
                    case '\r':
                        builder.Append("\\r");
                        break;
                    case '\t':
                        builder.Append("\\t");
                        break;
                    default:
                        if (c < ' ' || (c >= 0x7f && c <= 0x9f) || char.IsSurrogate(c))
                        {
                            builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        }
                        else
                        {
                            builder.Append(c);
                        }

                        break;
                }
            }

            builder.Append('"');
            return builder.ToString();
        }

        private static string Xml(string value) => value.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

        private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
    }
}
