using System;
using System.Collections.Generic;
using System.Linq;
using Stratos.Island.Hil.Measurement;

namespace Stratos.Island.Hil.Soak;

/// <summary>One planned soak fault: when (ms after the soak starts), where, what.</summary>
public sealed record SoakStep(double AtMs, string Vm, FaultKind Fault);

/// <summary>
/// The random fault plan of <c>./hil.sh --soak N</c>: N faults spread over the VMs, drawn from the
/// faults the bench can inject, seeded so a failing soak can be replayed (the seed is in the report).
/// A VM gets its next fault only after <paramref name="settleMs"/> (time to detect, act and recover),
/// so every fault is measured on its own.
/// </summary>
public static class SoakPlan
{
    public static IReadOnlyList<SoakStep> Generate(int seed, int faults, IReadOnlyList<string> vms, IReadOnlyList<FaultKind> kinds, double settleMs)
    {
        if (faults < 0)
            throw new ArgumentOutOfRangeException(nameof(faults), "soak fault count must be >= 0");
        if (vms.Count == 0)
            throw new ArgumentException("soak needs at least one VM", nameof(vms));
        if (kinds.Count == 0)
            throw new ArgumentException("soak needs at least one injectable fault kind", nameof(kinds));
        var random = new Random(seed);
        var freeAt = vms.ToDictionary(v => v, _ => 0.0);
        var steps = new List<SoakStep>(faults);
        double now = 0;
        for (int i = 0; i < faults; i++)
        {
            now += random.Next(50, 500);
            string vm = vms[random.Next(vms.Count)];
            double at = Math.Max(now, freeAt[vm]);
            steps.Add(new SoakStep(at, vm, kinds[random.Next(kinds.Count)]));
            freeAt[vm] = at + settleMs;
        }
        return steps.OrderBy(s => s.AtMs).ToList();
    }
}
