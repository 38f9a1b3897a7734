using System;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Agent.Services;
using Grpc.Core;
using Stratos.Island.Protocol.Common.V1;

namespace Stratos.Island.Agent.Tests;

[TestClass]
public sealed class ErrorMappingTests
{
    [TestMethod]
    [DataRow(ErrorCode.InvalidArgument, StatusCode.InvalidArgument)]
    [DataRow(ErrorCode.Malformed, StatusCode.InvalidArgument)]
    [DataRow(ErrorCode.NotFound, StatusCode.NotFound)]
    [DataRow(ErrorCode.FailedPrecondition, StatusCode.FailedPrecondition)]
    [DataRow(ErrorCode.DependencyNotReady, StatusCode.FailedPrecondition)]
    [DataRow(ErrorCode.Quarantined, StatusCode.FailedPrecondition)]
    [DataRow(ErrorCode.PermissionDenied, StatusCode.PermissionDenied)]
    [DataRow(ErrorCode.ResourceExhausted, StatusCode.ResourceExhausted)]
    [DataRow(ErrorCode.Unavailable, StatusCode.Unavailable)]
    [DataRow(ErrorCode.DeadlineExceeded, StatusCode.DeadlineExceeded)]
    [DataRow(ErrorCode.AlreadyExists, StatusCode.AlreadyExists)]
    [DataRow(ErrorCode.Aborted, StatusCode.Aborted)]
    [DataRow(ErrorCode.Internal, StatusCode.Internal)]
    [DataRow(ErrorCode.UnsupportedVersion, StatusCode.Unimplemented)]
    [Verifies("IslDsgn~api-error-mapping~1")]
    public void Each_error_code_maps_to_its_grpc_status(ErrorCode code, StatusCode expected)
    {
        Assert.AreEqual(expected, ErrorMapping.ToGrpcStatus(code));
    }

    [TestMethod]
    [Verifies("IslDsgn~api-error-mapping~1")]
    public void No_error_code_maps_to_ok()
    {
        foreach (ErrorCode code in Enum.GetValues<ErrorCode>())
        {
            Assert.AreNotEqual(StatusCode.OK, ErrorMapping.ToGrpcStatus(code), code.ToString());
        }
    }

    [TestMethod]
    [Verifies("IslDsgn~api-error-mapping~1")]
    public void An_agent_exception_becomes_a_grpc_status_with_the_same_message()
    {
        RpcException error = ErrorMapping.ToRpcException(new AgentException(ErrorCode.NotFound, "VM 'x' not found; known VMs: base, web"));

        Assert.AreEqual(StatusCode.NotFound, error.StatusCode);
        Assert.AreEqual("VM 'x' not found; known VMs: base, web", error.Status.Detail);
    }

    [TestMethod]
    public void The_islands_own_subject_prefix_is_not_repeated()
    {
        Assert.AreEqual("depends on 'base', which is Stopped", IslandGateway.StripSubject("VM 'web': depends on 'base', which is Stopped", "VM 'web'"));
        Assert.AreEqual("quota", IslandGateway.StripSubject("quota", "VM 'web'"));
        Assert.AreEqual("no reason given", IslandGateway.StripSubject(string.Empty, "VM 'web'"));
    }
}
