using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Google.Protobuf;
using Stratos.Island.Agent.Api;
using Stratos.Island.Agent.Services;
using Stratos.Island.Boards;
using Stratos.Island.Codec;
using Stratos.Island.Codec.Link;
using Stratos.Island.Grpc;
using Stratos.Island.Link;
using Stratos.Island.Link.Serial;

namespace Stratos.Island.Fuzz;

/// <summary>
/// One fuzz target per untrusted input of the system (docs/security.md). Each target takes the raw
/// bytes afl++ produced and drives them through the production entry point. Rejections the code
/// documents (a codec status, a BoardDescriptorException, a gRPC status) are normal; anything else
/// (an unexpected exception, a broken round trip, a handler failure) throws <see cref="FuzzFindingException"/>
/// or escapes, which afl++ records as a crash.
/// </summary>
public static class FuzzTargets
{
    /// <summary>Target name -> (what it covers, entry point).</summary>
    public static readonly IReadOnlyDictionary<string, (string Covers, Action<byte[]> Run)> All =
        new SortedDictionary<string, (string, Action<byte[]>)>(StringComparer.Ordinal)
        {
            ["envelope"] = ("the island's envelope decoder (Stratos.Island.Codec Envelope.Decode), with an encode/decode round trip of what it accepts", Envelope),
            ["serial"] = ("the serial framing decoder (COBS + CRC-32, SerialFrameDecoder.Feed) in input-chosen chunks, with a re-encode of each frame", Serial),
            ["board"] = ("the board descriptor loader (BoardLoader.Load of a board.yaml)", Board),
            ["island-config"] = ("the island configuration loader (IslandConfigLoader.Load of a vms.yaml against the virtual board)", IslandConfig),
            ["vring"] = ("the device side of the vrings (RpmsgLink as the island): a live link whose resource table, descriptor tables, avail/used indices and rings are scribbled between polls and sends", Vring),
            ["grpc"] = ("the operator API's request path behind Grpc.AspNetCore (request message parsing, the BoardService handlers, the ErrorCode mapping)", Grpc),
        };

    // ---- envelope -------------------------------------------------------------------------------

    // Instrumented code must not run before SharpFuzz maps afl++'s coverage memory (Fuzzer.Run):
    // the target's state lives in a nested class, built on the first input, not in this class's
    // static constructor.
    private static class EnvelopeState
    {
        public static readonly Envelope Decoded = new();
        public static readonly Envelope Redecoded = new();
        public static readonly byte[] Encoded = new byte[64 * 1024];
        public static readonly byte[] Reencoded = new byte[64 * 1024];
    }

    /// <summary>Decodes the input as an Envelope; what decodes must encode and decode to the same bytes.</summary>
    public static void Envelope(byte[] input)
    {
        Envelope decoded = EnvelopeState.Decoded, redecoded = EnvelopeState.Redecoded;
        byte[] encodedBytes = EnvelopeState.Encoded, reencodedBytes = EnvelopeState.Reencoded;
        if (decoded.Decode(input, 0, input.Length) != CodecStatus.Ok)
        {
            return;
        }

        CodecStatus encoded = decoded.Encode(encodedBytes, 0, encodedBytes.Length, out int written);
        if (encoded != CodecStatus.Ok)
        {
            throw new FuzzFindingException($"envelope: a decoded envelope does not encode again ({encoded})");
        }

        CodecStatus redecodeStatus = redecoded.Decode(encodedBytes, 0, written);
        if (redecodeStatus != CodecStatus.Ok)
        {
            throw new FuzzFindingException($"envelope: the encoding of a decoded envelope does not decode ({redecodeStatus})");
        }

        if (redecoded.Encode(reencodedBytes, 0, reencodedBytes.Length, out int rewritten) != CodecStatus.Ok ||
            !encodedBytes.AsSpan(0, written).SequenceEqual(reencodedBytes.AsSpan(0, rewritten)))
        {
            throw new FuzzFindingException("envelope: encode(decode(encode(x))) differs from encode(x)");
        }
    }

    // ---- serial ---------------------------------------------------------------------------------

    /// <summary>
    /// Feeds the input after its first byte to a SerialFrameDecoder in chunks of (first byte % 64) + 1
    /// bytes; every delivered frame must be at most MaxPayload bytes and survive encode + decode.
    /// </summary>
    public static void Serial(byte[] input)
    {
        if (input.Length == 0)
        {
            return;
        }

        int chunk = (input[0] % 64) + 1;
        var frames = new FrameCollector();
        var decoder = new SerialFrameDecoder(frames, new SerialFrameCounters());
        for (int offset = 1; offset < input.Length; offset += chunk)
        {
            decoder.Feed(input, offset, Math.Min(chunk, input.Length - offset));
        }

        foreach (byte[] frame in frames.Frames)
        {
            if (frame.Length > SerialFrameWriter.MaxPayload)
            {
                throw new FuzzFindingException($"serial: a {frame.Length}-byte frame passed the {SerialFrameWriter.MaxPayload}-byte maximum");
            }

            var wire = new byte[SerialFrameWriter.MaxEncodedFrame];
            var plain = new byte[SerialFrameWriter.MaxPayload + 4];
            int length = SerialFrameWriter.Encode(frame, 0, frame.Length, plain, wire);
            var again = new FrameCollector();
            new SerialFrameDecoder(again, new SerialFrameCounters()).Feed(wire, 0, length);
            if (again.Frames.Count != 1 || !again.Frames[0].AsSpan().SequenceEqual(frame))
            {
                throw new FuzzFindingException($"serial: a {frame.Length}-byte frame does not survive encode + decode");
            }
        }
    }

    private sealed class FrameCollector : ISerialFrameSink
    {
        public List<byte[]> Frames { get; } = new();

        public void OnFrame(byte[] buffer, int offset, int length) => Frames.Add(buffer.AsSpan(offset, length).ToArray());
    }

    // ---- vrings, device side ---------------------------------------------------------------------

    /// <summary>
    /// A device (island) and a driver (agent) RpmsgLink over one in-memory window in the OpenAMP
    /// reference layout, brought up; then the input, 4 bytes per step [op, offset lo, offset hi, value]:
    /// op % 4 = 0 writes value at window offset (offset % 0xC000: the resource table and both vrings:
    /// descriptors, avail and used rings and their indices), 1 polls the device, 2 has the driver send
    /// value bytes and polls the device, 3 has the device send value bytes. The island must survive
    /// whatever the agent's side of the memory holds: no exception, no hang.
    /// </summary>
    public static void Vring(byte[] input)
    {
        LinkLayout layout = LinkLayout.CreateOpenAmpLinuxReference();
        var memory = new ByteArraySharedMemory(layout.SharedMemorySize);
        var quiet = new QuietLinkSinks();
        var device = new RpmsgLink(layout, memory, quiet, LinkRole.Device, 4, new LinkCounters(), quiet, quiet);
        RpmsgEndpoint deviceEndpoint = device.CreateEndpoint("stratos-link", RpmsgHeader.AddressAny, quiet);
        var driver = new RpmsgLink(layout, memory, quiet, LinkRole.Driver, 4, new LinkCounters(), quiet, quiet);
        RpmsgEndpoint driverEndpoint = driver.CreateEndpoint("stratos-link", RpmsgHeader.AddressAny, quiet);
        device.Start();
        driver.Start();
        for (int i = 0; i < 4; i++)
        {
            device.Poll();
            driver.Poll();
        }

        byte[] payload = new byte[256];
        for (int step = 0; step + 4 <= input.Length; step += 4)
        {
            int offset = (input[step + 1] | (input[step + 2] << 8)) % 0xC000;
            byte value = input[step + 3];
            switch (input[step] % 4)
            {
                case 0:
                    memory.WriteByte(offset, value);
                    break;
                case 1:
                    device.Poll();
                    break;
                case 2:
                    driverEndpoint.TrySendToRemote(payload, 0, value);
                    device.Poll();
                    break;
                default:
                    deviceEndpoint.TrySendToRemote(payload, 0, value);
                    break;
            }
        }

        device.Poll();
    }

    private sealed class QuietLinkSinks : IDoorbell, ILinkErrorSink, ILinkEventSink, IRpmsgSink
    {
        public void Kick()
        {
        }

        public void OnLinkError(LinkErrorCode code, string message)
        {
        }

        public void OnLinkUp()
        {
        }

        public void OnLinkDown(string reason)
        {
        }

        public void OnRemoteChannel(string name, uint address, bool created)
        {
        }

        public void OnMessage(uint source, uint destination, byte[] buffer, int offset, int length)
        {
        }
    }

    // ---- board and island configuration ---------------------------------------------------------

    // Where the YAML targets write their input: $STRATOS_FUZZ_SCRATCH (fuzz.sh's run folder: afl-fuzz
    // ends its target with SIGKILL, which runs no exit handler), else a folder of this process
    // removed at its exit (replays, tests).
    private static readonly Lazy<string> ScratchFile = new(() =>
    {
        if (Environment.GetEnvironmentVariable("STRATOS_FUZZ_SCRATCH") is { Length: > 0 } given)
        {
            Directory.CreateDirectory(given);
            return Path.Combine(given, "input-" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".yaml");
        }

        string dir = Path.Combine(Path.GetTempPath(), "stratos-fuzz-" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(dir);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(dir, recursive: true);
        return Path.Combine(dir, "input.yaml");
    });

    private static readonly Lazy<BoardDescriptor> VirtualBoard = new(() =>
        BoardLoader.LoadById(BoardLoader.FindRepoBoardsDir(AppContext.BaseDirectory), "virtual"));

    /// <summary>Loads the input as a board.yaml; only BoardDescriptorException may reject it.</summary>
    public static void Board(byte[] input)
    {
        File.WriteAllBytes(ScratchFile.Value, input);
        try
        {
            BoardLoader.Load(ScratchFile.Value);
        }
        catch (BoardDescriptorException e) when (e.Errors.Count > 0)
        {
        }
    }

    /// <summary>Loads the input as a vms.yaml for the virtual board; only BoardDescriptorException may reject it.</summary>
    public static void IslandConfig(byte[] input)
    {
        BoardDescriptor board = VirtualBoard.Value;
        File.WriteAllBytes(ScratchFile.Value, input);
        try
        {
            IslandConfigLoader.Load(ScratchFile.Value, board);
        }
        catch (BoardDescriptorException e) when (e.Errors.Count > 0)
        {
        }
    }

    // ---- gRPC request path ----------------------------------------------------------------------

    private static readonly Lazy<BoardApi> Boards = new(() =>
        new BoardApi(new BoardService(BoardLoader.FindRepoBoardsDir(AppContext.BaseDirectory))));

    /// <summary>
    /// Input: a header line "METHOD PATH CONTENT-TYPE [GRPC-TIMEOUT]" ended by '\n', then the request
    /// body (gRPC length-prefixed messages). HTTP/2, routing and framing are Grpc.AspNetCore's; what
    /// the agent adds behind it is fuzzed: the first message parsed as the method's request type (a
    /// parse error is the INVALID_ARGUMENT/INTERNAL rejection Grpc.AspNetCore gives), then the real
    /// BoardService handlers. A rejection the API documents (an AgentException, mapped by
    /// ErrorMapping) is normal; any other exception is a finding.
    /// </summary>
    public static void Grpc(byte[] input)
    {
        int newline = Array.IndexOf(input, (byte)'\n');
        string header = System.Text.Encoding.Latin1.GetString(input, 0, newline < 0 ? input.Length : newline);
        byte[] body = newline < 0 ? Array.Empty<byte>() : input.AsSpan(newline + 1).ToArray();
        string[] fields = header.Split(' ');
        string method = fields.Length > 1 ? fields[1] : string.Empty;
        byte[]? message;
        try
        {
            message = GrpcProtocol.ReadMessage(new MemoryStream(body, writable: false));
        }
        catch (GrpcException)
        {
            return;
        }

        if (message is null)
        {
            return;
        }

        try
        {
            switch (method)
            {
                case Protocol.AgentMethods.ListBoards:
                    Boards.Value.ListBoards(Protocol.Agent.V1.ListBoardsRequest.Parser.ParseFrom(message), null!).GetAwaiter().GetResult();
                    break;
                case Protocol.AgentMethods.GetBoard:
                    Boards.Value.GetBoard(Protocol.Agent.V1.GetBoardRequest.Parser.ParseFrom(message), null!).GetAwaiter().GetResult();
                    break;
            }
        }
        catch (InvalidProtocolBufferException)
        {
        }
        catch (Agent.AgentException e)
        {
            if (Agent.ErrorMapping.ToGrpcStatus(e.Code) == global::Grpc.Core.StatusCode.OK)
            {
                throw new FuzzFindingException($"grpc: {method}: an AgentException mapped to OK: {e.Message}", e);
            }
        }
    }
}

/// <summary>A property a fuzz target checks did not hold: afl++ records the input as a crash.</summary>
public sealed class FuzzFindingException : Exception
{
    public FuzzFindingException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
