using System;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Codec;
using Stratos.Island.Firmware.Configuration;

namespace Stratos.Island.Firmware.Tests;

// Every VmAction in every lifecycle state of a QM VM without dependencies: accepted (and the state
// it leads to) or refused (and with which code).
[TestClass]
public sealed class RequestMatrixTests
{
    private static TestIsland InState(VmState state)
    {
        VmConfig vm = TestIsland.Vm(1, "web", safeAction: state == VmState.Quarantined ? SafeAction.RestartVm : SafeAction.StopVm);
        vm.Restart = new RestartPolicyConfig { MaxRestarts = 1, WindowMs = 60_000, BackoffInitialMs = 0, BackoffMaxMs = 0 };
        var island = new TestIsland(TestIsland.Configure(vm));
        switch (state)
        {
            case VmState.Defined:
                break;
            case VmState.Starting:
                island.Request(1, VmAction.Start);
                break;
            case VmState.Running:
                island.StartRunning(1);
                break;
            case VmState.Pausing:
                island.StartRunning(1);
                island.Request(1, VmAction.Pause);
                break;
            case VmState.Paused:
                island.StartRunning(1);
                island.Request(1, VmAction.Pause);
                island.Report(1, ObservedVmState.Paused);
                break;
            case VmState.Stopping:
                island.StartRunning(1);
                island.Request(1, VmAction.Stop);
                break;
            case VmState.Stopped:
                island.StartRunning(1);
                island.Request(1, VmAction.Stop);
                island.Report(1, ObservedVmState.NotRunning);
                break;
            case VmState.Failed:
                island.StartRunning(1);
                island.Report(1, ObservedVmState.Crashed);
                break;
            case VmState.Quarantined:
                island.StartRunning(1);
                island.Report(1, ObservedVmState.Crashed);
                island.Step();
                island.Report(1, ObservedVmState.Running);
                island.Report(1, ObservedVmState.Crashed);
                break;
        }

        Assert.AreEqual(state, island.State(1), "setup");
        return island;
    }

    private const ErrorCode Ok = ErrorCode.Unspecified;
    private const ErrorCode Fp = ErrorCode.FailedPrecondition;

    [TestMethod]
    [Verifies("IslDsgn~request-validation~1")]
    //        state                  action            expected code            resulting state
    [DataRow(VmState.Defined, VmAction.Start, Ok, VmState.Starting)]
    [DataRow(VmState.Defined, VmAction.Stop, Fp, VmState.Defined)]
    [DataRow(VmState.Defined, VmAction.Kill, Fp, VmState.Defined)]
    [DataRow(VmState.Defined, VmAction.Restart, Ok, VmState.Starting)]
    [DataRow(VmState.Defined, VmAction.Pause, Fp, VmState.Defined)]
    [DataRow(VmState.Defined, VmAction.Resume, Fp, VmState.Defined)]
    [DataRow(VmState.Defined, VmAction.Clear, Fp, VmState.Defined)]
    [DataRow(VmState.Starting, VmAction.Start, Fp, VmState.Starting)]
    [DataRow(VmState.Starting, VmAction.Stop, Ok, VmState.Stopping)]
    [DataRow(VmState.Starting, VmAction.Kill, Ok, VmState.Stopping)]
    [DataRow(VmState.Starting, VmAction.Restart, Fp, VmState.Starting)]
    [DataRow(VmState.Starting, VmAction.Pause, Fp, VmState.Starting)]
    [DataRow(VmState.Starting, VmAction.Resume, Fp, VmState.Starting)]
    [DataRow(VmState.Starting, VmAction.Clear, Fp, VmState.Starting)]
    [DataRow(VmState.Running, VmAction.Start, Fp, VmState.Running)]
    [DataRow(VmState.Running, VmAction.Stop, Ok, VmState.Stopping)]
    [DataRow(VmState.Running, VmAction.Kill, Ok, VmState.Stopping)]
    [DataRow(VmState.Running, VmAction.Restart, Ok, VmState.Stopping)]
    [DataRow(VmState.Running, VmAction.Pause, Ok, VmState.Pausing)]
    [DataRow(VmState.Running, VmAction.Resume, Fp, VmState.Running)]
    [DataRow(VmState.Running, VmAction.Clear, Fp, VmState.Running)]
    [DataRow(VmState.Pausing, VmAction.Start, Fp, VmState.Pausing)]
    [DataRow(VmState.Pausing, VmAction.Stop, Ok, VmState.Stopping)]
    [DataRow(VmState.Pausing, VmAction.Kill, Ok, VmState.Stopping)]
    [DataRow(VmState.Pausing, VmAction.Restart, Fp, VmState.Pausing)]
    [DataRow(VmState.Pausing, VmAction.Pause, Fp, VmState.Pausing)]
    [DataRow(VmState.Pausing, VmAction.Resume, Fp, VmState.Pausing)]
    [DataRow(VmState.Pausing, VmAction.Clear, Fp, VmState.Pausing)]
    [DataRow(VmState.Paused, VmAction.Start, Fp, VmState.Paused)]
    [DataRow(VmState.Paused, VmAction.Stop, Ok, VmState.Stopping)]
    [DataRow(VmState.Paused, VmAction.Kill, Ok, VmState.Stopping)]
    [DataRow(VmState.Paused, VmAction.Restart, Ok, VmState.Stopping)]
    [DataRow(VmState.Paused, VmAction.Pause, Fp, VmState.Paused)]
    [DataRow(VmState.Paused, VmAction.Resume, Ok, VmState.Paused)]
    [DataRow(VmState.Paused, VmAction.Clear, Fp, VmState.Paused)]
    [DataRow(VmState.Stopping, VmAction.Start, Fp, VmState.Stopping)]
    [DataRow(VmState.Stopping, VmAction.Stop, Fp, VmState.Stopping)]
    [DataRow(VmState.Stopping, VmAction.Kill, Ok, VmState.Stopping)]
    [DataRow(VmState.Stopping, VmAction.Restart, Fp, VmState.Stopping)]
    [DataRow(VmState.Stopping, VmAction.Pause, Fp, VmState.Stopping)]
    [DataRow(VmState.Stopping, VmAction.Resume, Fp, VmState.Stopping)]
    [DataRow(VmState.Stopping, VmAction.Clear, Fp, VmState.Stopping)]
    [DataRow(VmState.Stopped, VmAction.Start, Ok, VmState.Starting)]
    [DataRow(VmState.Stopped, VmAction.Stop, Fp, VmState.Stopped)]
    [DataRow(VmState.Stopped, VmAction.Kill, Fp, VmState.Stopped)]
    [DataRow(VmState.Stopped, VmAction.Restart, Ok, VmState.Starting)]
    [DataRow(VmState.Stopped, VmAction.Pause, Fp, VmState.Stopped)]
    [DataRow(VmState.Stopped, VmAction.Resume, Fp, VmState.Stopped)]
    [DataRow(VmState.Stopped, VmAction.Clear, Fp, VmState.Stopped)]
    [DataRow(VmState.Failed, VmAction.Start, Ok, VmState.Starting)]
    [DataRow(VmState.Failed, VmAction.Stop, Ok, VmState.Stopped)]
    [DataRow(VmState.Failed, VmAction.Kill, Fp, VmState.Failed)]
    [DataRow(VmState.Failed, VmAction.Restart, Ok, VmState.Starting)]
    [DataRow(VmState.Failed, VmAction.Pause, Fp, VmState.Failed)]
    [DataRow(VmState.Failed, VmAction.Resume, Fp, VmState.Failed)]
    [DataRow(VmState.Failed, VmAction.Clear, Fp, VmState.Failed)]
    [DataRow(VmState.Quarantined, VmAction.Start, ErrorCode.Quarantined, VmState.Quarantined)]
    [DataRow(VmState.Quarantined, VmAction.Stop, Fp, VmState.Quarantined)]
    [DataRow(VmState.Quarantined, VmAction.Kill, Fp, VmState.Quarantined)]
    [DataRow(VmState.Quarantined, VmAction.Restart, ErrorCode.Quarantined, VmState.Quarantined)]
    [DataRow(VmState.Quarantined, VmAction.Pause, Fp, VmState.Quarantined)]
    [DataRow(VmState.Quarantined, VmAction.Resume, Fp, VmState.Quarantined)]
    [DataRow(VmState.Quarantined, VmAction.Clear, Ok, VmState.Stopped)]
    public void Each_action_in_each_state_is_accepted_or_refused_as_documented(VmState state, VmAction action, ErrorCode expected, VmState after)
    {
        TestIsland island = InState(state);
        ErrorCode code = island.Request(1, action);
        Assert.AreEqual(expected, code, $"{action} while {state}: {island.Core.LastRefusal}");
        Assert.AreEqual(after, island.State(1), $"{action} while {state}");
        Result result = island.Output.LastResult;
        Assert.AreEqual(expected == Ok, result.Accepted);
        Assert.AreEqual(expected == Ok, string.IsNullOrEmpty(result.Message), "a message exactly on refusal");
        if (expected != Ok)
        {
            StringAssert.StartsWith(result.Message, "VM 'web': ");
        }
    }
}
