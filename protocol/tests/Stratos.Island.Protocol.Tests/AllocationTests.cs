using System;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Codec;
using Stratos.Island.Codec.Link;

namespace Stratos.Island.Protocol.Tests;

/// <summary>Steady-state encode and decode of the hot link messages allocates nothing (DESIGN.md
/// invariant: a GC pause on the MCU is a missed deadline).</summary>
[TestClass]
public sealed class AllocationTests
{
    private const int Iterations = 10_000;

    private static long AllocatedWhileRoundTripping(Envelope source)
    {
        var buffer = new byte[LinkLimits.MaxPayloadBytes];
        var target = new Envelope();
        CodecStatus status = CodecStatus.Ok;
        // Warm up: JIT and any lazy runtime state.
        for (int i = 0; i < 100; i++)
        {
            source.Encode(buffer, 0, buffer.Length, out int written);
            status |= target.Decode(buffer, 0, written);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Iterations; i++)
        {
            status |= source.Encode(buffer, 0, buffer.Length, out int written);
            status |= target.Decode(buffer, 0, written);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.AreEqual(CodecStatus.Ok, status);
        Assert.AreEqual(source.BodyCase, target.BodyCase);
        return allocated;
    }

    [TestMethod]
    public void Checkpoint_round_trips_allocate_nothing()
    {
        var envelope = new Envelope { ProtocolVersion = 1, Sequence = 123456 };
        envelope.SetBody(EnvelopeBody.Checkpoint);
        envelope.Checkpoint.EntityId = 3;
        envelope.Checkpoint.CheckpointId = 17;
        envelope.Checkpoint.ObservedAtUs = 1_234_567_890_123;
        Assert.AreEqual(0L, AllocatedWhileRoundTripping(envelope));
    }

    [TestMethod]
    public void Alive_indication_round_trips_allocate_nothing()
    {
        var envelope = new Envelope { ProtocolVersion = 1, Sequence = 99 };
        envelope.SetBody(EnvelopeBody.AliveIndication);
        envelope.AliveIndication.EntityId = 0;
        envelope.AliveIndication.Count = 4;
        Assert.AreEqual(0L, AllocatedWhileRoundTripping(envelope));
    }

    [TestMethod]
    public void Vm_request_without_reason_round_trips_allocate_nothing()
    {
        var envelope = new Envelope { ProtocolVersion = 1, Sequence = 5, CorrelationId = 77 };
        envelope.SetBody(EnvelopeBody.VmRequest);
        envelope.VmRequest.VmId = 3;
        envelope.VmRequest.Action = VmAction.Restart;
        Assert.AreEqual(0L, AllocatedWhileRoundTripping(envelope));
    }

    [TestMethod]
    public void Supervision_status_round_trips_allocate_nothing()
    {
        var envelope = new Envelope { ProtocolVersion = 1, Sequence = 5 };
        envelope.SetBody(EnvelopeBody.SupervisionStatus);
        SupervisionStatus status = envelope.SupervisionStatus;
        status.Global = GlobalStatus.Ok;
        status.Cycle = 1_000_000;
        for (int i = 0; i < SupervisionStatus.EntitiesMaxCount; i++)
        {
            EntityStatus entity = status.Entities[i];
            entity.Clear();
            entity.EntityId = (uint)i;
            entity.Status = LocalStatus.Ok;
            entity.AliveCount = 10;
        }

        status.EntitiesCount = SupervisionStatus.EntitiesMaxCount;
        Assert.AreEqual(0L, AllocatedWhileRoundTripping(envelope));
    }

    [TestMethod]
    public void Decoding_a_string_allocates_only_the_string()
    {
        // Counter-check that the measurement sees allocations at all.
        var envelope = new Envelope();
        envelope.SetBody(EnvelopeBody.VmRequest);
        envelope.VmRequest.Reason = "operator";
        Assert.IsGreaterThan(0L, AllocatedWhileRoundTripping(envelope));
    }
}
