namespace Stratos.Island.Grpc.Http2;

/// <summary>HTTP/2 frame types (RFC 7540 section 6).</summary>
public enum Http2FrameType : byte
{
    Data = 0x0,
    Headers = 0x1,
    Priority = 0x2,
    RstStream = 0x3,
    Settings = 0x4,
    PushPromise = 0x5,
    Ping = 0x6,
    GoAway = 0x7,
    WindowUpdate = 0x8,
    Continuation = 0x9,
}

/// <summary>HTTP/2 error codes (RFC 7540 section 7), carried by RST_STREAM and GOAWAY.</summary>
public enum Http2ErrorCode : uint
{
    NoError = 0x0,
    ProtocolError = 0x1,
    InternalError = 0x2,
    FlowControlError = 0x3,
    SettingsTimeout = 0x4,
    StreamClosed = 0x5,
    FrameSizeError = 0x6,
    RefusedStream = 0x7,
    Cancel = 0x8,
    CompressionError = 0x9,
    ConnectError = 0xa,
    EnhanceYourCalm = 0xb,
    InadequateSecurity = 0xc,
    Http11Required = 0xd,
}

/// <summary>Frame flags, settings identifiers and fixed sizes (RFC 7540 sections 4.1, 6, 6.5.2).</summary>
public static class Http2Wire
{
    /// <summary>Length (24 bits), type, flags, reserved bit + stream id (31 bits).</summary>
    public const int FrameHeaderBytes = 9;

    /// <summary>SETTINGS_MAX_FRAME_SIZE we accept: we never raise it from the protocol default.</summary>
    public const int MaxFrameBytes = 16384;

    /// <summary>Initial flow-control window of a stream and of the connection (section 6.9.2).</summary>
    public const int DefaultWindowBytes = 65535;

    /// <summary>Largest flow-control window (2^31 - 1).</summary>
    public const int MaxWindowBytes = int.MaxValue;

    public const byte FlagEndStream = 0x1;
    public const byte FlagAck = 0x1;
    public const byte FlagEndHeaders = 0x4;
    public const byte FlagPadded = 0x8;
    public const byte FlagPriority = 0x20;

    public const ushort SettingHeaderTableSize = 0x1;
    public const ushort SettingEnablePush = 0x2;
    public const ushort SettingMaxConcurrentStreams = 0x3;
    public const ushort SettingInitialWindowSize = 0x4;
    public const ushort SettingMaxFrameSize = 0x5;
    public const ushort SettingMaxHeaderListSize = 0x6;

    /// <summary>The client connection preface (section 3.5).</summary>
    public static readonly byte[] ClientPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();

    /// <summary>The frame type's name as RFC 7540 spells it, for error messages.</summary>
    public static string Name(Http2FrameType type) => type switch
    {
        Http2FrameType.Data => "DATA",
        Http2FrameType.Headers => "HEADERS",
        Http2FrameType.Priority => "PRIORITY",
        Http2FrameType.RstStream => "RST_STREAM",
        Http2FrameType.Settings => "SETTINGS",
        Http2FrameType.PushPromise => "PUSH_PROMISE",
        Http2FrameType.Ping => "PING",
        Http2FrameType.GoAway => "GOAWAY",
        Http2FrameType.WindowUpdate => "WINDOW_UPDATE",
        Http2FrameType.Continuation => "CONTINUATION",
        _ => "type 0x" + ((byte)type).ToString("x2", System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>Writes a frame header at <paramref name="offset"/>.</summary>
    public static void WriteFrameHeader(byte[] buffer, int offset, int length, Http2FrameType type, byte flags, int streamId)
    {
        buffer[offset] = (byte)(length >> 16);
        buffer[offset + 1] = (byte)(length >> 8);
        buffer[offset + 2] = (byte)length;
        buffer[offset + 3] = (byte)type;
        buffer[offset + 4] = flags;
        WriteUInt31(buffer, offset + 5, streamId);
    }

    public static void WriteUInt31(byte[] buffer, int offset, int value)
    {
        buffer[offset] = (byte)((value >> 24) & 0x7F);
        buffer[offset + 1] = (byte)(value >> 16);
        buffer[offset + 2] = (byte)(value >> 8);
        buffer[offset + 3] = (byte)value;
    }

    public static uint ReadUInt32(byte[] buffer, int offset) =>
        ((uint)buffer[offset] << 24) | ((uint)buffer[offset + 1] << 16) | ((uint)buffer[offset + 2] << 8) | buffer[offset + 3];
}
