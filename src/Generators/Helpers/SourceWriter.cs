using System.Text;

namespace PeerKit.Generators.Helpers;

/// <summary>A small indented text writer for generated code.</summary>
internal sealed class SourceWriter
{
    private readonly StringBuilder _builder = new();
    private int _indent;

    public SourceWriter Line(string text = "")
    {
        if (text.Length > 0)
        {
            _builder.Append(' ', _indent * 4);
            _builder.Append(text);
        }

        _builder.Append('\n');
        return this;
    }

    /// <summary>Writes <paramref name="text"/> (unless empty) and an opening brace, and indents.</summary>
    public SourceWriter Open(string text)
    {
        if (text.Length > 0)
        {
            Line(text);
        }

        Line("{");
        _indent++;
        return this;
    }

    public SourceWriter Close(string suffix = "")
    {
        _indent--;
        Line("}" + suffix);
        return this;
    }

    public override string ToString() => _builder.ToString();
}
