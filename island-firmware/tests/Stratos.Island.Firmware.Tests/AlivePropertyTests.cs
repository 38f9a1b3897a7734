using System.Collections.Generic;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Codec;
using Stratos.Island.Firmware.Configuration;
using Stratos.Island.Firmware.Supervision;

namespace Stratos.Island.Firmware.Tests;

[TestClass]
public sealed class AlivePropertyTests
{
    public sealed record Scenario(int Expected, int MinMargin, int MaxMargin, int ReferenceCycles, int Tolerance, int[] CountsPerCycle);

    private static readonly Gen<Scenario> Scenarios =
        from expected in Gen.Choose(1, 6)
        from minMargin in Gen.Choose(0, expected)
        from maxMargin in Gen.Choose(0, 3)
        from referenceCycles in Gen.Choose(1, 4)
        from tolerance in Gen.Choose(0, 3)
        from counts in Gen.ArrayOf(Gen.Frequency((3, Gen.Choose(0, 2)), (1, Gen.Choose(0, 8))))
        select new Scenario(expected, minMargin, maxMargin, referenceCycles, tolerance, counts);

    // The reference model: the rules of FACTS.md "Supervision" written as plainly as possible.
    private static List<LocalStatus> Model(Scenario s)
    {
        var result = new List<LocalStatus>();
        LocalStatus status = LocalStatus.Ok;
        int failed = 0;
        int sum = 0;
        for (int cycle = 0; cycle < s.CountsPerCycle.Length; cycle++)
        {
            sum += s.CountsPerCycle[cycle];
            bool endOfReference = (cycle + 1) % s.ReferenceCycles == 0;
            if (status != LocalStatus.Expired && endOfReference)
            {
                bool correct = sum >= s.Expected - s.MinMargin && sum <= s.Expected + s.MaxMargin;
                if (!correct)
                {
                    failed++;
                    status = failed > s.Tolerance ? LocalStatus.Expired : LocalStatus.Failed;
                }
                else if (failed > 0)
                {
                    failed--;
                    status = failed == 0 ? LocalStatus.Ok : LocalStatus.Failed;
                }
            }

            if (endOfReference)
            {
                sum = 0;
            }

            result.Add(status);
        }

        return result;
    }

    [TestMethod]
    [Verifies("IslDsgn~alive-count~1")]
    public void Alive_supervision_matches_the_reference_model_under_random_heartbeat_schedules()
    {
        Property property = Prop.ForAll(Scenarios.ToArbitrary(), s =>
        {
            var config = new SupervisionConfig
            {
                Alive = new AliveSupervisionConfig
                {
                    ExpectedIndications = s.Expected, MinMargin = s.MinMargin, MaxMargin = s.MaxMargin, ReferenceCycles = s.ReferenceCycles,
                },
                FailedRefCycleTolerance = s.Tolerance,
            };
            var entity = new SupervisedEntity(1, config, 8);
            entity.Activate();
            List<LocalStatus> expected = Model(s);
            for (int cycle = 0; cycle < s.CountsPerCycle.Length; cycle++)
            {
                // Deliver the cycle's indications in ones and twos, as the agent may batch them.
                int left = s.CountsPerCycle[cycle];
                while (left > 0)
                {
                    int batch = left >= 2 ? 2 : 1;
                    entity.RecordAlive(batch);
                    left -= batch;
                }

                if (entity.EvaluateCycle((cycle + 1) * 10L) != expected[cycle])
                {
                    return false;
                }
            }

            return true;
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500), property);
    }
}
