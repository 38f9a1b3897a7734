// The enums of common.proto and link.proto for the island: values are the wire values,
// names drop the proto prefix (VM_STATE_RUNNING -> VmState.Running).
// Written by protocol/tools/gen-island-codec.py; regenerate instead of editing.
// A test compares them with the host's Google.Protobuf types.
namespace Stratos.Island.Codec
{
    // The closed set of error codes shared by the link and the API.
    public enum ErrorCode
    {
        // No error.
        Unspecified = 0,
        // A field of the request is invalid (names the field in the message).
        InvalidArgument = 1,
        // The named VM, power domain, board or record does not exist.
        NotFound = 2,
        // The object exists but is in a state that does not allow the request.
        FailedPrecondition = 3,
        // Island policy refuses the request (criticality, power arbitration).
        PermissionDenied = 4,
        // A budget is used up: restart budget, ring buffers, table slots.
        ResourceExhausted = 5,
        // The island or agent is not reachable right now.
        Unavailable = 6,
        // An operation did not complete in its time limit.
        DeadlineExceeded = 7,
        // The object already exists.
        AlreadyExists = 8,
        // The operation was superseded or cancelled by a newer one.
        Aborted = 9,
        // A bug or a broken invariant.
        Internal = 10,
        // A frame or message could not be decoded.
        Malformed = 11,
        // The peers share no protocol version.
        UnsupportedVersion = 12,
        // A dependency of the VM is not Running.
        DependencyNotReady = 13,
        // The VM is quarantined until an operator clears it.
        Quarantined = 14,
        // A signature or digest did not verify.
        Integrity = 15,
    }

    // Criticality of a VM or power domain (ISO 26262 levels, QM lowest).
    public enum Criticality
    {
        // Not set; treated as QM.
        Unspecified = 0,
        // Quality managed, not safety relevant.
        Qm = 1,
        // ASIL A.
        AsilA = 2,
        // ASIL B.
        AsilB = 3,
        // ASIL C.
        AsilC = 4,
        // ASIL D, highest.
        AsilD = 5,
    }

    // Lifecycle state of a VM as the island (the authority) sees it.
    public enum VmState
    {
        // Not set.
        Unspecified = 0,
        // Defined, never started since the island booted.
        Defined = 1,
        // Start directive sent; waiting for the agent to report Running.
        Starting = 2,
        // Running and supervised.
        Running = 3,
        // Pause directive sent.
        Pausing = 4,
        // Paused; supervision deactivated.
        Paused = 5,
        // Stop directive sent.
        Stopping = 6,
        // Stopped.
        Stopped = 7,
        // Failed (crashed, supervision expired, start timed out); restart policy decides what
        // follows.
        Failed = 8,
        // Restart budget exhausted; stays stopped until an operator clears it.
        Quarantined = 9,
    }

    // SCMI-style power state of a domain.
    public enum PowerState
    {
        // Not set.
        Unspecified = 0,
        // Powered (SCMI state 0x00000000).
        On = 1,
        // Off (SCMI state 0x40000000).
        Off = 2,
        // Held in reset.
        Reset = 3,
        // Retention: context kept, clocks stopped.
        Retention = 4,
    }

    // AUTOSAR WdgM local supervision status of one supervised entity.
    public enum LocalStatus
    {
        // Not set.
        Unspecified = 0,
        // All supervisions correct.
        Ok = 1,
        // A supervision failed, within the failed reference cycle tolerance.
        Failed = 2,
        // Tolerance exceeded or deadline/logical failure; terminal until the entity restarts.
        Expired = 3,
        // Supervision not active (entity not running).
        Deactivated = 4,
    }

    // AUTOSAR WdgM global supervision status.
    public enum GlobalStatus
    {
        // Not set.
        Unspecified = 0,
        // All entities OK or deactivated.
        Ok = 1,
        // At least one entity FAILED, none EXPIRED.
        Failed = 2,
        // At least one entity EXPIRED, within the expired cycle tolerance.
        Expired = 3,
        // Expired too long: reset handling has been triggered.
        Stopped = 4,
        // Supervision switched off.
        Deactivated = 5,
    }

    // Why the island (or the agent) last booted.
    public enum ResetReason
    {
        // Unknown.
        Unspecified = 0,
        // Power-on.
        PowerOn = 1,
        // The hardware watchdog fired.
        Watchdog = 2,
        // Software requested a reset.
        Software = 3,
        // External reset line.
        External = 4,
        // Brown-out or power loss.
        Brownout = 5,
        // A normal process start (agent, simulator).
        ProcessStart = 6,
        // The island faulted and was reset (a lockup or fault reset on an MCU; island-sim killed or
        // crashed).
        Fault = 7,
    }

    // The action the island takes when an entity's supervision expires, or a VM fails.
    public enum SafeAction
    {
        // Not set; the island uses the default for the criticality.
        Unspecified = 0,
        // Report only.
        Report = 1,
        // Restart the VM (subject to its restart policy).
        RestartVm = 2,
        // Stop the VM.
        StopVm = 3,
        // Reset the A-cluster power domain (drops the agent and all VMs).
        ResetACluster = 4,
        // Enter the safe state: non-critical domains off, safe-state output asserted.
        SafeState = 5,
    }

    // Type of an event-log record.
    public enum EventType
    {
        // Not set.
        Unspecified = 0,
        // The island booted (value = reset reason).
        IslandBoot = 1,
        // The link to the agent came up (value = agent boot id low 32 bits).
        LinkUp = 2,
        // The link to the agent went down (value = VMs whose supervision the island holds until the
        // agent reports them again).
        LinkDown = 3,
        // A VM changed lifecycle state (value = new VmState).
        VmState = 4,
        // A request was refused (value = ErrorCode).
        RequestRefused = 5,
        // An entity's local supervision status changed (value = LocalStatus).
        SupervisionStatus = 6,
        // The global supervision status changed (value = GlobalStatus).
        GlobalStatus = 7,
        // An escalation action was taken (value = SafeAction).
        Escalation = 8,
        // A power domain changed state (vm_id carries the domain id, value = PowerState).
        PowerDomain = 9,
        // A system power sequence step (value = SystemPowerAction).
        SystemPower = 10,
        // The safe state was entered.
        SafeState = 11,
        // A link or protocol error was detected (value = ErrorCode).
        LinkError = 12,
        // The VM was quarantined after its restart budget ran out.
        Quarantine = 13,
        // A configuration was accepted (value = config hash).
        Config = 14,
    }

    // System-wide power action.
    public enum SystemPowerAction
    {
        // Not set.
        Unspecified = 0,
        // Stop VMs in reverse boot order, then power domains off.
        Off = 1,
        // Off sequence, then power-on and boot sequence.
        Reboot = 2,
        // Pause VMs, domains to retention.
        Suspend = 3,
    }

    // Which side of the link a peer is.
    public enum Role
    {
        // Not set.
        Unspecified = 0,
        // The host agent on the Cortex-A side.
        Agent = 1,
        // The safety island.
        Island = 2,
    }

    // Capability bits carried in Hello / HelloAck.
    public enum Capability
    {
        // No capability.
        Unspecified = 0,
        // Sender accepts BlobChunk transfers.
        Blobs = 1,
        // Sender has a persistent event log.
        EventLog = 2,
        // Sender controls power domains.
        Power = 4,
        // Sender verifies signed configuration bundles.
        SignedConfig = 8,
        // Sender authenticates every Envelope (auth_tag) with keys derived from the board key.
        AuthenticatedLink = 16,
    }

    // What a blob transfer carries.
    public enum BlobKind
    {
        // Not set.
        Unspecified = 0,
        // One encoded VmDefinition.
        VmDefinition = 1,
        // A signed configuration bundle.
        ConfigBundle = 2,
    }

    // Accelerator choice of a VM (VmmConfig.accelerator).
    public enum VmmAccelerator
    {
        // KVM when the host's /dev/kvm is usable, else TCG.
        Unspecified = 0,
        // KVM; the start fails when it is unusable.
        Kvm = 1,
        // TCG (software emulation), e.g. for a kernel the host's KVM cannot run.
        Tcg = 2,
    }

    // Operator actions on a VM.
    public enum VmAction
    {
        // Not set.
        Unspecified = 0,
        // Start a Defined/Stopped/Failed VM.
        Start = 1,
        // Stop gracefully.
        Stop = 2,
        // Stop then start.
        Restart = 3,
        // Pause a Running VM.
        Pause = 4,
        // Resume a Paused VM.
        Resume = 5,
        // Stop immediately.
        Kill = 6,
        // Clear quarantine (back to Stopped, restart budget reset).
        Clear = 7,
    }

    // What the island orders the agent to do to a VM.
    public enum DirectiveAction
    {
        // Not set.
        Unspecified = 0,
        // Launch the VM.
        Start = 1,
        // Graceful shutdown, then kill after the timeout.
        Stop = 2,
        // Kill immediately.
        Kill = 3,
        // Pause vCPUs.
        Pause = 4,
        // Resume vCPUs.
        Resume = 5,
        // Reset the guest (system_reset).
        Reset = 6,
    }

    // What the VMM really did.
    public enum ObservedVmState
    {
        // Not set.
        Unspecified = 0,
        // No VMM process for this VM.
        NotRunning = 1,
        // The VMM process is starting.
        Starting = 2,
        // The guest runs.
        Running = 3,
        // vCPUs paused.
        Paused = 4,
        // The VMM exited normally (exit_status set).
        Exited = 5,
        // The VMM or the guest crashed (guest panic, signal).
        Crashed = 6,
        // The VMM could not be started.
        StartFailed = 7,
        // The guest's watchdog expired (QMP WATCHDOG): the VMM runs, the guest is hung. The island
        // escalates as for an expired supervision of the VM (docs/guests.md).
        Hung = 8,
    }
}
