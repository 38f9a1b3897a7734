// Serial framing for an island on an external MCU behind a UART.
//
// Frame on the wire:  COBS( payload[0..512] ++ crc32(payload) as u32 little-endian ) ++ 0x00
// COBS (Cheshire & Baker, "Consistent Overhead Byte Stuffing", IEEE/ACM ToN 1999) removes every 0x00
// from the frame body, so 0x00 only ever appears as the delimiter. A receiver that joins mid-stream,
// or sees line noise, drops bytes up to the next 0x00 and is in sync again from the next frame.
// Writers may send a leading 0x00 too (empty frames are ignored) to flush a partial frame at the peer;
// SerialPortTransport does so when it opens the line (issue 18: a restarted island's first frame
// was glued to the half frame its killed predecessor left in the agent's decoder, and lost).
//
// Decoder states: Collecting (appending body bytes) -> 0x00 -> decode + CRC check -> deliver or count;
// Discarding (body passed the maximum) -> 0x00 -> Collecting. Counters: Frames, BadCrc, Overlong,
// Truncated (body too short for a CRC or a COBS code pointing past the end).
using Stratos.Island.Codec;

namespace Stratos.Island.Link.Serial
{
    /// <summary>Where encoded bytes go (a UART driver, a tty, a test buffer).</summary>
    public interface IByteSink
    {
        void Write(byte[] buffer, int offset, int count);
    }

    /// <summary>Receives each good frame; the buffer is the decoder's own: copy what you keep.</summary>
    public interface ISerialFrameSink
    {
        void OnFrame(byte[] buffer, int offset, int length);
    }

    public sealed class SerialFrameCounters
    {
        public int Frames;
        public int BadCrc;
        public int Overlong;
        public int Truncated;
        public int BytesDiscarded;
    }

    /// <summary>COBS + CRC-32 encoder writing whole frames to a byte sink. No allocation per frame.</summary>
    public sealed class SerialFrameWriter
    {
        public const int MaxPayload = 512;

        /// <summary>Largest encoded frame: payload + CRC + one COBS code byte per 254 + the delimiter.</summary>
        public const int MaxEncodedFrame = MaxPayload + 4 + (MaxPayload + 4) / 254 + 1 + 1;

        private readonly IByteSink _sink;
        private readonly byte[] _plain = new byte[MaxPayload + 4];
        private readonly byte[] _encoded = new byte[MaxEncodedFrame];
        private readonly byte[] _delimiter = new byte[1];

        public SerialFrameWriter(IByteSink sink)
        {
            _sink = sink;
        }

        /// <summary>Writes a lone 0x00: the peer's decoder ends whatever partial frame it holds (a
        /// previous writer on the line vanished mid-frame) and counts it, so the next frame is
        /// delivered whole. A transport calls it when it opens the line.</summary>
        public void WriteDelimiter()
        {
            _delimiter[0] = 0;
            _sink.Write(_delimiter, 0, 1);
        }

        /// <summary>Encodes and writes one frame. Returns false (nothing written) for a bad argument
        /// or a payload over 512 bytes.</summary>
        public bool TryWrite(byte[] payload, int offset, int count)
        {
            if (payload == null || offset < 0 || count < 0 || offset > payload.Length - count || count > MaxPayload)
            {
                return false;
            }

            int length = Encode(payload, offset, count, _plain, _encoded);
            _sink.Write(_encoded, 0, length);
            return true;
        }

        /// <summary>Encodes a frame into output (at least MaxEncodedFrame bytes), using plain
        /// (MaxPayload + 4 bytes) as scratch. Returns the frame length including the delimiter.</summary>
        public static int Encode(byte[] payload, int offset, int count, byte[] plain, byte[] output)
        {
            System.Array.Copy(payload, offset, plain, 0, count);
            uint crc = Crc32.Compute(payload, offset, count);
            plain[count] = (byte)crc;
            plain[count + 1] = (byte)(crc >> 8);
            plain[count + 2] = (byte)(crc >> 16);
            plain[count + 3] = (byte)(crc >> 24);
            int total = count + 4;

            int write = 1;
            int codeAt = 0;
            byte code = 1;
            for (int i = 0; i < total; i++)
            {
                byte b = plain[i];
                if (b == 0)
                {
                    output[codeAt] = code;
                    codeAt = write++;
                    code = 1;
                    continue;
                }

                output[write++] = b;
                code++;
                if (code == 0xFF)
                {
                    output[codeAt] = code;
                    codeAt = write++;
                    code = 1;
                }
            }

            output[codeAt] = code;
            output[write++] = 0;
            return write;
        }
    }

    /// <summary>Feeds received bytes in any chunking; delivers each good frame to the sink.</summary>
    public sealed class SerialFrameDecoder
    {
        private readonly ISerialFrameSink _sink;
        private readonly byte[] _body = new byte[SerialFrameWriter.MaxEncodedFrame];
        private readonly byte[] _plain = new byte[SerialFrameWriter.MaxPayload + 4 + 254];
        private int _bodyLength;
        private bool _discarding;

        public SerialFrameDecoder(ISerialFrameSink sink, SerialFrameCounters counters)
        {
            _sink = sink;
            Counters = counters != null ? counters : new SerialFrameCounters();
        }

        public SerialFrameCounters Counters { get; private set; }

        public void Feed(byte[] data, int offset, int count)
        {
            for (int i = offset; i < offset + count; i++)
            {
                byte b = data[i];
                if (b == 0)
                {
                    if (_discarding)
                    {
                        _discarding = false;
                    }
                    else if (_bodyLength > 0)
                    {
                        FinishFrame();
                    }

                    _bodyLength = 0;
                    continue;
                }

                if (_discarding)
                {
                    Counters.BytesDiscarded++;
                    continue;
                }

                if (_bodyLength == _body.Length - 1)
                {
                    Counters.Overlong++;
                    Counters.BytesDiscarded += _bodyLength + 1;
                    _discarding = true;
                    _bodyLength = 0;
                    continue;
                }

                _body[_bodyLength++] = b;
            }
        }

        private void FinishFrame()
        {
            int plainLength = 0;
            int read = 0;
            while (read < _bodyLength)
            {
                int code = _body[read++];
                if (read + code - 1 > _bodyLength)
                {
                    Counters.Truncated++;
                    return;
                }

                for (int k = 1; k < code; k++)
                {
                    _plain[plainLength++] = _body[read++];
                }

                if (code != 0xFF && read < _bodyLength)
                {
                    _plain[plainLength++] = 0;
                }
            }

            if (plainLength < 4)
            {
                Counters.Truncated++;
                return;
            }

            int payloadLength = plainLength - 4;
            if (payloadLength > SerialFrameWriter.MaxPayload)
            {
                Counters.Overlong++;
                return;
            }

            uint expected = (uint)(_plain[payloadLength] | (_plain[payloadLength + 1] << 8) | (_plain[payloadLength + 2] << 16) | (_plain[payloadLength + 3] << 24));
            if (Crc32.Compute(_plain, 0, payloadLength) != expected)
            {
                Counters.BadCrc++;
                return;
            }

            Counters.Frames++;
            _sink.OnFrame(_plain, 0, payloadLength);
        }
    }
}
