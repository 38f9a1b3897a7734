using System;
using System.Buffers.Binary;
using System.Globalization;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Stratos.Island.Grpc;

/// <summary>
/// The parts of the gRPC-over-HTTP/2 wire protocol the CLI's client needs
/// (grpc/doc/PROTOCOL-HTTP2.md):
/// <list type="bullet">
/// <item>Length-Prefixed-Message: 1 byte compressed flag, 4 bytes big-endian length, the message.</item>
/// <item>grpc-timeout: at most 8 ASCII digits and a unit (H, M, S, m, u, n).</item>
/// <item>grpc-message: percent-encoded UTF-8 (bytes outside 0x20-0x7E and '%' are escaped).</item>
/// </list>
/// Compression is not negotiated: we never send compressed messages and refuse compressed ones with
/// UNIMPLEMENTED, as the protocol allows when no grpc-encoding was agreed.
/// </summary>
public static class GrpcProtocol
{
    /// <summary>Content type of every gRPC request and response.</summary>
    public const string ContentType = "application/grpc";

    /// <summary>Largest message accepted in either direction (the gRPC default, 4 MiB).</summary>
    public const int MaxMessageBytes = 4 * 1024 * 1024;

    /// <summary>Size of the Length-Prefixed-Message header.</summary>
    public const int FrameHeaderBytes = 5;

    /// <summary>
    /// Reads one length-prefixed message; null at a clean end of stream (no partial header).
    /// A truncated frame, a compressed frame or an oversize length is a <see cref="GrpcException"/>.
    /// </summary>
    public static async Task<byte[]?> ReadMessageAsync(Stream stream, CancellationToken cancellationToken)
    {
        var header = new byte[FrameHeaderBytes];
        int read = await ReadFullyAsync(stream, header, cancellationToken).ConfigureAwait(false);
        var message = AllocateMessage(header, read);
        if (message is null || message.Length == 0)
        {
            return message;
        }

        read = await ReadFullyAsync(stream, message, cancellationToken).ConfigureAwait(false);
        return CheckComplete(message, read);
    }

    /// <summary>Synchronous <see cref="ReadMessageAsync"/> (the CLI's path: no async machinery to start).</summary>
    public static byte[]? ReadMessage(Stream stream)
    {
        var header = new byte[FrameHeaderBytes];
        var message = AllocateMessage(header, ReadFully(stream, header));
        if (message is null || message.Length == 0)
        {
            return message;
        }

        return CheckComplete(message, ReadFully(stream, message));
    }

    // Checks a message header that `read` bytes of filled; the buffer for its body, null at the end.
    private static byte[]? AllocateMessage(byte[] header, int read)
    {
        if (read == 0)
        {
            return null;
        }

        if (read < FrameHeaderBytes)
        {
            throw new GrpcException(GrpcStatusCode.Internal, $"truncated gRPC frame header: {read} of {FrameHeaderBytes} bytes");
        }

        if (header[0] == 1)
        {
            throw new GrpcException(GrpcStatusCode.Unimplemented, "compressed gRPC messages are not supported (no grpc-encoding was negotiated)");
        }

        if (header[0] != 0)
        {
            throw new GrpcException(GrpcStatusCode.Internal, $"invalid gRPC frame flag 0x{header[0]:x2}");
        }

        uint length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1));
        if (length > MaxMessageBytes)
        {
            throw new GrpcException(GrpcStatusCode.ResourceExhausted, $"gRPC message of {length} bytes exceeds the {MaxMessageBytes}-byte limit");
        }

        return new byte[length];
    }

    private static byte[] CheckComplete(byte[] message, int read)
    {
        if (read < message.Length)
        {
            throw new GrpcException(GrpcStatusCode.Internal, $"truncated gRPC message: {read} of {message.Length} bytes");
        }

        return message;
    }

    private static int ReadFully(Stream stream, byte[] buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = stream.Read(buffer, total, buffer.Length - total);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }

    private static async Task<int> ReadFullyAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }

    /// <summary>Formats a timeout as a grpc-timeout header value (at most 8 digits).</summary>
    public static string FormatTimeout(TimeSpan timeout)
    {
        if (timeout < TimeSpan.Zero)
        {
            timeout = TimeSpan.Zero;
        }

        long ticks = timeout.Ticks;
        // Pick the finest unit whose value fits in 8 digits (1 tick = 100 ns). Parallel arrays, not
        // (long, char) tuples: that instantiation would be compiled at start-up in every CLI process.
        ReadOnlySpan<char> units = "numSMH";
        Span<long> values = stackalloc long[]
        {
            ticks * 100,
            ticks / 10,
            ticks / TimeSpan.TicksPerMillisecond,
            ticks / TimeSpan.TicksPerSecond,
            ticks / TimeSpan.TicksPerMinute,
            ticks / TimeSpan.TicksPerHour,
        };
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] >= 0 && values[i] <= 99_999_999)
            {
                return values[i].ToString(CultureInfo.InvariantCulture) + units[i];
            }
        }

        return "99999999H";
    }

    /// <summary>Decodes a percent-encoded grpc-message header; invalid escapes are kept as they are.</summary>
    public static string DecodeMessage(string? encoded)
    {
        if (string.IsNullOrEmpty(encoded))
        {
            return string.Empty;
        }

        var bytes = new byte[encoded.Length];
        int n = 0;
        for (int i = 0; i < encoded.Length; i++)
        {
            char c = encoded[i];
            if (c == '%' && i + 2 < encoded.Length
                && byte.TryParse(encoded.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out byte b))
            {
                bytes[n++] = b;
                i += 2;
            }
            else
            {
                bytes[n++] = (byte)c;
            }
        }

        return Encoding.UTF8.GetString(bytes, 0, n);
    }
}
