using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Grpc.Http2;
using Stratos.Island.Protocol.Agent.V1;

namespace Stratos.Island.Grpc.Tests;

/// <summary>
/// Our client against a scripted HTTP/2 peer on a real UNIX socket: bad frames must end the call with
/// a clear <see cref="GrpcException"/> (never a hang), and control frames must be answered.
/// </summary>
[TestClass]
public sealed class Http2ConnectionTests
{
    private static readonly TimeSpan NoHang = TimeSpan.FromSeconds(10);

    [TestMethod]
    public async Task A_frame_longer_than_max_frame_size_fails_the_call_and_sends_goaway()
    {
        await using var peer = await ScriptedPeer.StartAsync();
        var call = CallAsync(peer.Path);
        var request = await peer.AcceptRequestAsync();
        peer.Send(Frame(Http2FrameType.Settings, 0, 0, Array.Empty<byte>()));
        peer.Send(Frame(Http2FrameType.Data, 0, request.StreamId, new byte[20000]));
        var e = await Assert.ThrowsExactlyAsync<GrpcException>(() => call.WaitAsync(NoHang));
        Assert.AreEqual(GrpcStatusCode.Internal, e.Status);
        StringAssert.Contains(e.Message, "DATA frame of 20000 bytes exceeds SETTINGS_MAX_FRAME_SIZE 16384");
        Assert.AreEqual(Http2ErrorCode.FrameSizeError, await peer.ReadGoAwayCodeAsync());
    }

    [TestMethod]
    public async Task A_truncated_frame_fails_the_call_as_unavailable()
    {
        await using var peer = await ScriptedPeer.StartAsync();
        var call = CallAsync(peer.Path);
        var request = await peer.AcceptRequestAsync();
        var frame = Frame(Http2FrameType.Headers, Http2Wire.FlagEndHeaders, request.StreamId, new byte[50]);
        peer.Send(frame.AsSpan(0, Http2Wire.FrameHeaderBytes + 10).ToArray());
        peer.CloseConnection();
        var e = await Assert.ThrowsExactlyAsync<GrpcException>(() => call.WaitAsync(NoHang));
        Assert.AreEqual(GrpcStatusCode.Unavailable, e.Status);
        StringAssert.Contains(e.Message, "connection closed inside a HEADERS frame (10 of 50 payload bytes)");
    }

    [TestMethod]
    public async Task A_bad_hpack_index_fails_the_call_with_a_compression_error()
    {
        await using var peer = await ScriptedPeer.StartAsync();
        var call = CallAsync(peer.Path);
        var request = await peer.AcceptRequestAsync();
        peer.Send(Frame(Http2FrameType.Headers, Http2Wire.FlagEndHeaders, request.StreamId, new byte[] { 0x88, 0xFF, 0x10 }));
        var e = await Assert.ThrowsExactlyAsync<GrpcException>(() => call.WaitAsync(NoHang));
        Assert.AreEqual(GrpcStatusCode.Internal, e.Status);
        StringAssert.Contains(e.Message, "index 143 is outside the static table");
        Assert.AreEqual(Http2ErrorCode.CompressionError, await peer.ReadGoAwayCodeAsync());
    }

    [TestMethod]
    public async Task Ping_is_acknowledged_and_a_split_header_block_with_padding_and_huffman_is_read()
    {
        await using var peer = await ScriptedPeer.StartAsync();
        var call = CallAsync(peer.Path);
        var request = await peer.AcceptRequestAsync();
        var ping = new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 };
        peer.Send(Frame(Http2FrameType.Ping, 0, 0, ping));
        var pong = await peer.ReadFrameAsync(Http2FrameType.Ping);
        Assert.AreEqual(Http2Wire.FlagAck, pong.Flags);
        CollectionAssert.AreEqual(ping, pong.Payload);

        // :status 200 (static index 8), then content-type (static name 31) with incremental indexing
        // and a Huffman-coded value; the block is padded and split across HEADERS + CONTINUATION.
        var block = new List<byte> { 0x88, 0x5f, 0x8b };
        block.AddRange(Convert.FromHexString("1d75d0620d263d4c4d6564"));
        var padded = new List<byte> { 3 };
        padded.AddRange(block.GetRange(0, 5));
        padded.AddRange(new byte[3]);
        peer.Send(Frame(Http2FrameType.Headers, Http2Wire.FlagPadded, request.StreamId, padded.ToArray()));
        peer.Send(Frame(Http2FrameType.Continuation, Http2Wire.FlagEndHeaders, request.StreamId, block.GetRange(5, block.Count - 5).ToArray()));
        var message = new ListVmsResponse { Vms = { new Stratos.Island.Protocol.Agent.V1.Vm { Name = "web" } } };
        var bytes = Google.Protobuf.MessageExtensions.ToByteArray(message);
        var data = new byte[5 + bytes.Length];
        data[4] = (byte)bytes.Length;
        bytes.CopyTo(data, 5);
        peer.Send(Frame(Http2FrameType.Data, 0, request.StreamId, data));
        // Trailers: grpc-status 0, the name Huffman-coded (8 bytes), without indexing.
        var trailers = new List<byte> { 0x00, 0x88 };
        trailers.AddRange(Convert.FromHexString("9acac8b21234da8f"));
        trailers.AddRange(new byte[] { 0x01, (byte)'0' });
        peer.Send(Frame(Http2FrameType.Headers, Http2Wire.FlagEndHeaders | Http2Wire.FlagEndStream, request.StreamId, trailers.ToArray()));
        var response = await call.WaitAsync(NoHang);
        Assert.AreEqual("web", response.Vms[0].Name);
    }

    [TestMethod]
    public async Task Rst_stream_refused_is_unavailable()
    {
        await using var peer = await ScriptedPeer.StartAsync();
        var call = CallAsync(peer.Path);
        var request = await peer.AcceptRequestAsync();
        peer.Send(Frame(Http2FrameType.RstStream, 0, request.StreamId, new byte[] { 0, 0, 0, (byte)Http2ErrorCode.RefusedStream }));
        var e = await Assert.ThrowsExactlyAsync<GrpcException>(() => call.WaitAsync(NoHang));
        Assert.AreEqual(GrpcStatusCode.Unavailable, e.Status);
        StringAssert.Contains(e.Message, "RefusedStream");
    }

    [TestMethod]
    public async Task The_request_carries_grpc_headers_and_the_deadline()
    {
        await using var peer = await ScriptedPeer.StartAsync();
        using var client = GrpcClient.ForUnixSocket(peer.Path);
        var call = client.UnaryAsync("/stratos.island.agent.v1.VmService/ListVms", new ListVmsRequest(), ListVmsResponse.Parser, TimeSpan.FromSeconds(2));
        var request = await peer.AcceptRequestAsync();
        Assert.AreEqual("POST", request.Headers[":method"]);
        Assert.AreEqual("/stratos.island.agent.v1.VmService/ListVms", request.Headers[":path"]);
        Assert.AreEqual("application/grpc", request.Headers["content-type"]);
        Assert.AreEqual("trailers", request.Headers["te"]);
        Assert.AreEqual("2000000u", request.Headers["grpc-timeout"]);   // 2 s in the finest unit that fits 8 digits
        CollectionAssert.AreEqual(new byte[] { 0, 0, 0, 0, 0 }, request.Body);
        var e = await Assert.ThrowsExactlyAsync<GrpcException>(() => call.WaitAsync(NoHang));
        Assert.AreEqual(GrpcStatusCode.DeadlineExceeded, e.Status);
        var reset = await peer.ReadFrameAsync(Http2FrameType.RstStream);
        Assert.AreEqual((uint)Http2ErrorCode.Cancel, Http2Wire.ReadUInt32(reset.Payload, 0));
    }

    [TestMethod]
    public async Task A_response_larger_than_half_the_stream_window_is_credited_back_with_window_update()
    {
        await using var peer = await ScriptedPeer.StartAsync();
        var call = CallAsync(peer.Path);
        var request = await peer.AcceptRequestAsync();
        var message = Google.Protobuf.MessageExtensions.ToByteArray(new ListVmsResponse { Vms = { new Stratos.Island.Protocol.Agent.V1.Vm { Name = new string('x', 700_000) } } });
        var body = new byte[5 + message.Length];
        body[1] = (byte)(message.Length >> 24);
        body[2] = (byte)(message.Length >> 16);
        body[3] = (byte)(message.Length >> 8);
        body[4] = (byte)message.Length;
        message.CopyTo(body, 5);
        var headers = new List<byte> { 0x88, 0x5f, 0x10 };
        headers.AddRange("application/grpc"u8.ToArray());
        peer.Send(Frame(Http2FrameType.Headers, Http2Wire.FlagEndHeaders, request.StreamId, headers.ToArray()));
        for (int offset = 0; offset < body.Length; offset += Http2Wire.MaxFrameBytes)
        {
            int length = Math.Min(Http2Wire.MaxFrameBytes, body.Length - offset);
            peer.Send(Frame(Http2FrameType.Data, 0, request.StreamId, body.AsSpan(offset, length).ToArray()));
        }

        // More than half of the 1 MiB stream window was consumed: the client returns the credit.
        var update = await peer.ReadFrameAsync(Http2FrameType.WindowUpdate);
        while (update.StreamId != request.StreamId)
        {
            update = await peer.ReadFrameAsync(Http2FrameType.WindowUpdate);
        }

        Assert.IsTrue(Http2Wire.ReadUInt32(update.Payload, 0) >= Http2Connection.StreamWindowBytes / 2);
        peer.Send(Frame(Http2FrameType.Headers, Http2Wire.FlagEndHeaders | Http2Wire.FlagEndStream, request.StreamId, new byte[] { 0x00, 0x0b }.Concat("grpc-status"u8.ToArray()).Concat(new byte[] { 0x01, (byte)'0' }).ToArray()));
        var response = await call.WaitAsync(NoHang);
        Assert.AreEqual(700_000, response.Vms[0].Name.Length);
    }

    private static async Task<ListVmsResponse> CallAsync(string socket)
    {
        using var client = GrpcClient.ForUnixSocket(socket);
        return await client.UnaryAsync("/stratos.island.agent.v1.VmService/ListVms", new ListVmsRequest(), ListVmsResponse.Parser);
    }

    private static byte[] Frame(Http2FrameType type, byte flags, int streamId, byte[] payload)
    {
        var frame = new byte[Http2Wire.FrameHeaderBytes + payload.Length];
        Http2Wire.WriteFrameHeader(frame, 0, payload.Length, type, flags, streamId);
        payload.CopyTo(frame, Http2Wire.FrameHeaderBytes);
        return frame;
    }

    private sealed record RawFrame(Http2FrameType Type, byte Flags, int StreamId, byte[] Payload);

    private sealed record Request(int StreamId, Dictionary<string, string> Headers, byte[] Body);

    /// <summary>A UNIX socket server that reads the client's frames and sends whatever the test scripts.</summary>
    private sealed class ScriptedPeer : IAsyncDisposable
    {
        private readonly Socket _listener;
        private Socket? _connection;
        private NetworkStream? _stream;

        private ScriptedPeer(string path, Socket listener)
        {
            Path = path;
            _listener = listener;
        }

        public string Path { get; }

        public static Task<ScriptedPeer> StartAsync()
        {
            string path = DemoService.NewSocketPath();
            var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen(1);
            return Task.FromResult(new ScriptedPeer(path, listener));
        }

        /// <summary>Accepts the connection, checks the preface, and reads frames up to the request's END_STREAM.</summary>
        public async Task<Request> AcceptRequestAsync()
        {
            _connection = await _listener.AcceptAsync().WaitAsync(NoHang);
            _stream = new NetworkStream(_connection);
            var preface = new byte[Http2Wire.ClientPreface.Length];
            await _stream.ReadExactlyAsync(preface).AsTask().WaitAsync(NoHang);
            CollectionAssert.AreEqual(Http2Wire.ClientPreface, preface);
            var headers = new Dictionary<string, string>();
            var decoder = new HpackDecoder();
            var body = new MemoryStream();
            int streamId = 0;
            while (true)
            {
                var frame = await ReadAnyFrameAsync();
                if (frame.Type == Http2FrameType.Headers)
                {
                    streamId = frame.StreamId;
                    var fields = new List<KeyValuePair<string, string>>();
                    decoder.Decode(frame.Payload, fields);
                    foreach (var field in fields)
                    {
                        headers[field.Key] = field.Value;
                    }
                }
                else if (frame.Type == Http2FrameType.Data)
                {
                    body.Write(frame.Payload);
                    if ((frame.Flags & Http2Wire.FlagEndStream) != 0)
                    {
                        return new Request(streamId, headers, body.ToArray());
                    }
                }
            }
        }

        public void Send(byte[] bytes) => _stream!.Write(bytes);

        public void CloseConnection() => _connection!.Shutdown(SocketShutdown.Send);

        public async Task<RawFrame> ReadFrameAsync(Http2FrameType type)
        {
            while (true)
            {
                var frame = await ReadAnyFrameAsync();
                if (frame.Type == type)
                {
                    return frame;
                }
            }
        }

        public async Task<Http2ErrorCode> ReadGoAwayCodeAsync()
        {
            var frame = await ReadFrameAsync(Http2FrameType.GoAway);
            return (Http2ErrorCode)Http2Wire.ReadUInt32(frame.Payload, 4);
        }

        public ValueTask DisposeAsync()
        {
            _stream?.Dispose();
            _connection?.Dispose();
            _listener.Dispose();
            File.Delete(Path);
            return ValueTask.CompletedTask;
        }

        private async Task<RawFrame> ReadAnyFrameAsync()
        {
            var header = new byte[Http2Wire.FrameHeaderBytes];
            await _stream!.ReadExactlyAsync(header).AsTask().WaitAsync(NoHang);
            int length = (header[0] << 16) | (header[1] << 8) | header[2];
            var payload = new byte[length];
            await _stream.ReadExactlyAsync(payload).AsTask().WaitAsync(NoHang);
            return new RawFrame((Http2FrameType)header[3], header[4], (int)(Http2Wire.ReadUInt32(header, 5) & 0x7FFFFFFF), payload);
        }
    }
}
