using Stratos.Island.Agent.State;
using Stratos.Island.Protocol.Agent.V1;
using Stratos.Island.Protocol.Link.V1;

namespace Stratos.Island.Agent.Services;

/// <summary>Supervision status as the island last reported it.</summary>
public sealed class SupervisionService
{
    private readonly IslandGateway _island;
    private readonly StateCache _cache;

    public SupervisionService(IslandGateway island, StateCache cache)
    {
        _island = island;
        _cache = cache;
    }

    public GetSupervisionStatusResponse Get()
    {
        _island.EnsureUp();
        SupervisionSnapshot snapshot = _cache.Supervision();
        var response = new GetSupervisionStatusResponse
        {
            Global = snapshot.Global,
            Cycle = snapshot.Cycle,
            Stale = _island.Link.IsStale,
            AgeMs = snapshot.AgeMs,
        };
        foreach (EntityStatus e in snapshot.Entities)
        {
            response.Entities.Add(new SupervisedEntity
            {
                Id = e.EntityId,
                Name = _cache.VmName(e.EntityId),
                Status = e.Status,
                FailedRefCycles = e.FailedRefCycles,
                AliveCount = e.AliveCount,
                DeadlineViolations = e.DeadlineViolations,
                LogicalViolations = e.LogicalViolations,
            });
        }

        return response;
    }
}
