using Stratos.Island.Codec;
using Stratos.Island.Firmware.Configuration;

namespace Stratos.Island.Firmware.Escalation
{
    // Default safe action per criticality (used when a VM's SafeAction is Unspecified):
    //
    //   criticality          | default       | why
    //   ---------------------+---------------+-----------------------------------------------
    //   QM (or unspecified)  | RESTART_VM    | not safety relevant: recover, within budget
    //   ASIL A, ASIL B       | RESTART_VM    | a restart is the quickest way back to service
    //   ASIL C, ASIL D       | SAFE_STATE    | a failed highly critical function must not be
    //                        |               | silently retried: bring the system to safe state
    //
    // The host agent (entity 0) always escalates to RESET_A_CLUSTER: without a healthy agent no
    // VM can be driven, so the whole A side restarts.
    public static class EscalationPolicy
    {
        public static SafeAction DefaultFor(Criticality criticality)
        {
            switch (Normalize(criticality))
            {
                case Criticality.AsilC:
                case Criticality.AsilD:
                    return SafeAction.SafeState;
                default:
                    return SafeAction.RestartVm;
            }
        }

        public static SafeAction EffectiveAction(VmConfig vm)
        {
            return vm.SafeAction == SafeAction.Unspecified ? DefaultFor(vm.Criticality) : vm.SafeAction;
        }

        // Unspecified criticality counts as QM.
        public static Criticality Normalize(Criticality criticality)
        {
            return criticality == Criticality.Unspecified ? Criticality.Qm : criticality;
        }

        public static string CriticalityName(Criticality criticality)
        {
            switch (Normalize(criticality))
            {
                case Criticality.AsilA: return "ASIL-A";
                case Criticality.AsilB: return "ASIL-B";
                case Criticality.AsilC: return "ASIL-C";
                case Criticality.AsilD: return "ASIL-D";
                default: return "QM";
            }
        }
    }
}
