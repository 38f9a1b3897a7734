using System.Threading.Tasks;
using Grpc.Core;
using Stratos.Island.Protocol.Agent.V1;
using IslandServiceGrpc = Stratos.Island.Protocol.Agent.V1.IslandService;

namespace Stratos.Island.Agent.Api;

/// <summary>IslandService handlers.</summary>
public sealed class IslandApi : IslandServiceGrpc.IslandServiceBase
{
    private readonly Services.IslandService _island;

    public IslandApi(Services.IslandService island) => _island = island;

    public override Task<GetIslandInfoResponse> GetIslandInfo(GetIslandInfoRequest request, ServerCallContext context) =>
        Task.FromResult(_island.Get());
}
