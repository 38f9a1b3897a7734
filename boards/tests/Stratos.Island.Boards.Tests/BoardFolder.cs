using System;
using System.IO;

namespace Stratos.Island.Boards.Tests;

/// <summary>A copy of a repository board folder in a temporary boards directory, for edited variants.</summary>
internal sealed class BoardFolder : IDisposable
{
    public static readonly string RepoBoardsDir = BoardLoader.FindRepoBoardsDir(AppContext.BaseDirectory);

    public BoardFolder(string id)
    {
        Id = id;
        BoardsDir = Path.Combine(Path.GetTempPath(), "stratos-boards-" + Guid.NewGuid().ToString("N"));
        Dir = Path.Combine(BoardsDir, id);
        Directory.CreateDirectory(Dir);
        foreach (string file in Directory.GetFiles(Path.Combine(RepoBoardsDir, id)))
        {
            File.Copy(file, Path.Combine(Dir, Path.GetFileName(file)));
        }
    }

    public string Id { get; }

    public string BoardsDir { get; }

    public string Dir { get; }

    public string PathOf(string file) => Path.Combine(Dir, file);

    /// <summary>Replaces text in one file; fails when the text is not there (the test would prove nothing).</summary>
    public void Edit(string file, string from, string to)
    {
        string path = PathOf(file);
        string text = File.ReadAllText(path);
        if (!text.Contains(from, StringComparison.Ordinal))
        {
            throw new InvalidOperationException(file + " does not contain '" + from + "'");
        }
        File.WriteAllText(path, text.Replace(from, to, StringComparison.Ordinal));
    }

    public BoardValidation Validate() => BoardValidator.Validate(BoardsDir, Id);

    public void Dispose() => Directory.Delete(BoardsDir, recursive: true);
}
