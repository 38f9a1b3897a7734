using System;
using System.Text;

namespace Stratos.Island.Agent.Link;

/// <summary>
/// Text for a link string field whose (max_len) is in UTF-8 bytes (the island codec's
/// <c>XxxMaxLength</c> constants, generated from link.proto): the island decoder rejects a longer one.
/// </summary>
public static class WireText
{
    /// <summary>True when <paramref name="text"/> encodes in at most <paramref name="maxBytes"/> UTF-8 bytes.</summary>
    public static bool Fits(string text, int maxBytes) => Encoding.UTF8.GetByteCount(text) <= maxBytes;

    /// <summary><paramref name="text"/> cut to at most <paramref name="maxBytes"/> UTF-8 bytes, never inside a character.</summary>
    public static string Fit(string text, int maxBytes)
    {
        if (Fits(text, maxBytes))
        {
            return text;
        }

        int length = Math.Min(text.Length, maxBytes);
        while (length > 0 && (Encoding.UTF8.GetByteCount(text.AsSpan(0, length)) > maxBytes || char.IsHighSurrogate(text[length - 1])))
        {
            length--;
        }

        return text[..length];
    }
}
