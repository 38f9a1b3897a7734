using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Codec;
using Stratos.Island.Firmware.Configuration;
using Stratos.Island.Firmware.Supervision;

namespace Stratos.Island.Firmware.Tests;

/// <summary>Edges of one supervised entity: counter saturation, restarted and foreign deadline checkpoints.</summary>
[TestClass]
public sealed class SupervisionEdgeTests
{
    private static SupervisedEntity Entity(SupervisionConfig config)
    {
        var entity = new SupervisedEntity(1, config, 16);
        entity.Activate();
        return entity;
    }

    [TestMethod]
    [Verifies("IslDsgn~alive-count~1")]
    public void Alive_counts_saturate_instead_of_wrapping()
    {
        SupervisedEntity entity = Entity(new SupervisionConfig
        {
            Alive = new AliveSupervisionConfig { ExpectedIndications = 1, MinMargin = 0, MaxMargin = 0, ReferenceCycles = 1 },
        });

        entity.RecordAlive(int.MaxValue);
        entity.RecordAlive(int.MaxValue);

        Assert.AreEqual(LocalStatus.Expired, entity.EvaluateCycle(10), "far too many indications fail the reference cycle");
    }

    [TestMethod]
    [Verifies("IslDsgn~deadline~1")]
    public void Reaching_the_start_again_restarts_the_measurement_and_other_ends_do_not_close_it()
    {
        SupervisedEntity entity = Entity(new SupervisionConfig
        {
            Deadlines = new[]
            {
                new DeadlineSupervisionConfig { StartCheckpoint = 1, EndCheckpoint = 2, MinMs = 0, MaxMs = 50 },
                new DeadlineSupervisionConfig { StartCheckpoint = 3, EndCheckpoint = 4, MinMs = 0, MaxMs = 50 },
            },
        });

        Assert.IsTrue(entity.RecordCheckpoint(1, 0));
        Assert.IsTrue(entity.RecordCheckpoint(1, 40), "the start again restarts the measurement at 40 ms");
        Assert.IsTrue(entity.RecordCheckpoint(4, 45), "the end of the other deadline, which is not open, is ignored");
        Assert.AreEqual(LocalStatus.Ok, entity.EvaluateCycle(60), "60 ms after the first start, 20 ms after the restart");
        Assert.IsTrue(entity.RecordCheckpoint(2, 80));
        Assert.AreEqual(LocalStatus.Ok, entity.EvaluateCycle(90), "40 ms from the restarted start to the end");
    }

    [TestMethod]
    [Verifies("IslDsgn~local-status~1")]
    public void A_deactivated_entity_records_no_checkpoint()
    {
        var entity = new SupervisedEntity(1, new SupervisionConfig
        {
            Deadlines = new[] { new DeadlineSupervisionConfig { StartCheckpoint = 1, EndCheckpoint = 2, MinMs = 0, MaxMs = 5 } },
        }, 16);

        entity.RecordCheckpoint(1, 0);

        Assert.AreEqual(LocalStatus.Deactivated, entity.EvaluateCycle(100), "no measurement was started while deactivated");
    }
}
