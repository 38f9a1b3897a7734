using System.Collections.Generic;
using Stratos.Island.Link.Session;

namespace Stratos.Island.Link.Tests;

/// <summary>
/// Two sessions joined by two in-memory queues on simulated time: delivers what each side sent and
/// polls both. Shared by the session tests and the agent's link authentication tests (compiled into
/// each), so the two pump messages the same way.
/// </summary>
internal static class SessionPump
{
    /// <summary>Delivers queued messages both ways and polls both sides, advancing <paramref name="nowMs"/> by <paramref name="stepMs"/> each round.</summary>
    public static void Run(LinkSession agent, LinkSession island, Queue<byte[]> toIsland, Queue<byte[]> toAgent, ref long nowMs, int totalMs, int stepMs = 5)
    {
        for (int t = 0; t <= totalMs; t += stepMs)
        {
            Deliver(agent, island, toIsland, toAgent, nowMs);
            agent.Poll(nowMs);
            island.Poll(nowMs);
            Deliver(agent, island, toIsland, toAgent, nowMs);
            nowMs += stepMs;
        }
    }

    /// <summary>Hands every queued message to its receiver (bounded: a chatty pair cannot loop forever).</summary>
    public static void Deliver(LinkSession agent, LinkSession island, Queue<byte[]> toIsland, Queue<byte[]> toAgent, long nowMs)
    {
        for (int guard = 0; guard < 1000 && (toIsland.Count > 0 || toAgent.Count > 0); guard++)
        {
            if (toIsland.TryDequeue(out var m))
            {
                island.OnMessage(m, 0, m.Length, nowMs);
            }

            if (toAgent.TryDequeue(out var n))
            {
                agent.OnMessage(n, 0, n.Length, nowMs);
            }
        }
    }
}
