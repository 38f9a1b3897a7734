using System;
using Stratos.Island.Agent.Link;
using Stratos.Island.Protocol.Agent.V1;

namespace Stratos.Island.Agent.Services;

/// <summary>Island and link information (works while the link is down: it says so).</summary>
public sealed class IslandService
{
    private readonly IslandGateway _island;
    private readonly string _boardId;
    private readonly string _agentVersion;

    public IslandService(IslandGateway island, string boardId, string agentVersion)
    {
        _island = island;
        _boardId = boardId;
        _agentVersion = agentVersion;
    }

    /// <summary>The board's supervision cycle, shown until a HelloAck reports the island's own.</summary>
    public uint SupervisionCycleMs { get; set; }

    public GetIslandInfoResponse Get()
    {
        IslandLink link = _island.Link;
        IslandSessionInfo? session = link.Session;
        IslandLinkCounters counters = link.Counters;
        return new GetIslandInfoResponse
        {
            Board = _boardId,
            LinkState = link.State switch
            {
                IslandLinkState.Up => "up",
                IslandLinkState.Connecting => "connecting",
                _ => "down",
            },
            ProtocolVersion = session?.Version ?? 0,
            IslandVersion = session?.IslandVersion ?? string.Empty,
            IslandResetReason = session?.IslandResetReason ?? default,
            AgentVersion = _agentVersion,
            IslandBootId = session is null ? string.Empty : session.IslandBootId.ToString("x16"),
            AgentBootId = link.AgentBootId.ToString("x16"),
            SupervisionCycleMs = session is { SupervisionCycleMs: > 0 } ? session.SupervisionCycleMs : SupervisionCycleMs,
            MessagesSent = (ulong)counters.MessagesSent,
            MessagesReceived = (ulong)counters.MessagesReceived,
            LinkErrors = (ulong)(counters.LinkErrors + counters.PostsDropped + counters.SendFailures),
            Reconnects = (uint)counters.Reconnects,
            LastHeardAgeMs = (ulong)Math.Max(0, link.LastHeardAgeMs),
            Stale = link.IsStale,
            StaleAfterMs = (uint)link.StaleAfterMs,
            RingResetsByAgent = (uint)counters.RingResetsByAgent,
            RingResetsByIsland = (uint)counters.RingResetsByIsland,
        };
    }
}
