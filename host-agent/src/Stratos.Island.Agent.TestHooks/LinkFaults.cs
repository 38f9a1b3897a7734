// Link fault plan of the HIL test hook (--fault-socket; off by default, never in production): what
// FaultInjectingChannel does to the next messages, set by one-line commands.
//
// Commands (one per line; directions: out = agent -> island, in = island -> agent):
//   drop out|in N            drop the next N messages
//   dup out|in N             send / deliver each of the next N messages twice
//   delay out|in N MS        hold each of the next N messages MS ms (later messages queue behind them)
//   corrupt out|in N         flip bytes of the next N messages so the receiver's decoder rejects them
//   forge out|in N           each of the next N messages passes, followed by a forged copy: its last
//                            byte (in an authenticated session, the last byte of its auth_tag) inverted
//   txfull MS                stop draining the island's messages for MS ms (its TX ring fills)
//   slow MS DURATION_MS      every link-thread turn sleeps MS ms, for DURATION_MS ms (slow agent)
//   clear                    cancel every pending fault
//   status                   one line of counters: what was injected so far
// Answers: "ok ..." or "error ..." naming what was wrong. Thread-safe: commands arrive on the socket
// thread, the channel consults the plan on the link thread.
using System;
using System.Diagnostics;
using System.Globalization;

namespace Stratos.Island.Agent.TestHooks;

public enum LinkDirection
{
    Out = 0,
    In = 1,
}

public sealed class LinkFaults
{
    private readonly object _gate = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly int[] _drop = new int[2];
    private readonly int[] _dup = new int[2];
    private readonly int[] _delay = new int[2];
    private readonly int[] _delayMs = new int[2];
    private readonly int[] _corrupt = new int[2];
    private readonly int[] _forge = new int[2];
    private readonly long[] _dropped = new long[2];
    private readonly long[] _duplicated = new long[2];
    private readonly long[] _delayed = new long[2];
    private readonly long[] _corrupted = new long[2];
    private readonly long[] _forged = new long[2];
    private long _txFullUntilMs;
    private long _slowUntilMs;
    private int _slowMs;
    private long _stalledTurns;
    private long _slowTurns;

    public long NowMs => _clock.ElapsedMilliseconds;

    /// <summary>Runs one command line and returns the answer line.</summary>
    public string Execute(string line)
    {
        string[] words = line.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0)
        {
            return "error empty command (" + Commands + ")";
        }

        try
        {
            switch (words[0])
            {
                case "drop":
                case "dup":
                case "corrupt":
                case "forge":
                {
                    Expect(words, 3, words[0] + " out|in N");
                    LinkDirection direction = Direction(words[1]);
                    int count = Number(words[2], "N", 1, 1_000_000);
                    lock (_gate)
                    {
                        int[] plan = words[0] switch
                        {
                            "drop" => _drop,
                            "dup" => _dup,
                            "forge" => _forge,
                            _ => _corrupt,
                        };
                        plan[(int)direction] = count;
                    }

                    return $"ok {words[0]} {words[1]} {count}";
                }

                case "delay":
                {
                    Expect(words, 4, "delay out|in N MS");
                    LinkDirection direction = Direction(words[1]);
                    int count = Number(words[2], "N", 1, 1_000_000);
                    int ms = Number(words[3], "MS", 1, 60_000);
                    lock (_gate)
                    {
                        _delay[(int)direction] = count;
                        _delayMs[(int)direction] = ms;
                    }

                    return $"ok delay {words[1]} {count} {ms}";
                }

                case "txfull":
                {
                    Expect(words, 2, "txfull MS");
                    int ms = Number(words[1], "MS", 1, 600_000);
                    lock (_gate)
                    {
                        _txFullUntilMs = NowMs + ms;
                    }

                    return $"ok txfull {ms}";
                }

                case "slow":
                {
                    Expect(words, 3, "slow MS DURATION_MS");
                    int ms = Number(words[1], "MS", 1, 10_000);
                    int duration = Number(words[2], "DURATION_MS", 1, 600_000);
                    lock (_gate)
                    {
                        _slowMs = ms;
                        _slowUntilMs = NowMs + duration;
                    }

                    return $"ok slow {ms} {duration}";
                }

                case "clear":
                    lock (_gate)
                    {
                        Array.Clear(_drop);
                        Array.Clear(_dup);
                        Array.Clear(_delay);
                        Array.Clear(_corrupt);
                        Array.Clear(_forge);
                        _txFullUntilMs = 0;
                        _slowUntilMs = 0;
                    }

                    return "ok clear";
                case "status":
                    return "ok " + Status();
                default:
                    return $"error unknown command '{words[0]}' ({Commands})";
            }
        }
        catch (FormatException e)
        {
            return "error " + e.Message;
        }
    }

    public const string Commands = "drop|dup|corrupt|forge out|in N, delay out|in N MS, txfull MS, slow MS DURATION_MS, clear, status";

    /// <summary>Counters as "key=value" pairs (the status answer).</summary>
    public string Status()
    {
        lock (_gate)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"dropped_out={_dropped[0]} dropped_in={_dropped[1]} duplicated_out={_duplicated[0]} duplicated_in={_duplicated[1]} " +
                $"delayed_out={_delayed[0]} delayed_in={_delayed[1]} corrupted_out={_corrupted[0]} corrupted_in={_corrupted[1]} " +
                $"forged_out={_forged[0]} forged_in={_forged[1]} " +
                $"stalled_turns={_stalledTurns} slow_turns={_slowTurns} pending_drop_out={_drop[0]} pending_drop_in={_drop[1]}");
        }
    }

    /// <summary>Counter by name (tests and the bench read these).</summary>
    public long Count(string name, LinkDirection direction)
    {
        lock (_gate)
        {
            return name switch
            {
                "dropped" => _dropped[(int)direction],
                "duplicated" => _duplicated[(int)direction],
                "delayed" => _delayed[(int)direction],
                "corrupted" => _corrupted[(int)direction],
                "forged" => _forged[(int)direction],
                _ => throw new ArgumentException("unknown counter " + name, nameof(name)),
            };
        }
    }

    /// <summary>What to do with the next message in one direction (consumes one unit of the plan).</summary>
    public MessageFault Next(LinkDirection direction, out int delayMs)
    {
        int d = (int)direction;
        delayMs = 0;
        lock (_gate)
        {
            if (_drop[d] > 0)
            {
                _drop[d]--;
                _dropped[d]++;
                return MessageFault.Drop;
            }

            if (_corrupt[d] > 0)
            {
                _corrupt[d]--;
                _corrupted[d]++;
                return MessageFault.Corrupt;
            }

            if (_forge[d] > 0)
            {
                _forge[d]--;
                _forged[d]++;
                return MessageFault.Forge;
            }

            if (_dup[d] > 0)
            {
                _dup[d]--;
                _duplicated[d]++;
                return MessageFault.Duplicate;
            }

            if (_delay[d] > 0)
            {
                _delay[d]--;
                _delayed[d]++;
                delayMs = _delayMs[d];
                return MessageFault.Delay;
            }

            return MessageFault.None;
        }
    }

    /// <summary>True (counted) while the island's messages must not be drained.</summary>
    public bool TxStalled()
    {
        lock (_gate)
        {
            if (NowMs >= _txFullUntilMs)
            {
                return false;
            }

            _stalledTurns++;
            return true;
        }
    }

    /// <summary>How long this link-thread turn sleeps (0 when the agent is not slowed).</summary>
    public int SlowTurnMs()
    {
        lock (_gate)
        {
            if (NowMs >= _slowUntilMs)
            {
                return 0;
            }

            _slowTurns++;
            return _slowMs;
        }
    }

    private static void Expect(string[] words, int count, string usage)
    {
        if (words.Length != count)
        {
            throw new FormatException($"'{string.Join(' ', words)}': expected {usage}");
        }
    }

    private static LinkDirection Direction(string word) => word switch
    {
        "out" => LinkDirection.Out,
        "in" => LinkDirection.In,
        _ => throw new FormatException($"direction '{word}' is neither out (agent -> island) nor in (island -> agent)"),
    };

    private static int Number(string word, string name, int min, int max)
    {
        if (!int.TryParse(word, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
        {
            throw new FormatException($"{name} '{word}' is not a whole number in {min}..{max}");
        }

        return value;
    }
}

public enum MessageFault
{
    None = 0,
    Drop = 1,
    Duplicate = 2,
    Delay = 3,
    Corrupt = 4,
    /// <summary>The message passes, then a copy with its last byte inverted (a forged auth_tag).</summary>
    Forge = 5,
}
