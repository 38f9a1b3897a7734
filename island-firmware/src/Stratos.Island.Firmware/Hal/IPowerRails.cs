using Stratos.Island.Codec;

namespace Stratos.Island.Firmware.Hal
{
    // The physical power switches of the board's power domains (SCMI-style states, FACTS.md "Power").
    // Domain ids are those of the board descriptor. The island's power manager is the only caller.
    public interface IPowerRails
    {
        // Drives a domain to a state; false when the rail controller rejected it.
        bool SetState(int domainId, PowerState state);

        // The state the rail controller reports for a domain.
        PowerState GetState(int domainId);
    }
}
