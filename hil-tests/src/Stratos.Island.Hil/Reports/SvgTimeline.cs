using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Text;
using Stratos.Island.Hil.Measurement;

namespace Stratos.Island.Hil.Reports;

/// <summary>
/// Draws one VM's timeline as an inline SVG: four lanes (heartbeats, checkpoints, status, actions)
/// over a shared time axis, faults as red dashed verticals with their detection-bound window shaded,
/// detections as orange verticals, recoveries as green verticals. Every mark has a CSS class
/// (<c>mark-heartbeat</c>, <c>mark-checkpoint</c>, <c>mark-status</c>, <c>mark-action</c>,
/// <c>mark-fault</c>, <c>mark-detection</c>, <c>mark-recovery</c>, <c>bound-window</c>) and a
/// &lt;title&gt; tooltip; nothing external, no script.
/// </summary>
public static class SvgTimeline
{
    public const int Width = 960;
    private const int Left = 90;
    private const int Right = 20;
    private const int LaneHeight = 22;
    private static readonly string[] Lanes = { "heartbeats", "checkpoints", "status", "actions" };

    public static string Render(VmTimeline timeline, IReadOnlyList<FaultMeasurement> faults, double startMs, double endMs)
    {
        if (endMs <= startMs)
            endMs = startMs + 1;
        int plotTop = 8;
        int axisY = plotTop + Lanes.Length * LaneHeight + 4;
        int height = axisY + 22;
        double plotWidth = Width - Left - Right;
        double X(double t) => Left + (Math.Clamp(t, startMs, endMs) - startMs) / (endMs - startMs) * plotWidth;
        double LaneY(int lane) => plotTop + lane * LaneHeight + LaneHeight / 2.0;

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture,
            $"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\" width=\"{Width}\" height=\"{height}\" viewBox=\"0 0 {Width} {height}\" role=\"img\" aria-label=\"timeline of {Esc(timeline.VmName)}\">");
        svg.Append(CultureInfo.InvariantCulture, $"<title>{Esc(timeline.VmName)}</title>");
        for (int lane = 0; lane < Lanes.Length; lane++)
        {
            double y = LaneY(lane);
            svg.Append(CultureInfo.InvariantCulture,
                $"<line class=\"lane\" x1=\"{Left}\" y1=\"{F(y)}\" x2=\"{Width - Right}\" y2=\"{F(y)}\"/><text class=\"lane-label\" x=\"4\" y=\"{F(y + 4)}\">{Lanes[lane]}</text>");
        }

        foreach (var fault in faults.Where(f => f.Vm == timeline.VmName))
        {
            double x = X(fault.InjectedMs);
            if (fault.BoundMs is double bound)
                svg.Append(CultureInfo.InvariantCulture,
                    $"<rect class=\"bound-window\" x=\"{F(x)}\" y=\"{plotTop}\" width=\"{F(Math.Max(1, X(fault.InjectedMs + bound) - x))}\" height=\"{Lanes.Length * LaneHeight}\"><title>{Esc(fault.Fault.ToString())}: detection bound {F(bound)} ms</title></rect>");
            svg.Append(CultureInfo.InvariantCulture,
                $"<line class=\"mark-fault\" x1=\"{F(x)}\" y1=\"{plotTop}\" x2=\"{F(x)}\" y2=\"{axisY}\"><title>{Esc(fault.Fault.ToString())} injected at {F(fault.InjectedMs)} ms</title></line>");
            if (fault.DetectedMs is double detected)
            {
                double dx = X(detected);
                svg.Append(CultureInfo.InvariantCulture,
                    $"<line class=\"mark-detection\" x1=\"{F(dx)}\" y1=\"{plotTop}\" x2=\"{F(dx)}\" y2=\"{axisY}\"><title>detected at {F(detected)} ms (latency {F(detected - fault.InjectedMs)} ms)</title></line>");
            }
        }

        foreach (var mark in timeline.Marks)
        {
            double x = X(mark.TimeMs);
            string tip = $"<title>{Esc(mark.Label)} at {F(mark.TimeMs)} ms</title>";
            switch (mark.Kind)
            {
                case MarkKind.Heartbeat:
                    svg.Append(CultureInfo.InvariantCulture,
                        $"<line class=\"mark-heartbeat\" x1=\"{F(x)}\" y1=\"{F(LaneY(0) - 6)}\" x2=\"{F(x)}\" y2=\"{F(LaneY(0) + 6)}\">{tip}</line>");
                    break;
                case MarkKind.Checkpoint:
                    svg.Append(CultureInfo.InvariantCulture,
                        $"<circle class=\"mark-checkpoint\" cx=\"{F(x)}\" cy=\"{F(LaneY(1))}\" r=\"3\">{tip}</circle>");
                    break;
                case MarkKind.StatusChange:
                    svg.Append(CultureInfo.InvariantCulture,
                        $"<rect class=\"mark-status\" x=\"{F(x - 3)}\" y=\"{F(LaneY(2) - 3)}\" width=\"6\" height=\"6\" transform=\"rotate(45 {F(x)} {F(LaneY(2))})\">{tip}</rect><text class=\"mark-label\" x=\"{F(x + 5)}\" y=\"{F(LaneY(2) - 4)}\">{Esc(mark.Label)}</text>");
                    break;
                case MarkKind.Action:
                    double y = LaneY(3);
                    svg.Append(CultureInfo.InvariantCulture,
                        $"<path class=\"mark-action\" d=\"M{F(x)},{F(y - 6)} L{F(x + 5)},{F(y + 5)} L{F(x - 5)},{F(y + 5)} Z\">{tip}</path><text class=\"mark-label\" x=\"{F(x + 6)}\" y=\"{F(y - 3)}\">{Esc(mark.Label)}</text>");
                    break;
                case MarkKind.Fault:
                    svg.Append(CultureInfo.InvariantCulture,
                        $"<text class=\"mark-label fault-label\" x=\"{F(x + 3)}\" y=\"{plotTop + 8}\">{Esc(mark.Label)}</text>");
                    break;
                case MarkKind.Recovery:
                    svg.Append(CultureInfo.InvariantCulture,
                        $"<line class=\"mark-recovery\" x1=\"{F(x)}\" y1=\"{plotTop}\" x2=\"{F(x)}\" y2=\"{axisY}\">{tip}</line>");
                    break;
            }
        }

        svg.Append(CultureInfo.InvariantCulture, $"<line class=\"axis\" x1=\"{Left}\" y1=\"{axisY}\" x2=\"{Width - Right}\" y2=\"{axisY}\"/>");
        double step = TickStep(endMs - startMs);
        for (double t = Math.Ceiling(startMs / step) * step; t <= endMs + 1e-9; t += step)
        {
            double x = X(t);
            svg.Append(CultureInfo.InvariantCulture,
                $"<line class=\"tick\" x1=\"{F(x)}\" y1=\"{axisY}\" x2=\"{F(x)}\" y2=\"{axisY + 4}\"/><text class=\"tick-label\" x=\"{F(x)}\" y=\"{axisY + 16}\">{TickLabel(t, step)}</text>");
        }
        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>A 1/2/5 x 10^k step giving 5..10 ticks over the span.</summary>
    public static double TickStep(double spanMs)
    {
        double raw = Math.Max(spanMs, 1) / 8;
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        foreach (double factor in new[] { 1.0, 2.0, 5.0, 10.0 })
            if (factor * magnitude >= raw)
                return factor * magnitude;
        return 10 * magnitude;
    }

    private static string TickLabel(double t, double step) =>
        step >= 1000 ? (t / 1000).ToString("0.#", CultureInfo.InvariantCulture) + " s" : t.ToString("0", CultureInfo.InvariantCulture) + " ms";

    private static string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

    private static string Esc(string s) => WebUtility.HtmlEncode(s);
}
