using System;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Agent.Services;
using Stratos.Island.Grpc;
using Stratos.Island.Protocol.Common.V1;

namespace Stratos.Island.Agent.Tests;

[TestClass]
public sealed class ErrorMappingTests
{
    [TestMethod]
    [DataRow(ErrorCode.InvalidArgument, GrpcStatusCode.InvalidArgument)]
    [DataRow(ErrorCode.Malformed, GrpcStatusCode.InvalidArgument)]
    [DataRow(ErrorCode.NotFound, GrpcStatusCode.NotFound)]
    [DataRow(ErrorCode.FailedPrecondition, GrpcStatusCode.FailedPrecondition)]
    [DataRow(ErrorCode.DependencyNotReady, GrpcStatusCode.FailedPrecondition)]
    [DataRow(ErrorCode.Quarantined, GrpcStatusCode.FailedPrecondition)]
    [DataRow(ErrorCode.PermissionDenied, GrpcStatusCode.PermissionDenied)]
    [DataRow(ErrorCode.ResourceExhausted, GrpcStatusCode.ResourceExhausted)]
    [DataRow(ErrorCode.Unavailable, GrpcStatusCode.Unavailable)]
    [DataRow(ErrorCode.DeadlineExceeded, GrpcStatusCode.DeadlineExceeded)]
    [DataRow(ErrorCode.AlreadyExists, GrpcStatusCode.AlreadyExists)]
    [DataRow(ErrorCode.Aborted, GrpcStatusCode.Aborted)]
    [DataRow(ErrorCode.Internal, GrpcStatusCode.Internal)]
    [DataRow(ErrorCode.UnsupportedVersion, GrpcStatusCode.Unimplemented)]
    [Verifies("IslDsgn~api-error-mapping~1")]
    public void Each_error_code_maps_to_its_grpc_status(ErrorCode code, GrpcStatusCode expected)
    {
        Assert.AreEqual(expected, ErrorMapping.ToGrpcStatus(code));
    }

    [TestMethod]
    [Verifies("IslDsgn~api-error-mapping~1")]
    public void No_error_code_maps_to_ok()
    {
        foreach (ErrorCode code in Enum.GetValues<ErrorCode>())
        {
            Assert.AreNotEqual(GrpcStatusCode.Ok, ErrorMapping.ToGrpcStatus(code), code.ToString());
        }
    }

    [TestMethod]
    [Verifies("IslDsgn~api-error-mapping~1")]
    public async Task Guard_turns_an_agent_exception_into_a_grpc_status_with_the_same_message()
    {
        var error = await Assert.ThrowsExactlyAsync<GrpcException>(() =>
            ErrorMapping.Guard<int>(() => throw new AgentException(ErrorCode.NotFound, "VM 'x' not found; known VMs: base, web")));

        Assert.AreEqual(GrpcStatusCode.NotFound, error.Status);
        Assert.AreEqual("VM 'x' not found; known VMs: base, web", error.Message);
    }

    [TestMethod]
    public void The_islands_own_subject_prefix_is_not_repeated()
    {
        Assert.AreEqual("depends on 'base', which is Stopped", IslandGateway.StripSubject("VM 'web': depends on 'base', which is Stopped", "VM 'web'"));
        Assert.AreEqual("quota", IslandGateway.StripSubject("quota", "VM 'web'"));
        Assert.AreEqual("no reason given", IslandGateway.StripSubject(string.Empty, "VM 'web'"));
    }
}
