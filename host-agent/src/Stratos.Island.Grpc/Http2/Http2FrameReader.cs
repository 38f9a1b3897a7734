using System;
using System.Collections.Generic;
using System.IO;

namespace Stratos.Island.Grpc.Http2;

/// <summary>
/// Reassembles header blocks (HEADERS + CONTINUATION*, section 6.2 and 6.10) and decodes them with
/// the connection's HPACK decoder. Runs on the reader thread only.
/// </summary>
internal sealed class Http2FrameReader
{
    private readonly HpackDecoder _hpack;
    private readonly MemoryStream _block = new();

    public Http2FrameReader(HpackDecoder hpack) => _hpack = hpack;

    public bool ExpectingContinuation { get; private set; }

    public int HeaderStreamId { get; private set; }

    public bool HeaderEndStream { get; private set; }

    /// <summary>Adds a fragment; returns the decoded fields once END_HEADERS completes the block.</summary>
    public List<KeyValuePair<string, string>>? OnHeaderFragment(Http2FrameType type, byte flags, int streamId, ReadOnlySpan<byte> payload)
    {
        if (streamId == 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"{Http2Wire.Name(type)} frame on stream 0");
        }

        if (type == Http2FrameType.Headers)
        {
            payload = Http2Connection.Unpad(type, flags, payload);
            if ((flags & Http2Wire.FlagPriority) != 0)
            {
                if (payload.Length < 5)
                {
                    throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, $"HEADERS frame with PRIORITY has only {payload.Length} bytes");
                }

                payload = payload.Slice(5);
            }

            HeaderStreamId = streamId;
            HeaderEndStream = (flags & Http2Wire.FlagEndStream) != 0;
            _block.SetLength(0);
        }
        else if (!ExpectingContinuation || streamId != HeaderStreamId)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"CONTINUATION on stream {streamId} without an open header block");
        }

        _block.Write(payload);
        if (_block.Length > 256 * 1024)
        {
            throw new Http2ConnectionException(Http2ErrorCode.EnhanceYourCalm, $"header block on stream {streamId} exceeds 256 KiB");
        }

        ExpectingContinuation = (flags & Http2Wire.FlagEndHeaders) == 0;
        if (ExpectingContinuation)
        {
            return null;
        }

        var fields = new List<KeyValuePair<string, string>>();
        _hpack.Decode(_block.GetBuffer().AsSpan(0, (int)_block.Length), fields);
        return fields;
    }
}
