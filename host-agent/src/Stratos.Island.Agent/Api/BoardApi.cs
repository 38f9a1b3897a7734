using System.Threading.Tasks;
using Stratos.Island.Agent.Services;
using Stratos.Island.Grpc;
using Stratos.Island.Protocol;
using Stratos.Island.Protocol.Agent.V1;

namespace Stratos.Island.Agent.Api;

/// <summary>BoardService handlers.</summary>
public static class BoardApi
{
    public static void Register(GrpcServiceRegistry registry, BoardService boards)
    {
        registry.AddUnary(AgentMethods.ListBoards, ListBoardsRequest.Parser, (ListBoardsRequest _, ServerCallContext _) =>
            ErrorMapping.Guard(() => Task.FromResult(boards.List())));
        registry.AddUnary(AgentMethods.GetBoard, GetBoardRequest.Parser, (GetBoardRequest r, ServerCallContext _) =>
            ErrorMapping.Guard(() => Task.FromResult(boards.Get(r.Id))));
    }
}
