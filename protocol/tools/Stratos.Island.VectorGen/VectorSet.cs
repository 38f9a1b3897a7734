using System;
using System.Collections.Generic;
using System.IO;
using Google.Protobuf;
using Stratos.Island.Protocol.Common.V1;
using Stratos.Island.Protocol.Link.V1;

namespace Stratos.Island.VectorGen;

/// <summary>The golden vectors of the link protocol. Canonical ones are encoded by Google.Protobuf
/// (every Envelope body at least once, plus edge values); non-canonical ones are hand-built valid
/// encodings the island decoder must read exactly as Google.Protobuf does.</summary>
public static class VectorSet
{
    private const ulong BootIdA = 0x0123456789ABCDEFul;
    private const ulong BootIdB = 0xFEDCBA9876543210ul;

    public static string? FindRepositoryRoot(string start)
    {
        for (DirectoryInfo? dir = new(start); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Stratos.Island.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    public static IReadOnlyList<GoldenVector> Build()
    {
        var list = new List<GoldenVector>();
        AddCanonical(list);
        AddNonCanonical(list);
        return list;
    }

    private static Envelope Env(uint sequence, uint correlation = 0) =>
        new() { ProtocolVersion = 1, Sequence = sequence, CorrelationId = correlation };

    private static void Canonical(List<GoldenVector> list, string name, string comment, IMessage message) =>
        list.Add(new GoldenVector(name, comment, message.Descriptor.Name, true, message.ToByteArray()));

    private static string Repeat(char c, int count) => new(c, count);

    private static byte[] Pattern(int length)
    {
        var bytes = new byte[length];
        for (int i = 0; i < length; i++) bytes[i] = (byte)(i * 7 + 3);
        return bytes;
    }

    /// <summary>Hello as the agent sends it on (re)connection; also used by other vectors.</summary>
    public static Hello SampleHello() => new()
    {
        Role = Role.Agent,
        MinVersion = 1,
        MaxVersion = 1,
        BootId = BootIdA,
        BoardId = "qemu-virt-island",
        ResetReason = ResetReason.ProcessStart,
        ConfigHash = 0xC0FFEE01,
        Capabilities = (uint)(Capability.Blobs | Capability.EventLog | Capability.Power),
        SoftwareVersion = "island-agent 0.1.0",
        LastPeerBootId = BootIdB,
    };

    public static VmRequest SampleVmRequest() => new() { VmId = 3, Action = VmAction.Start, Reason = "operator: island vm start web" };

    public static Checkpoint SampleCheckpoint() => new() { EntityId = 3, CheckpointId = 17, ObservedAtUs = 1_234_567_890_123 };

    public static SupervisionStatus SampleSupervisionStatus(int entities)
    {
        var status = new SupervisionStatus { Global = GlobalStatus.Failed, Cycle = 987_654, ExpiredCycles = 0, More = entities >= 8 };
        for (int i = 0; i < entities; i++)
        {
            status.Entities.Add(new EntityStatus
            {
                EntityId = (uint)i,
                Status = i == 5 ? LocalStatus.Failed : LocalStatus.Ok,
                FailedRefCycles = i == 5 ? 2u : 0u,
                AliveCount = (uint)(10 + i),
                DeadlineViolations = (uint)(i % 3),
                LogicalViolations = i == 7 ? 1u : 0u,
            });
        }

        return status;
    }

    public static VmDefinition SampleVmDefinition()
    {
        var def = new VmDefinition
        {
            VmId = 3,
            Name = "web",
            Criticality = Criticality.Qm,
            BootOrder = 20,
            Restart = new RestartPolicy { MaxRestarts = 3, WindowMs = 60_000, BackoffInitialMs = 500, BackoffMaxMs = 8_000 },
            Supervision = new SupervisionConfig
            {
                Alive = new AliveSupervision { ExpectedIndications = 10, MinMargin = 2, MaxMargin = 2, ReferenceCycles = 10 },
                Logical = new LogicalSupervision(),
                FailedRefCycleTolerance = 1,
            },
            SafeAction = SafeAction.RestartVm,
            StartTimeoutMs = 5_000,
            StopTimeoutMs = 3_000,
            Autostart = true,
            Vmm = new VmmConfig
            {
                Machine = "microvm",
                MemoryMib = 256,
                Vcpus = 2,
                Kernel = "/var/lib/island/web/vmlinux",
                Disk = "/var/lib/island/web/rootfs.ext4",
                Cmdline = "console=ttyS0 quiet",
            },
        };
        def.DependsOn.Add(new uint[] { 1, 2 });
        def.PowerDomains.Add(4);
        def.Supervision.Deadlines.Add(new DeadlineSupervision { StartCheckpoint = 1, EndCheckpoint = 2, MinMs = 0, MaxMs = 50 });
        def.Supervision.Logical.InitialCheckpoints.Add(1);
        def.Supervision.Logical.FinalCheckpoints.Add(3);
        def.Supervision.Logical.Transitions.Add(new LogicalTransition { FromCheckpoint = 1, ToCheckpoint = 2 });
        def.Supervision.Logical.Transitions.Add(new LogicalTransition { FromCheckpoint = 2, ToCheckpoint = 3 });
        def.Vmm.ExtraArgs.Add(new[] { "-no-reboot", "-nodefaults" });
        return def;
    }

    private static Event SampleEvent(uint sequence, string detail) => new()
    {
        Sequence = sequence,
        TimestampUs = 5_000_000 + sequence * 1000ul,
        BootCount = 12,
        Type = EventType.VmState,
        SubjectId = 3,
        Value = (int)VmState.Running,
        Detail = detail,
    };

    private static void AddCanonical(List<GoldenVector> list)
    {
        Canonical(list, "envelope_empty", "Envelope with every field at its default: zero bytes", new Envelope());
        Canonical(list, "envelope_hello", "Hello with every field set, as the agent sends it", Env(1).Also(e => e.Hello = SampleHello()));
        Canonical(list, "envelope_hello_ack", "HelloAck with every field set", Env(1, 0).Also(e => e.HelloAck = new HelloAck
        {
            Role = Role.Island,
            Version = 1,
            BootId = BootIdB,
            PeerBootId = BootIdA,
            BoardId = "qemu-virt-island",
            ResetReason = ResetReason.PowerOn,
            ConfigHash = 0xC0FFEE01,
            Capabilities = 15,
            SoftwareVersion = "island-fw 0.1.0",
            SupervisionCycleMs = 10,
            VmCount = 4,
        }));
        Canonical(list, "envelope_ping", "Ping with a timestamp and a small payload", Env(7).Also(e => e.Ping = new Ping
        {
            TimestampUs = 42_000_000,
            Payload = ByteString.CopyFrom(1, 2, 3, 4),
        }));
        Canonical(list, "envelope_ping_empty", "Ping with no field set: the body is present with length 0", Env(8).Also(e => e.Ping = new Ping()));
        Canonical(list, "envelope_pong_max_payload", "Pong with the largest payload (400 bytes) and max header values", new Envelope
        {
            ProtocolVersion = uint.MaxValue,
            Sequence = uint.MaxValue,
            CorrelationId = uint.MaxValue,
            Pong = new Pong { TimestampUs = ulong.MaxValue, Payload = ByteString.CopyFrom(Pattern(400)) },
        });
        Canonical(list, "envelope_error", "Error with a non-ASCII message", Env(9).Also(e => e.Error = new Error
        {
            Code = ErrorCode.Malformed,
            Message = "frame 9: field 'vm_id' — wrong wire type (µs budget)",
            OffendingSequence = 8,
        }));
        Canonical(list, "envelope_blob_chunk", "BlobChunk carrying the largest data (384 bytes)", Env(10).Also(e => e.BlobChunk = new BlobChunk
        {
            TransferId = 5,
            Kind = BlobKind.VmDefinition,
            TotalLength = 1000,
            Offset = 384,
            Data = ByteString.CopyFrom(Pattern(384)),
            Crc32 = 0xCBF43926,
        }));
        Canonical(list, "envelope_blob_ack", "BlobAck refusing a transfer", Env(11, 5).Also(e => e.BlobAck = new BlobAck
        {
            TransferId = 5,
            Code = ErrorCode.Integrity,
            Message = "blob 5: crc32 mismatch",
        }));
        Canonical(list, "envelope_vm_request", "VmRequest start with a reason", Env(12, 100).Also(e => e.VmRequest = SampleVmRequest()));
        Canonical(list, "envelope_vm_request_no_reason", "VmRequest kill without a reason", Env(13, 101).Also(e => e.VmRequest = new VmRequest { VmId = 4, Action = VmAction.Kill }));
        Canonical(list, "envelope_request_result", "RequestResult refusing a start", Env(14, 100).Also(e => e.RequestResult = new RequestResult
        {
            Accepted = false,
            Code = ErrorCode.DependencyNotReady,
            Message = "VM 'web': depends on 'base', which is Stopped",
            SubjectId = 3,
        }));
        Canonical(list, "envelope_request_result_accepted", "RequestResult accepting: only accepted and subject set", Env(15, 102).Also(e => e.RequestResult = new RequestResult { Accepted = true, SubjectId = 3 }));
        Canonical(list, "envelope_vm_directive", "VmDirective start", Env(16).Also(e => e.VmDirective = new VmDirective
        {
            DirectiveId = 77,
            VmId = 3,
            Action = DirectiveAction.Start,
            TimeoutMs = 5_000,
            Reason = "operator request 100",
        }));
        Canonical(list, "envelope_vm_state_report", "VmStateReport of a crash with a negative (signal) exit status", Env(17).Also(e => e.VmStateReport = new VmStateReport
        {
            VmId = 3,
            State = ObservedVmState.Crashed,
            DirectiveId = 0,
            ExitStatus = -11,
            Detail = "GUEST_PANICKED",
        }));
        Canonical(list, "envelope_vm_state_report_extremes", "VmStateReport with sint32 extremes and the largest enum value", Env(18).Also(e => e.VmStateReport = new VmStateReport
        {
            VmId = uint.MaxValue,
            State = ObservedVmState.StartFailed,
            DirectiveId = uint.MaxValue,
            ExitStatus = int.MinValue,
            Detail = Repeat('d', 64),
        }));
        Canonical(list, "envelope_vm_status", "VmStatus with a maximal uint64 and a 32-byte multi-byte name", Env(19, 200).Also(e => e.VmStatus = new VmStatus
        {
            VmId = 3,
            Name = "wéb-ßervice-€-" + Repeat('x', 14),
            State = VmState.Quarantined,
            Supervision = LocalStatus.Expired,
            RestartsInWindow = 3,
            Criticality = Criticality.AsilD,
            StateSinceMs = ulong.MaxValue,
            LastFailure = "supervision expired",
        }));
        Canonical(list, "envelope_status_request", "StatusRequest including definitions", Env(20, 200).Also(e => e.StatusRequest = new StatusRequest { IncludeDefinitions = true }));
        Canonical(list, "envelope_alive_indication", "AliveIndication for the host agent (entity 0)", Env(21).Also(e => e.AliveIndication = new AliveIndication { EntityId = 0, Count = 1 }));
        Canonical(list, "envelope_checkpoint", "Checkpoint of a VM", Env(22).Also(e => e.Checkpoint = SampleCheckpoint()));
        Canonical(list, "envelope_supervision_status", "SupervisionStatus with 8 entities", Env(23, 200).Also(e => e.SupervisionStatus = SampleSupervisionStatus(8)));
        Canonical(list, "envelope_supervision_status_full", "SupervisionStatus with the maximum 12 entities and maximal values", Env(24, 200).Also(e =>
        {
            e.SupervisionStatus = new SupervisionStatus { Global = GlobalStatus.Deactivated, Cycle = ulong.MaxValue, ExpiredCycles = uint.MaxValue, More = true };
            for (int i = 0; i < 12; i++)
            {
                e.SupervisionStatus.Entities.Add(new EntityStatus
                {
                    EntityId = uint.MaxValue - (uint)i,
                    Status = LocalStatus.Deactivated,
                    FailedRefCycles = uint.MaxValue,
                    AliveCount = uint.MaxValue,
                    DeadlineViolations = uint.MaxValue,
                    LogicalViolations = uint.MaxValue,
                });
            }
        }));
        Canonical(list, "envelope_power_domain_request", "PowerDomainRequest off", Env(25, 300).Also(e => e.PowerDomainRequest = new PowerDomainRequest
        {
            DomainId = 2,
            State = PowerState.Off,
            Reason = "maintenance",
        }));
        Canonical(list, "envelope_power_domain_status", "PowerDomainStatus", Env(26, 300).Also(e => e.PowerDomainStatus = new PowerDomainStatus
        {
            DomainId = 2,
            Name = "a53-cluster",
            State = PowerState.Retention,
            Criticality = Criticality.AsilB,
        }));
        Canonical(list, "envelope_system_power_request", "SystemPowerRequest reboot", Env(27, 301).Also(e => e.SystemPowerRequest = new SystemPowerRequest
        {
            Action = SystemPowerAction.Reboot,
            Reason = "update",
        }));
        Canonical(list, "envelope_event", "Event with a negative int32 value (10-byte varint)", Env(28).Also(e => e.Event = new Event
        {
            Sequence = 1,
            TimestampUs = 123,
            BootCount = 1,
            Type = EventType.LinkError,
            SubjectId = 0,
            Value = -1,
            Detail = "crc",
        }));
        Canonical(list, "envelope_event_unknown_enum", "Event whose type is a value the enum does not declare (99)", Env(29).Also(e => e.Event = new Event
        {
            Sequence = 2,
            Type = (EventType)99,
            Value = int.MaxValue,
        }));
        Canonical(list, "envelope_log_read", "LogRead from sequence 1", Env(30, 400).Also(e => e.LogRead = new LogRead { FromSequence = 1, MaxRecords = 100 }));
        Canonical(list, "envelope_log_chunk", "LogChunk with the maximum 4 records", Env(31, 400).Also(e =>
        {
            e.LogChunk = new LogChunk { FirstAvailable = 1, NextSequence = 5, End = false };
            for (uint i = 1; i <= 4; i++) e.LogChunk.Records.Add(SampleEvent(i, "VM 'web' Running"));
        }));
        Canonical(list, "vm_definition", "VmDefinition as a VM descriptor produces it (blob body)", SampleVmDefinition());
        Canonical(list, "vm_definition_full_arrays", "VmDefinition with every repeated field at its max_count", BuildFullVmDefinition());
    }

    private static VmDefinition BuildFullVmDefinition()
    {
        VmDefinition def = SampleVmDefinition();
        def.DependsOn.Clear();
        def.PowerDomains.Clear();
        def.Supervision.Deadlines.Clear();
        def.Supervision.Logical = new LogicalSupervision();
        def.Vmm.ExtraArgs.Clear();
        for (uint i = 0; i < 8; i++)
        {
            def.DependsOn.Add(uint.MaxValue - i);
            def.PowerDomains.Add(i);
            def.Supervision.Deadlines.Add(new DeadlineSupervision { StartCheckpoint = i, EndCheckpoint = i + 1, MinMs = i, MaxMs = 1000 + i });
            def.Supervision.Logical.InitialCheckpoints.Add(i * 300);
            def.Supervision.Logical.FinalCheckpoints.Add(i * 70000);
        }

        for (uint i = 0; i < 32; i++)
        {
            def.Supervision.Logical.Transitions.Add(new LogicalTransition { FromCheckpoint = i, ToCheckpoint = (i + 1) % 32 });
        }

        for (int i = 0; i < 8; i++) def.Vmm.ExtraArgs.Add("-arg" + i);
        return def;
    }

    // ---- Non-canonical encodings -------------------------------------------------------------

    private static void NonCanonical(List<GoldenVector> list, string name, string comment, string type, byte[] bytes) =>
        list.Add(new GoldenVector(name, comment, type, false, bytes));

    private static void AddNonCanonical(List<GoldenVector> list)
    {
        // VmRequest envelope with every field written in reverse field-number order.
        byte[] requestReversed = new RawWriter()
            .String(3, "reversed")
            .Varint(2, (ulong)VmAction.Stop)
            .Varint(1, 9)
            .ToArray();
        NonCanonical(list, "noncanonical_reversed_field_order", "Envelope and VmRequest fields in reverse number order", "Envelope",
            new RawWriter().Bytes(20, requestReversed).Varint(3, 55).Varint(2, 44).Varint(1, 1).ToArray());

        // Unknown fields of every wire type, at the top level and inside the body.
        byte[] groupContent = new RawWriter().Varint(1, 5).Fixed32(2, 7).Bytes(3, new byte[] { 9, 9 }).ToArray();
        byte[] checkpointWithUnknowns = new RawWriter()
            .Varint(100, 123456)
            .Varint(1, 3)
            .Fixed64(101, 0x1122334455667788)
            .Varint(2, 17)
            .Bytes(102, new byte[] { 1, 2, 3 })
            .Group(103, groupContent)
            .Fixed64(3, 1_234_567_890_123)
            .Fixed32(104, 0xDEADBEEF)
            .ToArray();
        NonCanonical(list, "noncanonical_unknown_fields", "Unknown fields of every wire type (varint, I64, LEN, group, I32) around known ones", "Envelope",
            new RawWriter()
                .Varint(1, 1)
                .Varint(1000, 99)
                .Fixed64(5, 1)
                .Bytes(6, new byte[] { 0xFF, 0x00 })
                .Group(7, new RawWriter().Group(8, groupContent).ToArray())
                .Fixed32(9, 2)
                .Bytes(31, checkpointWithUnknowns)
                .Varint(2, 22)
                .Varint(536870911, 1)
                .ToArray());

        // VmDefinition with repeated scalars unpacked, and one field mixing packed and unpacked runs.
        NonCanonical(list, "noncanonical_unpacked_repeated", "VmDefinition with depends_on unpacked and power_domains mixing packed and unpacked", "VmDefinition",
            new RawWriter()
                .Varint(1, 3)
                .Varint(5, 1)
                .Varint(5, 2)
                .Varint(5, 300)
                .Bytes(8, new RawWriter().RawVarint(4).RawVarint(5).ToArray())
                .Varint(8, 6)
                .Bytes(8, new RawWriter().RawVarint(70000).ToArray())
                .ToArray());

        // Every field present with its default value (proto3 omits them; a decoder must accept them).
        byte[] statusDefaults = new RawWriter()
            .Varint(1, 0).Varint(2, 0).Varint(3, 0)
            .Bytes(4, new RawWriter().Varint(1, 0).Varint(2, 0).Varint(3, 0).Varint(4, 0).Varint(5, 0).Varint(6, 0).ToArray())
            .Varint(5, 0)
            .ToArray();
        NonCanonical(list, "noncanonical_explicit_defaults", "Envelope and SupervisionStatus with every default written explicitly", "Envelope",
            new RawWriter().Varint(1, 0).Varint(2, 0).Varint(3, 0).Bytes(32, statusDefaults).ToArray());

        byte[] vmStatusDefaults = new RawWriter()
            .Varint(1, 0).String(2, "").Varint(3, 0).Varint(4, 0).Varint(5, 0).Varint(6, 0).Varint(7, 0).String(8, "")
            .ToArray();
        NonCanonical(list, "noncanonical_explicit_empty_strings", "VmStatus with empty strings and zero enums written explicitly", "Envelope",
            new RawWriter().Bytes(24, vmStatusDefaults).ToArray());

        // 10-byte varints: over-long encodings of small values, and uint32/enum/int32 values whose
        // 64-bit varint carries high bits (readers keep the low 32 bits).
        byte[] eventLong = new RawWriter()
            .LongVarint(1, 1, 10)
            .LongVarint(2, 300, 10)
            .LongVarint(3, 0xFFFFFFFF00000007ul, 10)
            .LongVarint(4, 0x0000000100000004ul, 10)
            .LongVarint(6, unchecked((ulong)-5L), 10)
            .ToArray();
        NonCanonical(list, "noncanonical_ten_byte_varints", "Event whose varints all take 10 bytes (non-minimal, high bits set)", "Envelope",
            new RawWriter().LongVarint(1, 1, 10).LongVarint(2, 0xAAAAAAAA12345678ul, 10).Bytes(50, eventLong).ToArray());

        // Last value wins for scalars; a body that appears twice is merged.
        byte[] helloPartA = new RawWriter().Varint(1, 1).Varint(2, 1).String(5, "first-board").ToArray();
        byte[] helloPartB = new RawWriter().Varint(3, 2).String(5, "second-board").Fixed64(4, BootIdA).ToArray();
        NonCanonical(list, "noncanonical_merged_body", "Hello body split in two occurrences (merged); sequence given twice (last wins)", "Envelope",
            new RawWriter().Varint(2, 1).Bytes(10, helloPartA).Varint(2, 2).Bytes(10, helloPartB).ToArray());

        // A oneof set twice to different bodies: the last one wins.
        NonCanonical(list, "noncanonical_oneof_last_wins", "Envelope with a Hello then a Ping body: the Ping wins", "Envelope",
            new RawWriter().Bytes(10, helloPartA).Bytes(12, new RawWriter().Fixed64(1, 77).ToArray()).ToArray());

        // Nested singular messages split across occurrences inside a VmDefinition.
        NonCanonical(list, "noncanonical_split_nested", "VmDefinition with restart and vmm each split in two occurrences", "VmDefinition",
            new RawWriter()
                .Bytes(6, new RawWriter().Varint(1, 3).Varint(2, 1000).ToArray())
                .Varint(1, 2)
                .Bytes(13, new RawWriter().String(1, "microvm").String(6, "-a").ToArray())
                .Bytes(6, new RawWriter().Varint(2, 2000).Varint(4, 9).ToArray())
                .Bytes(13, new RawWriter().Varint(2, 128).String(6, "-b").ToArray())
                .ToArray());
    }

    private static T Also<T>(this T value, Action<T> configure)
    {
        configure(value);
        return value;
    }
}

/// <summary>Writes raw protobuf fields in whatever order and form a vector needs.</summary>
internal sealed class RawWriter
{
    private readonly MemoryStream stream = new();

    public byte[] ToArray() => stream.ToArray();

    public RawWriter RawVarint(ulong value)
    {
        while (value > 0x7F)
        {
            stream.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }

        stream.WriteByte((byte)value);
        return this;
    }

    private RawWriter Tag(int field, int wireType) => RawVarint(((ulong)(uint)field << 3) | (uint)wireType);

    public RawWriter Varint(int field, ulong value) => Tag(field, 0).RawVarint(value);

    /// <summary>A varint padded to exactly <paramref name="length"/> bytes with continuation bits.</summary>
    public RawWriter LongVarint(int field, ulong value, int length)
    {
        Tag(field, 0);
        for (int i = 0; i < length; i++)
        {
            byte b = (byte)(value & 0x7F);
            value >>= 7;
            stream.WriteByte(i < length - 1 ? (byte)(b | 0x80) : b);
        }

        return this;
    }

    public RawWriter Fixed32(int field, uint value)
    {
        Tag(field, 5);
        for (int i = 0; i < 4; i++) stream.WriteByte((byte)(value >> (8 * i)));
        return this;
    }

    public RawWriter Fixed64(int field, ulong value)
    {
        Tag(field, 1);
        for (int i = 0; i < 8; i++) stream.WriteByte((byte)(value >> (8 * i)));
        return this;
    }

    public RawWriter Bytes(int field, byte[] value)
    {
        Tag(field, 2).RawVarint((ulong)value.Length);
        stream.Write(value);
        return this;
    }

    public RawWriter String(int field, string value) => Bytes(field, System.Text.Encoding.UTF8.GetBytes(value));

    public RawWriter Group(int field, byte[] content)
    {
        Tag(field, 3);
        stream.Write(content);
        return Tag(field, 4);
    }
}
