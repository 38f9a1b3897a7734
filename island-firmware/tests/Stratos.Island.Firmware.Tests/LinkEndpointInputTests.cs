using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Codec;
using Body = Stratos.Island.Protocol.Link.V1.Envelope.BodyOneofCase;
using LinkPb = Stratos.Island.Protocol.Link.V1;

namespace Stratos.Island.Firmware.Tests;

/// <summary>
/// Messages an agent must not send (island-to-agent bodies) and Error reports reach the island's
/// link adapter: they are counted, change nothing and the island goes on answering.
/// </summary>
[TestClass]
public sealed class LinkEndpointInputTests
{
    [TestMethod]
    [Verifies("IslDsgn~request-validation~1")]
    public void Island_bodies_sent_by_the_agent_are_counted_and_change_nothing()
    {
        var island = new LinkedIsland(new[] { LinkedIsland.Vm(1, "base", Protocol.Common.V1.Criticality.Qm, 1, 2) });
        island.Connect();
        island.Run(20);
        int directivesBefore = island.AgentEvents.Of(Body.VmDirective).Count();

        island.SendFromAgent(e =>
        {
            e.SetBody(Codec.Link.EnvelopeBody.VmDirective);
            e.VmDirective.VmId = 1;
            e.VmDirective.Action = DirectiveAction.Kill;
        });
        island.SendFromAgent(e =>
        {
            e.SetBody(Codec.Link.EnvelopeBody.VmStatus);
            e.VmStatus.VmId = 1;
            e.VmStatus.State = VmState.Stopped;
        });
        island.SendFromAgent(e => e.SetBody(Codec.Link.EnvelopeBody.LogChunk));
        island.SendFromAgent(e =>
        {
            e.SetBody(Codec.Link.EnvelopeBody.Error);
            e.Error.Code = ErrorCode.Internal;
            e.Error.Message = "agent-side trouble";
        });
        island.Run(20);

        Assert.AreEqual(3L, island.Endpoint.Counters.UnexpectedMessages);
        Assert.AreEqual(1L, island.Endpoint.Counters.PeerErrors);
        Assert.AreNotEqual(VmState.Stopped, island.Core.Lifecycle.Find(1).State, "a VmStatus from the agent is not a state change");
        Assert.AreEqual(directivesBefore, island.AgentEvents.Of(Body.VmDirective).Count());
        island.SendFromAgent(e => e.SetBody(Codec.Link.EnvelopeBody.StatusRequest), 41);
        island.Run(20);
        LinkPb.RequestResult closing = island.AgentEvents.Of(Body.RequestResult).Last(e => e.CorrelationId == 41).RequestResult;
        Assert.IsTrue(closing.Accepted, "the island still answers");
    }
}
