using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.Grpc.Tests;

[TestClass]
public sealed class GrpcProtocolTests
{
    [TestMethod]
    [DataRow(0L, "0n")]
    [DataRow(1L, "100n")]
    [DataRow(10_000_000L, "1000000u")]
    [DataRow(36_000_000_000L, "3600000m")]
    public void Timeouts_use_the_finest_unit_that_fits_eight_digits(long ticks, string expected)
    {
        Assert.AreEqual(expected, GrpcProtocol.FormatTimeout(TimeSpan.FromTicks(ticks)));
    }

    [TestMethod]
    [Verifies("IslDsgn~grpc-wire~1")]
    public void Percent_encoded_status_messages_decode_to_utf8()
    {
        // As a server percent-encodes grpc-message (PROTOCOL-HTTP2.md): bytes outside 0x20-0x7E and '%'.
        const string encoded = "VM 'web' refused: 100%25 busy %E2%80%94 %C3%BCn%C3%AFcode%0D%0Anext";
        Assert.AreEqual("VM 'web' refused: 100% busy — ünïcode\r\nnext", GrpcProtocol.DecodeMessage(encoded));
    }

    [TestMethod]
    public void Invalid_percent_escapes_are_kept_literally()
    {
        Assert.AreEqual("50%zz done%", GrpcProtocol.DecodeMessage("50%zz done%"));
    }

    [TestMethod]
    [Verifies("IslDsgn~grpc-wire~1")]
    public async Task A_framed_message_reads_back_and_the_stream_then_ends()
    {
        using var stream = new MemoryStream(new byte[] { 0, 0, 0, 0, 3, 1, 2, 3 });
        CollectionAssert.AreEqual(new byte[] { 1, 2, 3 }, await GrpcProtocol.ReadMessageAsync(stream, CancellationToken.None));
        Assert.IsNull(await GrpcProtocol.ReadMessageAsync(stream, CancellationToken.None));
    }

    [TestMethod]
    [DataRow(new byte[] { 0, 0 }, GrpcStatusCode.Internal, "truncated gRPC frame header")]
    [DataRow(new byte[] { 0, 0, 0, 0, 4, 1, 2 }, GrpcStatusCode.Internal, "truncated gRPC message")]
    [DataRow(new byte[] { 1, 0, 0, 0, 1, 9 }, GrpcStatusCode.Unimplemented, "compressed")]
    [DataRow(new byte[] { 7, 0, 0, 0, 1, 9 }, GrpcStatusCode.Internal, "invalid gRPC frame flag")]
    [DataRow(new byte[] { 0, 0x7f, 0xff, 0xff, 0xff }, GrpcStatusCode.ResourceExhausted, "exceeds")]
    [Verifies("IslDsgn~grpc-wire~1")]
    public async Task Bad_frames_are_rejected_with_a_status_naming_the_problem(byte[] bytes, GrpcStatusCode status, string fragment)
    {
        using var stream = new MemoryStream(bytes);
        var e = await Assert.ThrowsExactlyAsync<GrpcException>(() => GrpcProtocol.ReadMessageAsync(stream, CancellationToken.None));
        Assert.AreEqual(status, e.Status);
        StringAssert.Contains(e.Message, fragment);
    }
}
