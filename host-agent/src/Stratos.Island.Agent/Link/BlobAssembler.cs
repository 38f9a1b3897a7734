// Reassembly of BlobChunk transfers (link.proto BlobChunk/BlobAck). Chunks of one transfer share a
// transfer id and arrive in offset order; the blob is complete when offset + data reaches
// total_length, and is accepted only if its CRC-32 (IEEE) matches. A chunk out of order, a length
// change mid-transfer or a blob over the limit aborts the transfer with a reason for the BlobAck.
using System.Collections.Generic;
using Stratos.Island.Protocol.Common.V1;
using Stratos.Island.Protocol.Link.V1;

namespace Stratos.Island.Agent.Link;

/// <summary>Reassembles blobs; single-threaded (the link thread).</summary>
public sealed class BlobAssembler
{
    /// <summary>Largest blob accepted (a VmDefinition is at most 2048 bytes; bundles may be larger).</summary>
    public const int MaxBlobBytes = 64 * 1024;

    private readonly Dictionary<uint, (BlobKind Kind, byte[] Data, uint Filled, uint Crc)> _open = new();

    /// <summary>
    /// Adds a chunk. Returns a BlobAck when the transfer ended (completed or refused) and sets
    /// <paramref name="completed"/> to the blob when it was accepted.
    /// </summary>
    public BlobAck? Add(BlobChunk chunk, out byte[]? completed)
    {
        completed = null;
        if (chunk.TotalLength == 0 || chunk.TotalLength > MaxBlobBytes)
        {
            _open.Remove(chunk.TransferId);
            return Refuse(chunk.TransferId, ErrorCode.ResourceExhausted, $"blob {chunk.TransferId}: total_length {chunk.TotalLength} outside 1..{MaxBlobBytes}");
        }

        if (!_open.TryGetValue(chunk.TransferId, out var transfer))
        {
            if (chunk.Offset != 0)
            {
                return Refuse(chunk.TransferId, ErrorCode.Malformed, $"blob {chunk.TransferId}: first chunk at offset {chunk.Offset}, expected 0");
            }

            transfer = (chunk.Kind, new byte[chunk.TotalLength], 0, chunk.Crc32);
        }

        if (chunk.Offset != transfer.Filled || transfer.Data.Length != chunk.TotalLength || chunk.Offset + (uint)chunk.Data.Length > chunk.TotalLength)
        {
            _open.Remove(chunk.TransferId);
            return Refuse(chunk.TransferId, ErrorCode.Malformed,
                $"blob {chunk.TransferId}: chunk at offset {chunk.Offset} (+{chunk.Data.Length}) does not follow {transfer.Filled} of {transfer.Data.Length}");
        }

        chunk.Data.CopyTo(transfer.Data, (int)chunk.Offset);
        transfer.Filled += (uint)chunk.Data.Length;
        if (transfer.Filled < transfer.Data.Length)
        {
            _open[chunk.TransferId] = transfer;
            return null;
        }

        _open.Remove(chunk.TransferId);
        uint crc = Stratos.Island.Codec.Crc32.Compute(transfer.Data, 0, transfer.Data.Length);
        if (crc != transfer.Crc)
        {
            return Refuse(chunk.TransferId, ErrorCode.Integrity, $"blob {chunk.TransferId}: CRC-32 0x{crc:x8} does not match 0x{transfer.Crc:x8}");
        }

        completed = transfer.Data;
        return new BlobAck { TransferId = chunk.TransferId };
    }

    /// <summary>Forgets unfinished transfers (the session went down).</summary>
    public void Reset() => _open.Clear();

    private static BlobAck Refuse(uint transferId, ErrorCode code, string message) =>
        new() { TransferId = transferId, Code = code, Message = message.Length > 160 ? message[..160] : message };
}
