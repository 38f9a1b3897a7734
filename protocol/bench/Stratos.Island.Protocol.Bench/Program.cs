using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using Google.Protobuf;
using Stratos.Island.Codec;
using IslandLink = Stratos.Island.Codec.Link;
using HostLink = Stratos.Island.Protocol.Link.V1;

namespace Stratos.Island.Protocol.Bench;

/// <summary>Codec benchmark: one operation = encode an Envelope into a preallocated buffer, then decode
/// it. The island codec encodes into a caller buffer and decodes into a reused Envelope; the baseline,
/// measured in the same run, is Google.Protobuf's fastest honest path: CalculateSize + WriteTo(Span)
/// into a preallocated buffer and Parser.ParseFrom(ReadOnlySpan). Each message: warm-up, then
/// several timed rounds of many iterations; the median round gives ns per operation. Island
/// allocations per operation come from GC.GetAllocatedBytesForCurrentThread.
/// The last line is JSON: {"bench":"codec","island_ns":..,"protobuf_ns":..,"ratio":..,"island_alloc_bytes":..}
/// (averages over the three messages; ratio = island / protobuf).</summary>
internal static class Program
{
    private const int Rounds = 7;
    private const double RoundTargetMs = 120;
    private const double WarmUpMs = 400;

    private sealed record Result(string Name, int Bytes, double IslandNs, double ProtobufNs, double IslandAlloc, double ProtobufAlloc);

    private static int Main(string[] args)
    {
        if (args.Length != 0)
        {
            Console.Error.WriteLine("usage: ./bench.sh codec   (no options)");
            return 2;
        }

        var results = new List<Result>
        {
            Measure("Checkpoint", Checkpoint()),
            Measure("VmRequest", VmRequest()),
            Measure("SupervisionStatus(8)", SupervisionStatus()),
        };

        Console.WriteLine();
        Console.WriteLine($"{"message",-22} {"bytes",5} {"island ns",10} {"protobuf ns",12} {"ratio",6} {"island B/op",12} {"protobuf B/op",14}");
        foreach (Result r in results)
        {
            Console.WriteLine($"{r.Name,-22} {r.Bytes,5} {r.IslandNs,10:F1} {r.ProtobufNs,12:F1} {r.IslandNs / r.ProtobufNs,6:F2} {r.IslandAlloc,12:F1} {r.ProtobufAlloc,14:F1}");
        }

        double island = results.Average(r => r.IslandNs);
        double protobuf = results.Average(r => r.ProtobufNs);
        double alloc = results.Average(r => r.IslandAlloc);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"bench\":\"codec\",\"island_ns\":{island:F1},\"protobuf_ns\":{protobuf:F1},\"ratio\":{island / protobuf:F3},\"island_alloc_bytes\":{alloc:F1}}}"));
        return 0;
    }

    private static HostLink.Envelope Checkpoint() => new()
    {
        ProtocolVersion = 1,
        Sequence = 123_456,
        Checkpoint = new HostLink.Checkpoint { EntityId = 3, CheckpointId = 17, ObservedAtUs = 1_234_567_890_123 },
    };

    // No reason string: the steady-state request path (a reason costs one string on decode).
    private static HostLink.Envelope VmRequest() => new()
    {
        ProtocolVersion = 1,
        Sequence = 77,
        CorrelationId = 1001,
        VmRequest = new HostLink.VmRequest { VmId = 3, Action = HostLink.VmAction.Restart },
    };

    private static HostLink.Envelope SupervisionStatus()
    {
        var envelope = new HostLink.Envelope
        {
            ProtocolVersion = 1,
            Sequence = 9_999,
            CorrelationId = 42,
            SupervisionStatus = new HostLink.SupervisionStatus { Global = Protocol.Common.V1.GlobalStatus.Failed, Cycle = 987_654, More = true },
        };
        for (int i = 0; i < 8; i++)
        {
            envelope.SupervisionStatus.Entities.Add(new HostLink.EntityStatus
            {
                EntityId = (uint)i,
                Status = i == 5 ? Protocol.Common.V1.LocalStatus.Failed : Protocol.Common.V1.LocalStatus.Ok,
                FailedRefCycles = i == 5 ? 2u : 0u,
                AliveCount = (uint)(10 + i),
                DeadlineViolations = (uint)(i % 3),
            });
        }

        return envelope;
    }

    private static Result Measure(string name, HostLink.Envelope host)
    {
        byte[] canonical = host.ToByteArray();
        var source = new IslandLink.Envelope();
        if (source.Decode(canonical, 0, canonical.Length) != CodecStatus.Ok) throw new InvalidOperationException(name + ": island cannot decode the sample");
        var target = new IslandLink.Envelope();
        var islandBuffer = new byte[LinkLimits.MaxPayloadBytes];
        var protobufBuffer = new byte[LinkLimits.MaxPayloadBytes];
        long sink = 0;

        long IslandOp(int iterations)
        {
            long check = 0;
            for (int i = 0; i < iterations; i++)
            {
                source.Encode(islandBuffer, 0, islandBuffer.Length, out int written);
                target.Decode(islandBuffer, 0, written);
                check += written + (long)target.BodyCase;
            }

            return check;
        }

        long ProtobufOp(int iterations)
        {
            long check = 0;
            for (int i = 0; i < iterations; i++)
            {
                int size = host.CalculateSize();
                host.WriteTo(protobufBuffer.AsSpan(0, size));
                HostLink.Envelope parsed = HostLink.Envelope.Parser.ParseFrom(protobufBuffer.AsSpan(0, size));
                check += size + (long)parsed.BodyCase;
            }

            return check;
        }

        // Correctness guard: both codecs produce the canonical bytes.
        source.Encode(islandBuffer, 0, islandBuffer.Length, out int islandWritten);
        if (!islandBuffer.AsSpan(0, islandWritten).SequenceEqual(canonical)) throw new InvalidOperationException(name + ": island bytes differ");

        (double ns, double alloc) Run(Func<int, long> op)
        {
            // Warm-up for WarmUpMs: lets tiered JIT promote the hot methods before any timing.
            var watch = Stopwatch.StartNew();
            while (watch.Elapsed.TotalMilliseconds < WarmUpMs) sink += op(5_000);
            watch.Restart();
            int calibrate = 10_000;
            sink += op(calibrate);
            double perOpMs = Math.Max(watch.Elapsed.TotalMilliseconds / calibrate, 1e-6);
            int iterations = (int)Math.Clamp(RoundTargetMs / perOpMs, 10_000, 5_000_000);
            var samples = new double[Rounds];
            long allocated = 0;
            for (int round = 0; round < Rounds; round++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                watch.Restart();
                sink += op(iterations);
                watch.Stop();
                allocated += GC.GetAllocatedBytesForCurrentThread() - before;
                samples[round] = watch.Elapsed.TotalMilliseconds * 1e6 / iterations;
            }

            Array.Sort(samples);
            return (samples[Rounds / 2], (double)allocated / ((long)iterations * Rounds));
        }

        (double islandNs, double islandAlloc) = Run(IslandOp);
        (double protobufNs, double protobufAlloc) = Run(ProtobufOp);
        Console.WriteLine($"{name}: island {islandNs:F1} ns, protobuf {protobufNs:F1} ns (checksum {sink})");
        return new Result(name, canonical.Length, islandNs, protobufNs, islandAlloc, protobufAlloc);
    }
}
