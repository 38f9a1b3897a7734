using Stratos.Island.Codec;

namespace Stratos.Island.Firmware.Configuration
{
    // Checks an IslandConfig before the core is built from it. Returns null when the configuration
    // is valid, otherwise one message naming the object and the field, e.g.
    // "VM 2 ('web'): depends_on[0] = 9 is not a defined VM". Runs once at configuration time, so it
    // may allocate.
    public static class ConfigValidator
    {
        public static string Validate(IslandConfig config)
        {
            if (config == null)
            {
                return "configuration: missing";
            }

            IslandLimits limits = config.Limits;
            if (limits == null)
            {
                return "configuration: limits missing";
            }

            string error = ValidateLimits(limits);
            if (error != null)
            {
                return error;
            }

            PowerDomainConfig[] domains = config.PowerDomains ?? new PowerDomainConfig[0];
            if (domains.Length > limits.MaxPowerDomains)
            {
                return string.Concat("configuration: ", domains.Length.ToString(), " power domains, limit is ", limits.MaxPowerDomains.ToString());
            }

            bool sawACluster = false;
            for (int i = 0; i < domains.Length; i++)
            {
                PowerDomainConfig d = domains[i];
                string what = string.Concat("power domain [", i.ToString(), "]");
                if (d == null)
                {
                    return what + ": missing";
                }

                if (!IsValidName(d.Name))
                {
                    return what + ": name must be 1..32 bytes of [a-z0-9-]";
                }

                what = string.Concat("power domain ", d.Id.ToString(), " ('", d.Name, "')");
                if (d.Id < 0)
                {
                    return what + ": id must be >= 0";
                }

                if (d.InitialState == PowerState.Unspecified || (int)d.InitialState > (int)PowerState.Retention)
                {
                    return what + ": initial_state is not a power state";
                }

                if (d.IsACluster)
                {
                    if (sawACluster)
                    {
                        return what + ": a second A-cluster domain (at most one)";
                    }

                    sawACluster = true;
                }

                for (int j = 0; j < i; j++)
                {
                    if (domains[j].Id == d.Id)
                    {
                        return what + ": duplicate id";
                    }

                    if (domains[j].Name == d.Name)
                    {
                        return what + ": duplicate name";
                    }
                }
            }

            error = ValidateSupervision("agent", config.AgentSupervision, limits);
            if (error != null)
            {
                return error;
            }

            VmConfig[] vms = config.Vms ?? new VmConfig[0];
            for (int i = 0; i < vms.Length; i++)
            {
                VmConfig vm = vms[i];
                if (vm == null)
                {
                    return string.Concat("VM [", i.ToString(), "]: missing");
                }

                string what = string.Concat("VM ", vm.Id.ToString(), " ('", vm.Name, "')");
                if (vm.Id < 1 || vm.Id > limits.MaxVms)
                {
                    return string.Concat(what, ": id must be 1..", limits.MaxVms.ToString());
                }

                if (!IsValidName(vm.Name))
                {
                    return what + ": name must be 1..32 bytes of [a-z0-9-]";
                }

                for (int j = 0; j < i; j++)
                {
                    if (vms[j].Id == vm.Id)
                    {
                        return what + ": duplicate id";
                    }

                    if (vms[j].Name == vm.Name)
                    {
                        return what + ": duplicate name";
                    }
                }

                if (vm.StartTimeoutMs <= 0)
                {
                    return what + ": start_timeout_ms must be > 0";
                }

                if (vm.StopTimeoutMs <= 0)
                {
                    return what + ": stop_timeout_ms must be > 0";
                }

                if ((int)vm.SafeAction < 0 || (int)vm.SafeAction > (int)SafeAction.SafeState)
                {
                    return what + ": safe_action is not a safe action";
                }

                error = ValidateRestart(what, vm.Restart, limits);
                if (error != null)
                {
                    return error;
                }

                int[] deps = vm.DependsOn ?? new int[0];
                if (deps.Length > IslandLimits.MaxDependencies)
                {
                    return string.Concat(what, ": more than ", IslandLimits.MaxDependencies.ToString(), " depends_on entries");
                }

                for (int k = 0; k < deps.Length; k++)
                {
                    string field = string.Concat(what, ": depends_on[", k.ToString(), "] = ", deps[k].ToString());
                    if (deps[k] == vm.Id)
                    {
                        return field + " is the VM itself";
                    }

                    VmConfig dep = FindVm(vms, deps[k]);
                    if (dep == null)
                    {
                        return field + " is not a defined VM";
                    }

                    if (dep.BootOrder >= vm.BootOrder)
                    {
                        return string.Concat(field, " ('", dep.Name, "') must have a lower boot_order than ", vm.BootOrder.ToString());
                    }
                }

                int[] vmDomains = vm.PowerDomains ?? new int[0];
                if (vmDomains.Length > IslandLimits.MaxPowerDomainsPerVm)
                {
                    return string.Concat(what, ": more than ", IslandLimits.MaxPowerDomainsPerVm.ToString(), " power_domains");
                }

                for (int k = 0; k < vmDomains.Length; k++)
                {
                    bool found = false;
                    for (int j = 0; j < domains.Length; j++)
                    {
                        found |= domains[j].Id == vmDomains[k];
                    }

                    if (!found)
                    {
                        return string.Concat(what, ": power_domains[", k.ToString(), "] = ", vmDomains[k].ToString(), " is not a defined power domain");
                    }
                }

                error = ValidateSupervision(what, vm.Supervision, limits);
                if (error != null)
                {
                    return error;
                }
            }

            return null;
        }

        private static string ValidateLimits(IslandLimits limits)
        {
            if (limits.MaxVms < 1)
            {
                return "limits: max_vms must be >= 1";
            }

            if (limits.MaxCheckpointsPerVm < 1 || limits.MaxCheckpointsPerVm > IslandLimits.MaxCheckpointIdLimit)
            {
                return "limits: max_checkpoints_per_vm must be 1..64";
            }

            if (limits.SupervisionCyclePeriodMs < 1)
            {
                return "limits: supervision_cycle_period_ms must be >= 1";
            }

            if (limits.ExpiredSupervisionCycleTolerance < 0)
            {
                return "limits: expired_supervision_cycle_tolerance must be >= 0";
            }

            if (limits.MaxPowerDomains < 0 || limits.MaxRestartsPerWindow < 0)
            {
                return "limits: table sizes must be >= 0";
            }

            if (limits.LogReadMaxRecordsPerCall < 1)
            {
                return "limits: log_read_max_records_per_call must be >= 1";
            }

            return null;
        }

        private static string ValidateRestart(string what, RestartPolicyConfig restart, IslandLimits limits)
        {
            if (restart == null)
            {
                return what + ": restart policy missing";
            }

            if (restart.MaxRestarts < 0 || restart.MaxRestarts > limits.MaxRestartsPerWindow)
            {
                return string.Concat(what, ": restart.max_restarts must be 0..", limits.MaxRestartsPerWindow.ToString());
            }

            if (restart.MaxRestarts > 0)
            {
                if (restart.WindowMs <= 0)
                {
                    return what + ": restart.window_ms must be > 0";
                }

                if (restart.BackoffInitialMs < 0 || restart.BackoffMaxMs < restart.BackoffInitialMs)
                {
                    return what + ": restart backoff must satisfy 0 <= backoff_initial_ms <= backoff_max_ms";
                }
            }

            return null;
        }

        private static string ValidateSupervision(string what, SupervisionConfig s, IslandLimits limits)
        {
            if (s == null)
            {
                return what + ": supervision missing";
            }

            if (s.FailedRefCycleTolerance < 0)
            {
                return what + ": supervision.failed_ref_cycle_tolerance must be >= 0";
            }

            AliveSupervisionConfig alive = s.Alive;
            if (alive != null && alive.ExpectedIndications != 0)
            {
                if (alive.ExpectedIndications < 0 || alive.MinMargin < 0 || alive.MaxMargin < 0)
                {
                    return what + ": supervision.alive values must be >= 0";
                }

                if (alive.MinMargin > alive.ExpectedIndications)
                {
                    return what + ": supervision.alive.min_margin must be <= expected_indications";
                }

                if (alive.ReferenceCycles < 1)
                {
                    return what + ": supervision.alive.reference_cycles must be >= 1";
                }
            }

            DeadlineSupervisionConfig[] deadlines = s.Deadlines ?? new DeadlineSupervisionConfig[0];
            if (deadlines.Length > IslandLimits.MaxDeadlinesPerVm)
            {
                return string.Concat(what, ": more than ", IslandLimits.MaxDeadlinesPerVm.ToString(), " supervision.deadlines");
            }

            for (int i = 0; i < deadlines.Length; i++)
            {
                DeadlineSupervisionConfig d = deadlines[i];
                string field = string.Concat(what, ": supervision.deadlines[", i.ToString(), "]");
                if (d == null)
                {
                    return field + " missing";
                }

                if (!IsCheckpoint(d.StartCheckpoint, limits) || !IsCheckpoint(d.EndCheckpoint, limits))
                {
                    return string.Concat(field, ": checkpoints must be 0..", (limits.MaxCheckpointsPerVm - 1).ToString());
                }

                if (d.StartCheckpoint == d.EndCheckpoint)
                {
                    return field + ": start_checkpoint and end_checkpoint must differ";
                }

                if (d.MinMs < 0 || d.MaxMs < d.MinMs || d.MaxMs == 0)
                {
                    return field + ": must satisfy 0 <= min_ms <= max_ms and max_ms > 0";
                }
            }

            LogicalSupervisionConfig logical = s.Logical;
            if (logical != null)
            {
                int[] initial = logical.InitialCheckpoints ?? new int[0];
                int[] final = logical.FinalCheckpoints ?? new int[0];
                LogicalTransitionConfig[] transitions = logical.Transitions ?? new LogicalTransitionConfig[0];
                if (initial.Length > IslandLimits.MaxLogicalInitialCheckpoints
                    || final.Length > IslandLimits.MaxLogicalFinalCheckpoints
                    || transitions.Length > IslandLimits.MaxLogicalTransitions)
                {
                    return what + ": supervision.logical has more than 8 initial, 8 final or 32 transitions";
                }

                if (initial.Length == 0 && (final.Length != 0 || transitions.Length != 0))
                {
                    return what + ": supervision.logical needs at least one initial checkpoint";
                }

                for (int i = 0; i < initial.Length; i++)
                {
                    if (!IsCheckpoint(initial[i], limits))
                    {
                        return string.Concat(what, ": supervision.logical.initial_checkpoints[", i.ToString(), "] is out of range");
                    }
                }

                for (int i = 0; i < final.Length; i++)
                {
                    if (!IsCheckpoint(final[i], limits))
                    {
                        return string.Concat(what, ": supervision.logical.final_checkpoints[", i.ToString(), "] is out of range");
                    }
                }

                for (int i = 0; i < transitions.Length; i++)
                {
                    LogicalTransitionConfig t = transitions[i];
                    if (t == null || !IsCheckpoint(t.FromCheckpoint, limits) || !IsCheckpoint(t.ToCheckpoint, limits))
                    {
                        return string.Concat(what, ": supervision.logical.transitions[", i.ToString(), "] is missing or out of range");
                    }
                }
            }

            return null;
        }

        private static bool IsCheckpoint(int id, IslandLimits limits)
        {
            return id >= 0 && id < limits.MaxCheckpointsPerVm;
        }

        private static VmConfig FindVm(VmConfig[] vms, int id)
        {
            for (int i = 0; i < vms.Length; i++)
            {
                if (vms[i] != null && vms[i].Id == id)
                {
                    return vms[i];
                }
            }

            return null;
        }

        // [a-z0-9-], 1..32 bytes.
        public static bool IsValidName(string name)
        {
            if (name == null || name.Length == 0 || name.Length > IslandLimits.MaxNameBytes)
            {
                return false;
            }

            for (int i = 0; i < name.Length; i++)
            {
                char c = name[i];
                bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
                if (!ok)
                {
                    return false;
                }
            }

            return true;
        }
    }
}
