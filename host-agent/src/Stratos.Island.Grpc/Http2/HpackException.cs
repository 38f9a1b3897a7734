using System;

namespace Stratos.Island.Grpc.Http2;

/// <summary>A header block that cannot be decoded (an HTTP/2 COMPRESSION_ERROR, RFC 7540 section 4.3).</summary>
public sealed class HpackException : Exception
{
    public HpackException(string message)
        : base("HPACK: " + message)
    {
    }
}
