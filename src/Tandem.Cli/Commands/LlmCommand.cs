using System.CommandLine;
using Tandem.Cli.Console;
using Tandem.Cli.Llm;
using System.Diagnostics;
using Microsoft.Extensions.AI;
using Tandem.Llm.Middleware;
using Tandem.Llm.Providers;

namespace Tandem.Cli.Commands;

/// <summary>`tandem llm check --llm SPEC`: one tiny request, then the model, latency and token counts (for an in-process
/// <c>gguf:</c> model: loading and checking the file, then one answer, with its tokens counted by Tandem).</summary>
public static class LlmCommand
{
    /// <summary>Create `llm` with its `check` subcommand.</summary>
    public static Command Create(CliIo io)
    {
        var spec = new Option<string>("--llm") { Description = "The model: " + LlmSpec.Allowed + " (simulated needs no check). Keys come from TANDEM_LLM_API_KEY or OPENAI_API_KEY.", Required = true };
        var timeout = new Option<double>("--timeout") { Description = "Seconds to wait for the answer.", DefaultValueFactory = _ => 30.0 };
        var llmOptions = new LlmOptions("--llm");
        var check = new Command("check", "Send one tiny request to a model and print its name, latency and token counts.");
        check.Add(spec);
        check.Add(timeout);
        check.Add(llmOptions.MaxResponseBytes);
        check.Add(llmOptions.AllowKeyOverHttp);
        check.Add(llmOptions.ContextSize);
        check.SetAction(async (parse, ct) =>
        {
            if (LlmSpec.IsSimulated(parse.GetValue(spec)!))
            {
                io.Output.WriteLine("simulated: the offline default; no model is called, so there is nothing to check.");
                return CliApp.Ok;
            }
            LlmSpec llm;
            try { llm = LlmSpec.Parse(parse.GetValue(spec)!); }
            catch (FormatException ex) { throw new UsageException("--llm: " + ex.Message); }
            double seconds = parse.GetValue(timeout);
            if (!double.IsFinite(seconds) || seconds <= 0 || seconds > 600) throw new UsageException($"--timeout {seconds} must lie in (0, 600] seconds.");
            var options = new LlmClientOptions
            {
                Resilience = new ResilienceOptions { AttemptTimeout = TimeSpan.FromSeconds(seconds), MaxRetries = 0 },
                MaxResponseBytes = parse.GetValue(llmOptions.MaxResponseBytes),
                AllowKeyOverHttp = parse.GetValue(llmOptions.AllowKeyOverHttp),
                Gguf = new Tandem.Llm.Providers.Gguf.GgufOptions { ContextSize = parse.GetValue(llmOptions.ContextSize) },
            };
            try { options.Validate(); }
            catch (ArgumentException ex) { throw LlmOptions.Names.Translate(ex); }
            IChatClient client;
            try
            {
                client = LlmClients.Create(llm, new LlmLedger(), options);
            }
            catch (LlmConfigurationException ex)
            {
                throw new UsageException("--llm: " + LlmOptions.Message(ex));
            }
            using IChatClient owned = client;
            var clock = Stopwatch.StartNew();
            ChatResponse response;
            try
            {
                response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Reply with the single word OK.")], new ChatOptions { MaxOutputTokens = 16, Temperature = 0 }, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                throw new UsageException($"--llm {llm}: no usable answer ({ex.GetType().Name}: {FirstLine(ex.Message)})");
            }
            io.Output.WriteLine($"model: {ConsoleText.Safe(response.ModelId ?? llm.Model, 200)}");
            io.Output.WriteLine($"latency: {clock.Elapsed.TotalMilliseconds:F0} ms");
            io.Output.WriteLine($"tokens: {response.Usage?.InputTokenCount ?? 0} prompt, {response.Usage?.OutputTokenCount ?? 0} completion");
            io.Output.WriteLine($"answer: {FirstLine(response.Text)}");
            return CliApp.Ok;
        });
        var llmCommand = new Command("llm", "Language-model utilities.");
        llmCommand.Add(check);
        return llmCommand;
    }

    private static string FirstLine(string text) => ConsoleText.Safe(text.Split('\n')[0].Trim(), 200);
}
