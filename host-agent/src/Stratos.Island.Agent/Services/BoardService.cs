using System;
using System.IO;
using System.Linq;
using Stratos.Island.Boards;
using Stratos.Island.Protocol.Agent.V1;
using Stratos.Island.Protocol.Common.V1;

namespace Stratos.Island.Agent.Services;

/// <summary>Board descriptors under the boards directory (local files; no island involved).</summary>
public sealed class BoardService
{
    private readonly string _boardsDir;

    public BoardService(string boardsDir)
    {
        _boardsDir = boardsDir;
    }

    public ListBoardsResponse List()
    {
        var response = new ListBoardsResponse();
        if (!Directory.Exists(_boardsDir))
        {
            return response;
        }

        foreach (string dir in Directory.GetDirectories(_boardsDir).Order(StringComparer.Ordinal))
        {
            string path = Path.Combine(dir, BoardLoader.DescriptorFileName);
            if (!File.Exists(path))
            {
                continue;
            }

            try
            {
                response.Boards.Add(ToApi(BoardLoader.Load(path)));
            }
            catch (BoardDescriptorException e)
            {
                response.Boards.Add(new Board { Id = Path.GetFileName(dir), Name = "(invalid descriptor: " + e.Errors.FirstOrDefault() + ")" });
            }
        }

        return response;
    }

    public GetBoardResponse Get(string id)
    {
        if (id.Length == 0 || id.Contains('/') || id.Contains('\\') || id == "." || id == "..")
        {
            throw new AgentException(ErrorCode.InvalidArgument, $"board id '{id}' is not a folder name");
        }

        BoardDescriptor board;
        try
        {
            board = BoardLoader.LoadById(_boardsDir, id);
        }
        catch (BoardDescriptorException e)
        {
            bool missing = !File.Exists(Path.Combine(_boardsDir, id, BoardLoader.DescriptorFileName));
            throw new AgentException(missing ? ErrorCode.NotFound : ErrorCode.FailedPrecondition, string.Join("; ", e.Errors));
        }

        return new GetBoardResponse { Board = ToApi(board), DescriptorYaml = File.ReadAllText(board.SourcePath) };
    }

    private static Board ToApi(BoardDescriptor b) => new()
    {
        Id = b.Id,
        Name = b.Name,
        Soc = b.Soc,
        IslandCore = b.Island.Core,
        ApplicationCores = b.ApplicationCores + " cores",
    };
}
