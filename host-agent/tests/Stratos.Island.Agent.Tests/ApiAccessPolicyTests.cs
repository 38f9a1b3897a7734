using System;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Agent.Api;
using Stratos.Island.Protocol;

namespace Stratos.Island.Agent.Tests;

/// <summary>The API's role rule (docs/security.md): the table and the decision on credentials.
/// The same rule through a real socket and real second users: E2E LeastPrivilegeTests.</summary>
[TestClass]
public sealed class ApiAccessPolicyTests
{
    private const int AgentUid = 1000;
    private static readonly ApiAccessPolicy Policy = new(AgentUid, ("island-readers", 2001), ("island-admins", 2002));

    private static PeerCredentials Caller(int uid, int gid, params int[] groups) => new(4242, uid, gid, groups);

    [TestMethod]
    [Verifies("IslDsgn~api-roles~1")]
    public void Every_api_method_has_a_role_and_every_mutating_one_needs_an_operator()
    {
        CollectionAssert.AreEquivalent(AgentMethods.All, AgentMethodRoles.Required.Keys.ToArray());
        string[] mutating = { AgentMethods.StartVm, AgentMethods.StopVm, AgentMethods.RestartVm, AgentMethods.PauseVm, AgentMethods.ResumeVm,
            AgentMethods.KillVm, AgentMethods.ClearVm, AgentMethods.SetPowerDomain, AgentMethods.SetSystemPower };
        CollectionAssert.AreEquivalent(mutating, AgentMethodRoles.Required.Where(m => m.Value == ApiRole.Operator).Select(m => m.Key).ToArray());
    }

    [TestMethod]
    public void An_unknown_method_needs_an_operator() =>
        Assert.AreEqual(ApiRole.Operator, AgentMethodRoles.For("/stratos.island.agent.v1.VmService/Future"));

    [TestMethod]
    [Verifies("IslDsgn~api-roles~1")]
    public void Root_the_agents_user_and_admin_group_members_are_operators()
    {
        Assert.IsNull(Policy.Check(AgentMethods.KillVm, Caller(0, 0)));
        Assert.IsNull(Policy.Check(AgentMethods.KillVm, Caller(AgentUid, 5000)));
        Assert.IsNull(Policy.Check(AgentMethods.KillVm, Caller(3000, 3000, 2002)));
        Assert.IsNull(Policy.Check(AgentMethods.KillVm, Caller(3000, 2002)));
    }

    [TestMethod]
    [Verifies("IslDsgn~api-roles~1")]
    public void A_reader_may_list_but_a_kill_is_refused_naming_the_method_and_the_rule()
    {
        PeerCredentials reader = Caller(3001, 3001, 2001);
        Assert.IsNull(Policy.Check(AgentMethods.ListVms, reader));
        Assert.IsNull(Policy.Check(AgentMethods.WatchEvents, reader));
        string? denied = Policy.Check(AgentMethods.KillVm, reader);
        Assert.AreEqual("/stratos.island.agent.v1.VmService/KillVm needs the operator role: root, the agent's user or a member of group 'island-admins'; uid 3001 (gid 3001) is a reader", denied);
    }

    [TestMethod]
    [Verifies("IslDsgn~api-roles~1")]
    public void A_caller_in_neither_group_may_call_nothing()
    {
        PeerCredentials outsider = Caller(3002, 3002, 100);
        StringAssert.Contains(Policy.Check(AgentMethods.ListVms, outsider), "needs the reader role: a member of group 'island-readers' or an operator; uid 3002 (gid 3002) is neither");
        Assert.IsNotNull(Policy.Check(AgentMethods.StopVm, outsider));
    }

    [TestMethod]
    public void A_tcp_caller_without_credentials_is_a_reader()
    {
        Assert.IsNull(Policy.Check(AgentMethods.GetIslandInfo, null));
        StringAssert.Contains(Policy.Check(AgentMethods.SetSystemPower, null), "a caller without UNIX credentials (TCP) is a reader");
    }

    [TestMethod]
    public void Health_and_reflection_need_the_reader_role()
    {
        foreach (string method in new[] { "/grpc.health.v1.Health/Check", "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo" })
        {
            Assert.IsNull(Policy.Check(method, Caller(3001, 3001, 2001)), method);
            StringAssert.Contains(Policy.Check(method, Caller(3002, 3002, 100)), "needs the reader role", method);
        }
    }
}
