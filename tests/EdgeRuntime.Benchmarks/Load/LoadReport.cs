using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.ML.OnnxRuntime;

namespace EdgeRuntime.Benchmarks.Load;

/// <summary>
/// Turns the load script's result lines into the README's markdown: the machine, a table of every point,
/// and the issue's four targets, each with its figures and PASS or MISS.
/// <code>report --results results.txt [--markdown report.md] [--queue-delay-us 500] [--ocr-side 320] [--wrk-version "wrk 4.1.0"]</code>
/// </summary>
internal static class LoadReport
{
    public static int Run(CommandArguments arguments)
    {
        var results = LoadResult.ReadAll(arguments.Required("results"));
        var queueDelay = arguments.Number("queue-delay-us", 500);
        var side = (int)arguments.Number("ocr-side", 320);
        var markdown = new StringBuilder();
        WriteMachine(markdown, arguments.Get("wrk-version"));
        WriteTable(markdown, results, side);
        WriteTargets(markdown, results, queueDelay);
        var text = markdown.ToString();
        Console.Write(text);
        if (arguments.Get("markdown") is { } path)
        {
            File.WriteAllText(path, text);
        }

        return 0;
    }

    private static void WriteMachine(StringBuilder markdown, string? wrkVersion)
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        var memory = File.Exists("/proc/meminfo")
            ? File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        var os = File.Exists("/etc/os-release")
            ? File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))?.Split('=', 2)[1].Trim('"')
            : RuntimeInformation.OSDescription;
        markdown.AppendLine(CultureInfo.InvariantCulture, $"Machine: {Environment.ProcessorCount} cores ({cpu ?? "unknown CPU"}), {MemoryInGiB(memory)}, {os}, kernel {Environment.OSVersion.Version}; {RuntimeInformation.FrameworkDescription}, ONNX Runtime {OrtEnv.Instance().GetVersionString()}, {wrkVersion ?? "wrk"}.");
        markdown.AppendLine();
    }

    private static string MemoryInGiB(string? memTotal) =>
        memTotal is not null && long.TryParse(memTotal.Split(' ')[0], CultureInfo.InvariantCulture, out var kib)
            ? string.Create(CultureInfo.InvariantCulture, $"{kib / 1024.0 / 1024.0:F0} GiB")
            : "unknown memory";

    private static void WriteTable(StringBuilder markdown, IReadOnlyList<LoadResult> results, int side)
    {
        markdown.AppendLine("| scenario | connections | req/s | p50 µs | p99 µs | errors |");
        markdown.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var result in results)
        {
            markdown.AppendLine(CultureInfo.InvariantCulture, $"| {Describe(result, side)} | {(result["kind"] == "raw" ? "–" : result["conns"])} | {result.Rps:F0} | {result.P50:F0} | {result.P99:F0} | {result.Errors} |");
        }

        markdown.AppendLine();
    }

    private static string Describe(LoadResult result, int side)
    {
        var model = result["model"] switch
        {
            "demo" => "demo (tiny)",
            "ocr" => $"PaddleOCR det {side}×{side}",
            "compute" => "compute-bound",
            var other => other,
        };
        return result["kind"] switch
        {
            "raw" => $"raw `Run`, {model}, batch {result["batch"]} (runs/s)",
            "noop" => "no-op HTTP endpoint",
            _ => $"host, {model}, {(result["format"] == "json" ? "JSON" : "binary")}, batching {result["batching"]}",
        };
    }

    private static void WriteTargets(StringBuilder markdown, IReadOnlyList<LoadResult> results, double queueDelay)
    {
        LoadResult? Find(string kind, string model = "", string format = "", string batching = "", string conns = "", string batch = "") =>
            results.LastOrDefault(r => r["kind"] == kind && (model == "" || r["model"] == model) && (format == "" || r["format"] == format)
                && (batching == "" || r["batching"] == batching) && (conns == "" || r["conns"] == conns) && (batch == "" || r["batch"] == batch));

        markdown.AppendLine("| target | measured | result |");
        markdown.AppendLine("| --- | --- | --- |");
        var noop1 = Find("noop", conns: "1");
        var noop64 = Find("noop", conns: "64");
        var rawDemo = Find("raw", model: "demo", batch: "1");
        foreach (var format in new[] { "binary", "json" })
        {
            var host = Find("host", "demo", format, "off", "1");
            Target(
                markdown,
                $"server overhead, tiny model, 1 connection, {Label(format)}: host p50 − (no-op HTTP p50 + raw `Run` p50) ≤ 25 µs",
                [host, noop1, rawDemo],
                () =>
                {
                    var overhead = host!.P50 - (noop1!.P50 + rawDemo!.P50);
                    return (overhead <= 25, $"{host.P50:F0} − ({noop1.P50:F0} + {rawDemo.P50:F0}) = {overhead:F0} µs");
                });
        }

        foreach (var format in new[] { "binary", "json" })
        {
            var host = Find("host", "demo", format, "off", "64");
            Target(
                markdown,
                $"tiny model, batch 1, 64 connections, {Label(format)}: ≥ 85 % of the no-op HTTP floor's req/s",
                [host, noop64],
                () => (host!.Rps >= 0.85 * noop64!.Rps, $"{host.Rps:F0} / {noop64.Rps:F0} = {100 * host.Rps / noop64.Rps:F0} %"));
        }

        var ocr = Find("host", "ocr", "binary", "off", "64");
        var rawOcr = Find("raw", model: "ocr", batch: "1");
        Target(
            markdown,
            "PaddleOCR, batch 1, 64 connections, binary: ≥ 95 % of raw `Run`'s runs/s",
            [ocr, rawOcr],
            () => (ocr!.Rps >= 0.95 * rawOcr!.Rps, $"{ocr.Rps:F1} / {rawOcr.Rps:F1} = {100 * ocr.Rps / rawOcr.Rps:F0} %"));

        var off = Find("host", "compute", "binary", "off", "64");
        var on = Find("host", "compute", "binary", "on", "64");
        var rawBatch = Find("raw", model: "compute", batch: "64");
        Target(
            markdown,
            "compute-bound, 64 connections: batching on ≥ 2.5 × the req/s of batching off",
            [on, off],
            () => (on!.Rps >= 2.5 * off!.Rps, $"{on.Rps:F0} / {off.Rps:F0} = {on.Rps / off.Rps:F2} ×"));
        Target(
            markdown,
            $"compute-bound, 64 connections, batching on: p99 ≤ 2 × (max queue delay {queueDelay:F0} µs + one batch of 64's compute)",
            [on, rawBatch],
            () =>
            {
                var bound = 2 * (queueDelay + rawBatch!.P50);
                return (on!.P99 <= bound, $"{on.P99:F0} µs vs 2 × ({queueDelay:F0} + {rawBatch.P50:F0}) = {bound:F0} µs");
            });
        markdown.AppendLine();
    }

    private static string Label(string format) => format == "json" ? "JSON" : "binary";

    /// <summary>One target line; "not measured" when any point it needs is missing, MISS when any of them had failed requests.</summary>
    private static void Target(StringBuilder markdown, string target, LoadResult?[] needed, Func<(bool Pass, string Figures)> check)
    {
        if (needed.Any(r => r is null))
        {
            markdown.AppendLine(CultureInfo.InvariantCulture, $"| {target} | not measured | n/a |");
            return;
        }

        var (pass, figures) = check();
        var errors = needed.Sum(r => r!.Errors);
        var verdict = errors > 0 ? $"MISS ({errors} failed requests)" : pass ? "PASS" : "MISS";
        markdown.AppendLine(CultureInfo.InvariantCulture, $"| {target} | {figures} | {verdict} |");
    }
}
