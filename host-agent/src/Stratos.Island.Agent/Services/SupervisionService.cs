using System;
using System.Threading;
using System.Threading.Tasks;
using Stratos.Island.Agent.Link;
using Stratos.Island.Agent.State;
using Stratos.Island.Protocol.Agent.V1;
using Stratos.Island.Protocol.Link.V1;

namespace Stratos.Island.Agent.Services;

/// <summary>
/// Supervision status, fresh from the island: the island pushes a SupervisionStatus only when an
/// entity's status changes, so its alive counts in the state cache are those of the last change (a
/// VM that has been ok for an hour showed the count it had when it became ok). Each call first asks
/// the island for its status (a StatusRequest without definitions, answered within a supervision
/// cycle or two, which the link's dispatch writes into the cache), then answers from the cache; a
/// report younger than <see cref="FreshEnoughMs"/> is served without asking again (pollers, and a
/// slow serial line, are not asked for the whole status several times a second). When
/// that refresh fails (no answer within <see cref="RefreshTimeout"/>, the island's ring full), the
/// last reported status is served as it is, with its age and the link's staleness.
/// </summary>
public sealed class SupervisionService
{
    /// <summary>Longest wait for the island's answer before the cached status is served.</summary>
    public static readonly TimeSpan RefreshTimeout = TimeSpan.FromMilliseconds(500);

    /// <summary>A supervision report this young is served as it is.</summary>
    public const ulong FreshEnoughMs = 250;

    private readonly IslandGateway _island;
    private readonly StateCache _cache;

    public SupervisionService(IslandGateway island, StateCache cache)
    {
        _island = island;
        _cache = cache;
    }

    public async Task<GetSupervisionStatusResponse> GetAsync(CancellationToken cancellationToken)
    {
        _island.EnsureUp();
        try
        {
            SupervisionSnapshot last = _cache.Supervision();
            if (last.Entities.Count == 0 || last.AgeMs >= FreshEnoughMs)
            {
                await _island.Link.RequestAsync(new Envelope { StatusRequest = new StatusRequest() }, ReplyShape.RequestResult, RefreshTimeout, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (AgentException)
        {
            // Not refreshed: the cached status, its age and the link's staleness say how old it is.
        }

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
