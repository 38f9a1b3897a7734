using System.Collections.Generic;
using Stratos.Island.Codec;
using Stratos.Island.Firmware.Hal;

namespace Stratos.Island.Firmware.Tests.Fakes;

// Power rails that remember every switch.
public sealed class RecordingPowerRails : IPowerRails
{
    private readonly Dictionary<int, PowerState> _states = new();

    public List<(int DomainId, PowerState State)> History { get; } = new();

    public bool SetState(int domainId, PowerState state)
    {
        _states[domainId] = state;
        History.Add((domainId, state));
        return true;
    }

    public PowerState GetState(int domainId) => _states.TryGetValue(domainId, out PowerState s) ? s : PowerState.Unspecified;
}

public sealed class RecordingWatchdog : IHardwareWatchdog
{
    public int Kicks { get; private set; }

    public void Kick() => Kicks++;
}

public sealed class RecordingSafeStateOutput : ISafeStateOutput
{
    public bool Asserted { get; private set; }

    public int AssertCount { get; private set; }

    public void Assert()
    {
        Asserted = true;
        AssertCount++;
    }

    public void Deassert() => Asserted = false;
}

public sealed class RecordingResetControl : IResetControl
{
    public int Resets { get; private set; }

    public void ResetACluster() => Resets++;
}
