// Enum names spelled out for the trace. nanoCLR keeps no enum names (Enum.ToString() gives the
// number), so every enum that reaches the trace goes through one of these switches and reads the
// same on both runtimes (VmState: the lifecycle's own VmStateMachine.Name). An unknown value prints as its number.
using Stratos.Island.Codec;
using Stratos.Island.Codec.Link;
using Stratos.Island.Firmware.Lifecycle;
using Stratos.Island.Link.Session;

namespace Stratos.Island.Firmware.Scenario
{
    public static class ScenarioNames
    {
        public static string Of(EnvelopeBody value)
        {
            switch (value)
            {
                case EnvelopeBody.None: return "None";
                case EnvelopeBody.Hello: return "Hello";
                case EnvelopeBody.HelloAck: return "HelloAck";
                case EnvelopeBody.Ping: return "Ping";
                case EnvelopeBody.Pong: return "Pong";
                case EnvelopeBody.Error: return "Error";
                case EnvelopeBody.BlobChunk: return "BlobChunk";
                case EnvelopeBody.BlobAck: return "BlobAck";
                case EnvelopeBody.VmRequest: return "VmRequest";
                case EnvelopeBody.RequestResult: return "RequestResult";
                case EnvelopeBody.VmDirective: return "VmDirective";
                case EnvelopeBody.VmStateReport: return "VmStateReport";
                case EnvelopeBody.VmStatus: return "VmStatus";
                case EnvelopeBody.StatusRequest: return "StatusRequest";
                case EnvelopeBody.AliveIndication: return "AliveIndication";
                case EnvelopeBody.Checkpoint: return "Checkpoint";
                case EnvelopeBody.SupervisionStatus: return "SupervisionStatus";
                case EnvelopeBody.PowerDomainRequest: return "PowerDomainRequest";
                case EnvelopeBody.PowerDomainStatus: return "PowerDomainStatus";
                case EnvelopeBody.SystemPowerRequest: return "SystemPowerRequest";
                case EnvelopeBody.Event: return "Event";
                case EnvelopeBody.LogRead: return "LogRead";
                case EnvelopeBody.LogChunk: return "LogChunk";
                default: return ((int)value).ToString();
            }
        }

        public static string Of(EventType value)
        {
            switch (value)
            {
                case EventType.Unspecified: return "Unspecified";
                case EventType.IslandBoot: return "IslandBoot";
                case EventType.LinkUp: return "LinkUp";
                case EventType.LinkDown: return "LinkDown";
                case EventType.VmState: return "VmState";
                case EventType.RequestRefused: return "RequestRefused";
                case EventType.SupervisionStatus: return "SupervisionStatus";
                case EventType.GlobalStatus: return "GlobalStatus";
                case EventType.Escalation: return "Escalation";
                case EventType.PowerDomain: return "PowerDomain";
                case EventType.SystemPower: return "SystemPower";
                case EventType.SafeState: return "SafeState";
                case EventType.LinkError: return "LinkError";
                case EventType.Quarantine: return "Quarantine";
                case EventType.Config: return "Config";
                default: return ((int)value).ToString();
            }
        }

        public static string Of(ErrorCode value)
        {
            switch (value)
            {
                case ErrorCode.Unspecified: return "Unspecified";
                case ErrorCode.InvalidArgument: return "InvalidArgument";
                case ErrorCode.NotFound: return "NotFound";
                case ErrorCode.FailedPrecondition: return "FailedPrecondition";
                case ErrorCode.PermissionDenied: return "PermissionDenied";
                case ErrorCode.ResourceExhausted: return "ResourceExhausted";
                case ErrorCode.Unavailable: return "Unavailable";
                case ErrorCode.DeadlineExceeded: return "DeadlineExceeded";
                case ErrorCode.AlreadyExists: return "AlreadyExists";
                case ErrorCode.Aborted: return "Aborted";
                case ErrorCode.Internal: return "Internal";
                case ErrorCode.Malformed: return "Malformed";
                case ErrorCode.UnsupportedVersion: return "UnsupportedVersion";
                case ErrorCode.DependencyNotReady: return "DependencyNotReady";
                case ErrorCode.Quarantined: return "Quarantined";
                case ErrorCode.Integrity: return "Integrity";
                default: return ((int)value).ToString();
            }
        }

        public static string Of(VmState value)
        {
            return VmStateMachine.Name(value);
        }

        public static string Of(PowerState value)
        {
            switch (value)
            {
                case PowerState.Unspecified: return "Unspecified";
                case PowerState.On: return "On";
                case PowerState.Off: return "Off";
                case PowerState.Reset: return "Reset";
                case PowerState.Retention: return "Retention";
                default: return ((int)value).ToString();
            }
        }

        public static string Of(DirectiveAction value)
        {
            switch (value)
            {
                case DirectiveAction.Unspecified: return "Unspecified";
                case DirectiveAction.Start: return "Start";
                case DirectiveAction.Stop: return "Stop";
                case DirectiveAction.Kill: return "Kill";
                case DirectiveAction.Pause: return "Pause";
                case DirectiveAction.Resume: return "Resume";
                case DirectiveAction.Reset: return "Reset";
                default: return ((int)value).ToString();
            }
        }

        public static string Of(SessionDownReason value)
        {
            switch (value)
            {
                case SessionDownReason.TransportDown: return "TransportDown";
                case SessionDownReason.KeepaliveTimeout: return "KeepaliveTimeout";
                case SessionDownReason.PeerRestarted: return "PeerRestarted";
                case SessionDownReason.VersionMismatch: return "VersionMismatch";
                case SessionDownReason.NoSessionAtPeer: return "NoSessionAtPeer";
                default: return ((int)value).ToString();
            }
        }

        public static string Of(VmAction value)
        {
            switch (value)
            {
                case VmAction.Unspecified: return "Unspecified";
                case VmAction.Start: return "Start";
                case VmAction.Stop: return "Stop";
                case VmAction.Restart: return "Restart";
                case VmAction.Pause: return "Pause";
                case VmAction.Resume: return "Resume";
                case VmAction.Kill: return "Kill";
                case VmAction.Clear: return "Clear";
                default: return ((int)value).ToString();
            }
        }

        public static string Of(SystemPowerAction value)
        {
            switch (value)
            {
                case SystemPowerAction.Unspecified: return "Unspecified";
                case SystemPowerAction.Off: return "Off";
                case SystemPowerAction.Reboot: return "Reboot";
                case SystemPowerAction.Suspend: return "Suspend";
                default: return ((int)value).ToString();
            }
        }

        public static string Of(LocalStatus value)
        {
            switch (value)
            {
                case LocalStatus.Unspecified: return "Unspecified";
                case LocalStatus.Ok: return "Ok";
                case LocalStatus.Failed: return "Failed";
                case LocalStatus.Expired: return "Expired";
                case LocalStatus.Deactivated: return "Deactivated";
                default: return ((int)value).ToString();
            }
        }

        public static string Of(GlobalStatus value)
        {
            switch (value)
            {
                case GlobalStatus.Unspecified: return "Unspecified";
                case GlobalStatus.Ok: return "Ok";
                case GlobalStatus.Failed: return "Failed";
                case GlobalStatus.Expired: return "Expired";
                case GlobalStatus.Stopped: return "Stopped";
                case GlobalStatus.Deactivated: return "Deactivated";
                default: return ((int)value).ToString();
            }
        }

        public static string Of(Criticality value)
        {
            switch (value)
            {
                case Criticality.Unspecified: return "Unspecified";
                case Criticality.Qm: return "Qm";
                case Criticality.AsilA: return "AsilA";
                case Criticality.AsilB: return "AsilB";
                case Criticality.AsilC: return "AsilC";
                case Criticality.AsilD: return "AsilD";
                default: return ((int)value).ToString();
            }
        }

        public static string Of(SafeAction value)
        {
            switch (value)
            {
                case SafeAction.Unspecified: return "Unspecified";
                case SafeAction.Report: return "Report";
                case SafeAction.RestartVm: return "RestartVm";
                case SafeAction.StopVm: return "StopVm";
                case SafeAction.ResetACluster: return "ResetACluster";
                case SafeAction.SafeState: return "SafeState";
                default: return ((int)value).ToString();
            }
        }

        public static string Of(ResetReason value)
        {
            switch (value)
            {
                case ResetReason.Unspecified: return "Unspecified";
                case ResetReason.PowerOn: return "PowerOn";
                case ResetReason.Watchdog: return "Watchdog";
                case ResetReason.Software: return "Software";
                case ResetReason.External: return "External";
                case ResetReason.Brownout: return "Brownout";
                case ResetReason.ProcessStart: return "ProcessStart";
                default: return ((int)value).ToString();
            }
        }

        public static string Of(ObservedVmState value)
        {
            switch (value)
            {
                case ObservedVmState.Unspecified: return "Unspecified";
                case ObservedVmState.NotRunning: return "NotRunning";
                case ObservedVmState.Starting: return "Starting";
                case ObservedVmState.Running: return "Running";
                case ObservedVmState.Paused: return "Paused";
                case ObservedVmState.Exited: return "Exited";
                case ObservedVmState.Crashed: return "Crashed";
                case ObservedVmState.StartFailed: return "StartFailed";
                default: return ((int)value).ToString();
            }
        }

        public static string Of(Role value)
        {
            switch (value)
            {
                case Role.Unspecified: return "Unspecified";
                case Role.Agent: return "Agent";
                case Role.Island: return "Island";
                default: return ((int)value).ToString();
            }
        }

        // An event's value by name: its meaning depends on the event type (docs/firmware.md, "Events").
        public static string ValueOf(EventType type, int value)
        {
            switch (type)
            {
                case EventType.IslandBoot: return Of((ResetReason)value);
                case EventType.VmState: return Of((VmState)value);
                case EventType.RequestRefused: return Of((ErrorCode)value);
                case EventType.SupervisionStatus: return Of((LocalStatus)value);
                case EventType.GlobalStatus: return Of((GlobalStatus)value);
                case EventType.Escalation: return Of((SafeAction)value);
                case EventType.PowerDomain: return Of((PowerState)value);
                case EventType.SystemPower: return Of((SystemPowerAction)value);
                case EventType.LinkDown: return string.Concat("held:", value.ToString());
                default: return value.ToString();
            }
        }
    }
}
