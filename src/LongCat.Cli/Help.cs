namespace LongCat.Cli;

internal static class Help
{
    public static readonly IReadOnlySet<string> Switches = new HashSet<string> { "help", "lines", "decode", "no-special", "chat", "json", "show-thinking", "no-generation-prompt" };

    private const string Sampling = """
      --temperature T          0 = greedy (default 0.7)
      --top-k K                keep the K most likely tokens (0 = off)
      --top-p P                nucleus sampling (1 = off)
      --min-p P                drop tokens below P x the top probability (0 = off)
      --repetition-penalty R   1 = off
      --presence-penalty P     0 = off
      --frequency-penalty F    0 = off
      --seed N                 same seed, same output
      --max-tokens N           default 512
      --stop TEXT              stop sequence (repeatable)
      --stop-id N              stop token id (repeatable)
      --draft-tokens N         MTP draft tokens per step (0 = no speculation; default: the engine's, 1)
      --draft-vocab N          draft from the N most frequent tokens of the model's mtp_draft_vocab.json (0 = the whole
                               vocabulary; default: the file's own size, or the whole vocabulary without the file)
      --json-schema FILE       the output is one JSON value valid against the schema in FILE (enforced while decoding)
      --regex PATTERN          the output matches PATTERN (docs/STRUCTURED-OUTPUT.md lists the supported syntax)
      --choice TEXT            the output is one of the --choice texts (repeatable)
      --enable-thinking B      true or false: a thinking model reasons first, or answers directly (the chat template's
                               enable_thinking; default: the template's)
      --thinking-budget N      at most N tokens of reasoning, then </longcat_think> is forced and the answer follows
      --show-thinking          print a thinking model's reasoning before its answer (dimmed on a terminal)
      --heavy N                Heavy Thinking (chat): N reasoning paths in parallel from one prefill, then a summary
                               over their answers, which is the answer printed
    """;

    private const string Model = """
      --model DIR              model folder (default: the bundled demo model, models/longcat-demo)
    """;

    private const string Device = """
      --device D               auto (default: CUDA when a GPU is found, else the CPU), cpu or cuda
    """;

    private const string Quantize = """
      --quantize Q             convert the weights at load: q8 (all linear weights 8-bit), q4-experts (routed experts
                               4-bit, the rest 8-bit) or q4 (all 4-bit, lm_head 8-bit); default: as stored
    """;

    public static readonly string Main = $"""
    longcat: run LongCat models from the command line.

    usage: longcat COMMAND [options]     (longcat COMMAND --help for details)

      chat        interactive chat, streaming, with tokens/s
      generate    continue one prompt (text or token ids)
      serve       the OpenAI-compatible HTTP API (/v1/chat/completions, /v1/completions, /v1/models, /health, /metrics)
      template    print the exact prompt a conversation renders to (the model's chat template)
      tokenize    text to token ids (or back with --decode)
      inspect     config, tensors with dtypes and bytes, memory estimate
      draft-vocab rank the tokens of sample text: the MTP head's draft vocabulary
      bench       prefill and decode tokens/s
      quantize    write a model folder with 8-bit or 4-bit weights
      plan        memory plan before loading: resident and mapped bytes, KV tokens that fit, bytes per token
      perplexity  perplexity over a text file; with --quantize, KL divergence from the unquantized weights
    """;

    public static string? For(string command) => command switch
    {
        "chat" => $"""
            usage: longcat chat [options]
                   longcat chat --endpoint URL [--api-key KEY] [--model-name NAME] [options]
            Reads your turns from standard input (an empty line or EOF ends), streams the answers.
            {Model}
            {Device}
            {Quantize}
            {Sampling}
              --system TEXT            system prompt
              --endpoint URL           a remote engine instead of a local model: an OpenAI-compatible LongCat server
                                       (SGLang, vLLM, longcat serve), e.g. http://127.0.0.1:8080/v1; the sampling and thinking
                                       options are sent with each request (the model, device, quantize, draft and heavy
                                       options are for a local model)
              --api-key KEY            the server's key (sent as `Authorization: Bearer KEY`; also read from LONGCAT_API_KEY,
                                       which keeps it off the command line)
              --model-name NAME        the name the server serves the model under (default: none sent; the server's model)
            """,
        "generate" => $"""
            usage: longcat generate (--prompt TEXT | --prompt-ids 1,2,3) [options]
            Continues the prompt as is (no chat template) and prints the text (or ids, for a model without tokenizer.json).
            {Model}
            {Device}
            {Quantize}
            {Sampling}
              --chat                   wrap the prompt as one user turn of the chat template
            """,
        "serve" => $"""
            usage: longcat serve [--model DIR] [--host 127.0.0.1] [--port 8080] [--api-key KEY] [--quantize Q] [options]
            Loads the model and serves OpenAI's API over HTTP until Ctrl+C: POST /v1/chat/completions (streaming, tools,
            response_format, n), POST /v1/completions, GET /v1/models, GET /health, GET /metrics (Prometheus). Prints
            `listening on http://HOST:PORT` once it accepts requests. docs/SERVING.md has the endpoints and limits.
              --host ADDRESS           the address to listen on (default 127.0.0.1; 0.0.0.0 or :: for every interface,
                                       which needs an API key)
              --port N                 default 8080; 0: any free port (the printed address has it)
              --api-key KEY            the key clients send as `Authorization: Bearer KEY` (repeatable; also read from
                                       LONGCAT_API_KEY, which keeps it off the command line). Without one, loopback only
              --model-name NAME        the name in /v1/models and requests' "model" (default: the model folder's name)
              --max-concurrent N       requests served at once; more get 429 (default 64)
              --max-tokens-limit N     the largest max_tokens; a request without one may generate this many (default 4096)
              --max-prompt-tokens N    the longest prompt in tokens (default: the model's context window)
              --max-body-bytes SIZE    the largest request body, e.g. 4MB (default 4 MiB)
            {Model}
            {Device}
            {Quantize}
            """,
        "template" => $"""
            usage: longcat template [--model DIR | --template FILE] --messages FILE [--tools FILE] [--no-generation-prompt] [--enable-thinking true|false] [--kwargs FILE]
            Prints the prompt the conversation renders to, exactly as the model is fed it, with nothing added (no newline):
            the model's own chat template (chat_template.jinja or tokenizer_config.json's chat_template), else
            LongCat-Flash-Chat's built-in format.
              --messages FILE          a JSON array of messages in the OpenAI chat shape (role, content, reasoning_content,
                                       tool_calls, name, tool_call_id)
              --tools FILE             a JSON array of tools in the OpenAI shape (type "function" with name, description, parameters)
              --no-generation-prompt   do not open the assistant's turn at the end (add_generation_prompt false)
              --enable-thinking B      pass enable_thinking = true or false to the template
              --kwargs FILE            a JSON object of further template variables (chat_template_kwargs)
              --template FILE          render this Jinja template instead of the model's
            {Model}
            """,
        "tokenize" => """
            usage: longcat tokenize --tokenizer PATH [--input FILE] [--lines] [--decode] [--no-special]
            Reads text from FILE or standard input and prints its ids as one JSON array (no BOS is added).
              --tokenizer   a tokenizer.json (gzipped or not) or a model folder holding one
              --lines       the input is a JSON array of strings; prints a JSON array of id arrays
              --decode      the input is a JSON array of ids (or, with --lines, of id arrays); prints the text
              --no-special  do not parse special-token text (encode it as plain text)
            """,
        "inspect" => $"""
            usage: longcat inspect [--model DIR]
            Prints the config, every tensor with dtype, shape and bytes, and the memory estimate.
            {Model}
            """,
        "draft-vocab" => $"""
            usage: longcat draft-vocab [--model DIR] --text FILE [--text FILE ...] [--size N] [--out FILE]
            Counts the tokens of text like the model's output (each line encoded with a newline, special tokens parsed), ranks
            them by count and writes mtp_draft_vocab.json into the model folder (or FILE). Speculative decoding then drafts
            from the first N (default: a quarter of the vocabulary); the output stays exactly the model's.
            {Model}
            """,
        "bench" => $"""
            usage: longcat bench [--model DIR] [--prompt TEXT [--chat] | --prompt-tokens N] [--tokens N] [--draft-tokens N] [--draft-vocab N] [--rounds N] [--temperature T] [--streams N] [--quantize Q] [--json]
            Measures prefill tokens/s (one forward over the prompt: TEXT continued as is, or as a chat turn with --chat, or N
            random tokens, default 128) and greedy decode tokens/s (default 256 tokens, past the end-of-sequence token if the
            output reaches one: the bench then warns) without and with MTP speculative decoding, in the same run: after
            warm-up runs of each (until two plain runs agree within 5%, at most 5), N rounds (default 21) run the two in turn (the order
            swapped every other round) and each reports its median round; the speed-up is
            the median over rounds of MTP tokens/s over the plain tokens/s of the same round. A `step cost` line splits a step: the
            model's forward in plain and in verify steps, the MTP head and the rest (sampling, verification, streaming), in
            µs and in plain steps, and the speed-up they predict; the last line is `speedup: X.XX`. --draft-vocab N: as for generate. --temperature T (default 0, greedy):
            both modes sample, each round's pair from the same seed (speculation keeps the distribution, not the tokens).
            --json: the report goes to standard error and one JSON object to standard output: prefill_tokens_per_s,
            decode_tokens_per_s, mtp_decode_tokens_per_s and speedup (null when MTP is not run), acceptance_rate,
            weight_bytes_per_token (the weights one decoded token reads in their loaded format: dense weights, the top-k
            experts counted as real ones, lm_head), prompt_tokens, decode_tokens, rounds, streams,
            aggregate_decode_tokens_per_s, aggregate_over_one_stream, backend, quantization. --streams N (default 1): also N
            concurrent requests (random prompts of --prompt-tokens, no MTP), their aggregate decode tokens/s from the moment all
            have their first token, median over the rounds; each round also runs one request alone, and the scaling printed
            (`× one stream's`) is the median over rounds of the round's aggregate over its lone request's tokens/s.
            {Model}
            {Device}
            {Quantize}
            """,
        "perplexity" => $"""
            usage: longcat perplexity [--model DIR] --text FILE [--context N] [--max-tokens N] [--quantize Q] [--json]
            Scores every token of FILE (tokenized as plain text, no BOS) but the first: perplexity = exp(mean negative
            log-likelihood). Windows of N tokens (--context, default 512, the demo model's trained context) strided by N/2:
            the first window scores all its tokens, each later one only its last N/2, so every token is scored once and,
            past the first window, with at least N/2 tokens of context (llama.cpp scores the second half of non-overlapping
            chunks instead). --max-tokens N: only the text's first N tokens. With --quantize the quantized model is compared
            with the same weights unquantized at every scored position: the perplexity ratio, KL(unquantized || quantized)
            (mean, 99th percentile, max), top-1 agreement and RMS of the change of the next token's probability.
            --json: one JSON object on standard output: ppl, ppl_base, ppl_ratio, mean_kld, kld_p99, kld_max,
            top1_agreement, rms_delta_p (null without --quantize), tokens, windows, context, quantization; progress goes
            to standard error.
            {Model}
            {Device}
            {Quantize}
            """,
        "quantize" => """
            usage: longcat quantize --model IN --out OUT --preset P [--shard-size MB]
            Writes OUT (a new folder): IN's weights quantized with preset P, in the official layout (config.json with its
            quantization_config, safetensors shards and index, tokenizer and generation files copied). It loads mapped, in
            seconds, with no re-quantization. Progress on standard error.
              --preset P      q8 (every linear weight 8-bit), q4-experts (routed experts 4-bit, the rest 8-bit),
                              q4 (every linear weight 4-bit, lm_head 8-bit); docs/QUANTIZATION.md
              --shard-size MB bytes per shard (default 4096)
            """,
        "plan" => """
            usage: longcat plan --config FILE | --model DIR [--memory SIZE] [--quantize P] [--bandwidth RATE] [--json]
            The memory plan of a model before loading it, from its config alone (no weights read): each group of weights
            with its format, bytes and placement (the N-gram tables and the token embedding mapped, the rest resident),
            the KV cache per token, a runtime estimate, the weight bytes a decoded token reads; against --memory, whether it
            fits and how many KV tokens do. CPU placement only.
              --config FILE     a config.json
              --model DIR       a model folder (its config.json)
              --memory SIZE     the process's budget, e.g. 32GB (GB and GiB both mean 2^30 bytes)
              --quantize P      q8, q4-experts or q4 (default: as stored)
              --bandwidth RATE  memory bandwidth for the decode estimate, e.g. 50GB/s
              --json            one JSON object: resident_bytes, mapped_bytes, fits, kv_tokens, bytes_per_token, groups, ...
            """,
        _ => null,
    };
}
