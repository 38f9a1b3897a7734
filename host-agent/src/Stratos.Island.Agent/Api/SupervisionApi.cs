using System.Threading.Tasks;
using Stratos.Island.Agent.Services;
using Stratos.Island.Grpc;
using Stratos.Island.Protocol;
using Stratos.Island.Protocol.Agent.V1;

namespace Stratos.Island.Agent.Api;

/// <summary>SupervisionService handlers.</summary>
public static class SupervisionApi
{
    public static void Register(GrpcServiceRegistry registry, SupervisionService supervision)
    {
        registry.AddUnary(AgentMethods.GetSupervisionStatus, GetSupervisionStatusRequest.Parser, (GetSupervisionStatusRequest _, ServerCallContext _) =>
            ErrorMapping.Guard(() => Task.FromResult(supervision.Get())));
    }
}
