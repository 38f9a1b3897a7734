using System;
using System.Collections.Generic;
using System.CommandLine;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Security.Cryptography;
using System.Threading.Tasks;
using Stratos.Island.Boards;
using Stratos.Island.Boards.Flashing;
using static Stratos.Island.Cli.Commands.CommandBuilder;

namespace Stratos.Island.Cli.Commands;

/// <summary>
/// `island flash keygen|bundle|verify|install`: signed firmware bundles and the three flashing
/// methods (remoteproc, openocd, nanoff). Local commands; the logic lives in
/// Stratos.Island.Boards.Flashing, these only parse options, print and map failures to exit codes.
/// </summary>
public static class FlashCommands
{
    public static Command Create()
    {
        var keygenKey = new Option<string>("--key") { Description = "Private key file to write (PEM, PKCS#8, mode 0600)", DefaultValueFactory = _ => "island-signing.pem" };
        var keygenPub = new Option<string?>("--pubkey") { Description = "Public key file to write (PEM) [default: the --key path with .pub.pem for .pem]" };
        var force = new Option<bool>("--force") { Description = "Overwrite an existing private key" };

        var board = new Option<string>("--board") { Description = "Board id", Required = true };
        var images = new Option<string[]>("--image") { Description = "Island image (repeat for several)", Required = true, AllowMultipleArgumentsPerToken = false };
        var config = new Option<string>("--config") { Description = "Island configuration (vms.yaml)", Required = true };
        var key = new Option<string>("--key") { Description = "Private signing key (island flash keygen)", Required = true };
        var output = new Option<string>("--out") { Description = "Bundle file to write (tar)", Required = true };
        var linkKey = new Option<string?>("--link-key") { Description = "The link's board key (0600, 32 bytes or 64 hex digits) to provision with the bundle; the bundle is then written 0600" };

        var bundleArgument = new Argument<string>("bundle") { Description = "Bundle file (tar)" };
        var pubkey = new Option<string>("--pubkey") { Description = "Public key the bundle must be signed with", Required = true };

        var installBundle = new Argument<string>("bundle") { Description = "Bundle file (tar)" };
        var installPubkey = new Option<string>("--pubkey") { Description = "Public key the bundle must be signed with", Required = true };
        var method = new Option<string?>("--method") { Description = "remoteproc, openocd or nanoff (default: the board's first flashing method)" };
        method.AcceptOnlyFromAmong("remoteproc", "openocd", "nanoff");
        var imageName = new Option<string?>("--image") { Description = "Which image of the bundle (needed when it holds several)" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print every step and do nothing" };
        var sysfsRoot = new Option<string>("--sysfs-root") { Description = "remoteproc class directory", DefaultValueFactory = _ => RemoteprocFlasher.DefaultSysfsRoot };
        var firmwareDir = new Option<string>("--firmware-dir") { Description = "Linux firmware directory", DefaultValueFactory = _ => RemoteprocFlasher.DefaultFirmwareDir };
        var firmwareName = new Option<string?>("--firmware-name") { Description = "File name under the firmware directory (default: board.yaml remoteproc.firmware, else the image name)" };
        var startTimeout = new Option<double>("--start-timeout") { Description = "Seconds the island may take to reach running before rollback", DefaultValueFactory = _ => 10.0 };
        var serialPort = new Option<string>("--serial-port") { Description = "Serial port for nanoff", DefaultValueFactory = _ => "/dev/ttyACM0" };

        var command = Noun("flash", "Signed firmware bundles and flashing (local: no agent needed)",
            Verb("keygen", "Make an ECDSA P-256 signing key pair", (c, p, t) => Task.FromResult(Run(c, () => Keygen(c, p.GetValue(keygenKey)!, p.GetValue(keygenPub) ?? PublicKeyPathFor(p.GetValue(keygenKey)!), p.GetValue(force)))), keygenKey, keygenPub, force),
            Verb("bundle", "Build and sign a firmware bundle", (c, p, t) => Task.FromResult(Run(c, () => Bundle(c, p, p.GetValue(board)!, p.GetValue(images)!, p.GetValue(config)!, p.GetValue(key)!, p.GetValue(output)!, p.GetValue(linkKey)))),
                board, images, config, key, output, linkKey),
            Verb("verify", "Check a bundle's signature and every file's digest", (c, p, t) => Task.FromResult(Run(c, () => Verify(c, p.GetValue(bundleArgument)!, p.GetValue(pubkey)!))), bundleArgument, pubkey),
            Verb("install", "Verify a bundle and flash its image with the board's method", (c, p, t) => Task.FromResult(Run(c, () => Install(c, p, new InstallOptions(
                    p.GetValue(installBundle)!, p.GetValue(installPubkey)!, p.GetValue(method), p.GetValue(imageName), p.GetValue(dryRun), p.GetValue(sysfsRoot)!, p.GetValue(firmwareDir)!,
                    p.GetValue(firmwareName), p.GetValue(startTimeout), p.GetValue(serialPort)!)))),
                installBundle, installPubkey, method, imageName, dryRun, sysfsRoot, firmwareDir, firmwareName, startTimeout, serialPort));
        command.Options.Add(BoardCommands.BoardsDirOption);
        return command;
    }

    /// <summary>The public key's default path: beside the private key, `NAME.pem` -> `NAME.pub.pem`.</summary>
    public static string PublicKeyPathFor(string privateKeyPath) =>
        (privateKeyPath.EndsWith(".pem", StringComparison.Ordinal) ? privateKeyPath[..^".pem".Length] : privateKeyPath) + ".pub.pem";

    private sealed record InstallOptions(string Bundle, string PublicKey, string? Method, string? Image, bool DryRun, string SysfsRoot, string FirmwareDir, string? FirmwareName, double StartTimeoutSeconds, string SerialPort);

    /// <summary>The one place flashing failures become exit codes.</summary>
    private static int Run(CliContext c, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (BundleException e)
        {
            c.Error.WriteLine("island: " + e.Message);
            return e.Failure == BundleFailure.Invalid ? ExitCodes.Usage : ExitCodes.Invalid;
        }
        catch (FlashException e)
        {
            c.Error.WriteLine("island: " + e.Message);
            return e.Failure switch
            {
                FlashFailure.Invalid => ExitCodes.Usage,
                FlashFailure.NotFound => ExitCodes.NotFound,
                FlashFailure.Busy => ExitCodes.Refused,
                FlashFailure.TooLarge => ExitCodes.Invalid,
                _ => ExitCodes.Failed,
            };
        }
        catch (BoardDescriptorException e)
        {
            foreach (string line in e.Errors)
            {
                c.Error.WriteLine("island: " + line);
            }
            return ExitCodes.Invalid;
        }
        catch (IOException e)
        {
            c.Error.WriteLine("island: " + e.Message);
            return ExitCodes.Failed;
        }
        catch (UnauthorizedAccessException e)
        {
            c.Error.WriteLine("island: " + e.Message + " (flashing through remoteproc needs root)");
            return ExitCodes.Failed;
        }
    }

    private static int Keygen(CliContext c, string privatePath, string publicPath, bool force)
    {
        SigningKeys.Generate(privatePath, publicPath, force);
        c.Out.WriteLine("wrote " + privatePath + " (private, keep it secret) and " + publicPath + " (public, install it on the islands)");
        return ExitCodes.Ok;
    }

    private static string ToolVersion => typeof(FlashCommands).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    private static int Bundle(CliContext c, ParseResult p, string boardId, string[] imagePaths, string configPath, string keyPath, string outPath, string? linkKeyPath)
    {
        string boardsDir = BoardCommands.BoardsDir(c, p);
        BoardDescriptor board = BoardLoader.LoadById(boardsDir, boardId);
        using ECDsa key = SigningKeys.LoadPrivate(keyPath);
        BundleManifest manifest = FirmwareBundle.Build(board, imagePaths, configPath, key, outPath, DateTimeOffset.UtcNow, ToolVersion, linkKeyPath);
        if (c.Format == OutputFormat.Json)
        {
            c.Out.Write(System.Text.Encoding.UTF8.GetString(FirmwareBundle.WriteManifest(manifest)));
            return ExitCodes.Ok;
        }
        c.Out.WriteLine("wrote " + outPath + " for board " + board.Id + " (config hash 0x" + manifest.ConfigHash.ToString("x8", System.Globalization.CultureInfo.InvariantCulture) + ")");
        foreach (BundleFile f in manifest.Files)
        {
            c.Out.WriteLine("  " + f.Role.PadRight(13) + " " + f.Name.PadRight(28) + " " + f.Size.ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(9) + "  sha256 " + f.Sha256);
        }
        if (linkKeyPath != null)
        {
            c.Out.WriteLine("the bundle carries the link's board key: it is a secret now (mode 0600); keep it like the key");
        }
        return ExitCodes.Ok;
    }

    private static int Verify(CliContext c, string bundlePath, string publicKeyPath)
    {
        using ECDsa key = SigningKeys.LoadPublic(publicKeyPath);
        BundleManifest manifest = FirmwareBundle.Verify(bundlePath, key);
        if (c.Format == OutputFormat.Json)
        {
            c.Out.Write(System.Text.Encoding.UTF8.GetString(FirmwareBundle.WriteManifest(manifest)));
            return ExitCodes.Ok;
        }
        c.Out.WriteLine("ok: " + bundlePath + " is signed by " + publicKeyPath + "; " + manifest.Files.Count + " files match their digests (board " + manifest.Board + ", built " +
            manifest.CreatedUtc.UtcDateTime.ToString("u", System.Globalization.CultureInfo.InvariantCulture) + ")");
        return ExitCodes.Ok;
    }

    private static int Install(CliContext c, ParseResult p, InstallOptions o)
    {
        using ECDsa key = SigningKeys.LoadPublic(o.PublicKey);
        BundleManifest manifest = FirmwareBundle.Verify(o.Bundle, key);
        var output = new TextFlashOutput(c.Out, c.Colour);
        output.Step((o.DryRun ? "dry run: " : "") + "verified " + o.Bundle + " (signature and " + manifest.Files.Count + " digests) for board " + manifest.Board);

        string work = Path.Combine(Path.GetTempPath(), "stratos-flash-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        try
        {
            string descriptor = Path.Combine(work, FirmwareBundle.DescriptorName);
            File.WriteAllBytes(descriptor, FirmwareBundle.Extract(o.Bundle, FirmwareBundle.DescriptorName));
            BoardDescriptor board = BoardLoader.Load(descriptor);
            List<BundleFile> imageFiles = manifest.Images.ToList();
            BundleFile image = o.Image != null
                ? imageFiles.FirstOrDefault(f => f.Name == o.Image) ?? throw new FlashException(o.Bundle + ": no image named '" + o.Image + "' (images: " + string.Join(", ", imageFiles.Select(f => f.Name)) + ")", FlashFailure.Invalid)
                : imageFiles.Count == 1 ? imageFiles[0] : throw new FlashException(o.Bundle + ": holds " + imageFiles.Count + " images (" + string.Join(", ", imageFiles.Select(f => f.Name)) + "); choose one with --image", FlashFailure.Invalid);
            string imagePath = Path.Combine(work, image.Name);
            File.WriteAllBytes(imagePath, FirmwareBundle.Extract(o.Bundle, image.Name));

            string methodName = o.Method ?? board.Flashing.FirstOrDefault(m => m != "none") ??
                throw new FlashException(board.Id + ": board.yaml lists no flashing method; pass --method", FlashFailure.Invalid);
            if (!board.Flashing.Contains(methodName))
            {
                throw new FlashException("board '" + board.Id + "' does not support flashing with " + methodName + " (board.yaml flashing: " + string.Join(", ", board.Flashing) + ")", FlashFailure.Invalid);
            }
            switch (methodName)
            {
                case "remoteproc":
                    var flasher = new RemoteprocFlasher(o.SysfsRoot, o.FirmwareDir, output) { StartTimeout = TimeSpan.FromSeconds(o.StartTimeoutSeconds) };
                    flasher.Flash(board.Remoteproc!.Name, imagePath, o.FirmwareName ?? board.Remoteproc.FirmwareName ?? image.Name, board.ImageBudgetBytes, o.DryRun, o.Bundle + ":" + image.Name);
                    break;
                case "openocd":
                    ProbeFlasher.FlashWithOpenOcd(board, imagePath, output, o.DryRun);
                    break;
                default:
                    ProbeFlasher.FlashWithNanoff(board, imagePath, o.SerialPort, output, o.DryRun, c.Environment["PATH"] as string);
                    break;
            }
            if (o.DryRun)
            {
                output.Step("dry run: nothing was changed");
            }
            return ExitCodes.Ok;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
