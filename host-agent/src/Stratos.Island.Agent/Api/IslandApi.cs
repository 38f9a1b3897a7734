using System.Threading.Tasks;
using Stratos.Island.Agent.Services;
using Stratos.Island.Grpc;
using Stratos.Island.Protocol;
using Stratos.Island.Protocol.Agent.V1;

namespace Stratos.Island.Agent.Api;

/// <summary>IslandService handlers.</summary>
public static class IslandApi
{
    public static void Register(GrpcServiceRegistry registry, IslandService island)
    {
        registry.AddUnary(AgentMethods.GetIslandInfo, GetIslandInfoRequest.Parser, (GetIslandInfoRequest _, ServerCallContext _) =>
            ErrorMapping.Guard(() => Task.FromResult(island.Get())));
    }
}
