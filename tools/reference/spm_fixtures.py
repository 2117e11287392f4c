#!/usr/bin/python3
"""Writes tests/fixtures/spm/: SentencePiece models trained on Brown and what the real
`sentencepiece` library (Debian python3-sentencepiece 0.1.97) does with them, so dlm's own
SentencePiece reader can be checked id for id without Python at test time.

  niels.model      16k unigram with niels-gpt's options (scripts/train_tokenizer.py of
                   niels-gpt-2): character_coverage 1.0, byte_fallback, no dummy prefix,
                   split_digits off, default nmt_nfkc normalization, its four chat tokens as
                   user_defined_symbols (ids 3..6 after <unk> <s> </s>)
  nfkc.model       small unigram with the defaults (nmt_nfkc, dummy prefix on, no byte
                   fallback, so unknown characters give <unk>), a control and a user-defined symbol
  bpe.model        small BPE model: identity normalization (no charsmap), dummy prefix, extra
                   whitespace kept, byte fallback; after training one merged piece ("▁the") is
                   marked UNUSED, so encoding must resegment it into the pieces it was merged from
  niels.json / nfkc.json / bpe.json
                   hard:         hard strings with ids, ids with add_bos+add_eos, pieces, decode(ids)
                   brown_sample: every 1000th Brown line in full
                   brown_files:  per Brown file: lines, tokens, sha256 over "id,id,...\\n" per line
                   brown_decoded_sha256: sha256 over decode(ids) + "\\n" for every Brown line in order
                   decode:       crafted and random id sequences with decode(ids)
  precompiled.tokenizer.json
                   nfkc.model converted the way transformers' SpmConverter does (Precompiled
                   normalizer carrying the model's charsmap); precompiled_fixtures.mjs runs the
                   Rust tokenizers on it

Brown lines come from tools/reference/brown.mjs (node), so every script reads the corpus one way.
Needs: python3-sentencepiece and python3-protobuf (Debian: tools/reference/setup.sh --spm), node and the reference npm packages.
Usage: /usr/bin/python3 tools/reference/spm_fixtures.py [--retrain]
"""
import base64
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile

import sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2 as pb

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "tests", "fixtures", "spm")
SENTINEL = "84a5023f67d74cf29cc4001becde983c"
NIELS_TOKENS = [f"<|ngpt_{r}_{SENTINEL}|>" for r in ("sys", "usr", "asst", "eot")]


def brown_files():
    script = ("import { brownFiles } from './tools/reference/brown.mjs';"
              "process.stdout.write(JSON.stringify(brownFiles()));")
    out = subprocess.run(["node", "--input-type=module", "-e", script], cwd=ROOT, check=True,
                         capture_output=True).stdout
    return json.loads(out)


def train(brown, retrain):
    os.makedirs(OUT, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = os.path.join(tmp, "brown.txt")
        with open(corpus, "w", encoding="utf-8") as f:
            for fl in brown:
                for line in fl["lines"]:
                    f.write(line + "\n")
        common = dict(input=corpus, input_sentence_size=0, shuffle_input_sentence=False, num_threads=1,
                      minloglevel=2)
        if retrain or not os.path.exists(os.path.join(OUT, "niels.model")):
            spm.SentencePieceTrainer.train(
                model_prefix=os.path.join(tmp, "niels"), vocab_size=16000, model_type="unigram",
                character_coverage=1.0, byte_fallback=True, user_defined_symbols=",".join(NIELS_TOKENS),
                add_dummy_prefix=False, split_digits=False, **common)
            os.replace(os.path.join(tmp, "niels.model"), os.path.join(OUT, "niels.model"))
        if retrain or not os.path.exists(os.path.join(OUT, "nfkc.model")):
            spm.SentencePieceTrainer.train(
                model_prefix=os.path.join(tmp, "nfkc"), vocab_size=1000, model_type="unigram",
                control_symbols="<ctrl>", user_defined_symbols="<mask>,@@", **common)
            os.replace(os.path.join(tmp, "nfkc.model"), os.path.join(OUT, "nfkc.model"))
        if retrain or not os.path.exists(os.path.join(OUT, "bpe.model")):
            spm.SentencePieceTrainer.train(
                model_prefix=os.path.join(tmp, "bpe"), vocab_size=1000, model_type="bpe", byte_fallback=True,
                normalization_rule_name="identity", remove_extra_whitespaces=False,
                user_defined_symbols="<mask>", **common)
            m = pb.ModelProto()
            with open(os.path.join(tmp, "bpe.model"), "rb") as f:
                m.ParseFromString(f.read())
            the = next(p for p in m.pieces if p.piece == "\u2581the")
            the.type = pb.ModelProto.SentencePiece.UNUSED
            with open(os.path.join(OUT, "bpe.model"), "wb") as f:
                f.write(m.SerializeToString())


def hard_strings():
    with open(os.path.join(ROOT, "tests", "fixtures", "tokenizers", "hard_strings.json"), encoding="utf-8") as f:
        base = json.load(f)
    extra = [
        NIELS_TOKENS[0] + "You are helpful." + NIELS_TOKENS[3] + NIELS_TOKENS[1] + "hi" + NIELS_TOKENS[3] + NIELS_TOKENS[2],
        "text " + NIELS_TOKENS[1] + " with spaces " + NIELS_TOKENS[3] + " around",
        "  " + NIELS_TOKENS[0] + "  leading",
        "almost <|ngpt_sys_" + SENTINEL + "| token",
        "controls in text: <unk> <s> </s> <ctrl> <mask> @@ @@@ <0x41> <0xE2>",
        "ｆｕｌｌ－ｗｉｄｔｈ ＡＢＣ １２３ ！？",
        "ligatures ﬁ ﬂ ﬀ ﬃ ﬄ ﬅ ﬆ and ĳ Ǉ ǈ",
        "compat: ㎏ ㎞ ㍻ № ™ ℡ ⅷ Ⅻ ⁵ ₇ ¼ ¾ ㈱ ㊤ ｶﾀｶﾅ ﾊﾟ",
        "e\u0301 vs é, A\u030a vs Å, \u1e9b\u0323",
        "spaces:\u2000\u2001\u2002\u2003\u3000|\u00a0|\u202f|\u205f|end",
        "   \t multiple   spaces \t\t between    words   ",
        "tab\tnewline\ncr\rff\fvt\vend",
        "quotes “double” ‘single’ „low“ «guillemets» ‹s›",
        "dashes – — ― ‐ ‑ ‒ and ellipsis … and bullet •",
        "digits 0123456789 ０１２３ ٠١٢ ०१२",
        "\u00ad soft hyphen and \ufeff bom and \u200e lrm",
        "▁ literal lower one eighth block ▁▁ and U+2581",
        "x",
        "Ｈｅｌｌｏ\u3000Ｗｏｒｌｄ",
        "🙂🙃 emoji with skin 👋🏿 and ZWJ 🧑\u200d💻",
    ]
    return base + extra


def digest_brown(sp, brown):
    files, sample, n = [], [], 0
    decoded = hashlib.sha256()
    for fl in brown:
        h = hashlib.sha256()
        tokens = 0
        for ids, line in zip(sp.encode(fl["lines"]), fl["lines"]):
            h.update((",".join(map(str, ids)) + "\n").encode())
            decoded.update((sp.decode(ids) + "\n").encode())
            tokens += len(ids)
            if n % 1000 == 0:
                sample.append({"text": line, "ids": ids})
            n += 1
        files.append({"file": fl["file"], "lines": len(fl["lines"]), "tokens": tokens, "sha256": h.hexdigest()})
    return files, sample, decoded.hexdigest()


def decode_cases(sp, name):
    size = sp.get_piece_size()
    byte = lambda b: sp.piece_to_id(f"<0x{b:02X}>")
    cases = [
        [sp.bos_id(), sp.eos_id()],
        [sp.unk_id()],
        [sp.unk_id(), sp.unk_id()],
        [sp.piece_to_id("▁the")],
        [sp.bos_id(), sp.piece_to_id("▁the"), sp.piece_to_id("▁the")],
        [sp.piece_to_id("▁"), sp.piece_to_id("▁the")],
        [sp.piece_to_id("▁"), sp.piece_to_id("▁")],
        list(range(3, 9)),
    ]
    if name == "niels":
        cases += [
            [byte(0xE2), byte(0x82), byte(0xAC)],        # a whole euro sign in bytes
            [byte(0xE2), byte(0x82)],                    # truncated sequence
            [byte(0xE2), sp.piece_to_id("▁the"), byte(0xAC)],
            [byte(0xFF), byte(0x41), byte(0xC3)],
            [byte(0xF0), byte(0x9F), byte(0x98), byte(0x80), byte(0x80)],
            [byte(0xC0), byte(0x80), byte(0xED), byte(0xA0), byte(0x80)],  # overlong, surrogate
            [byte(0x20), sp.piece_to_id("▁the")],
            [sp.piece_to_id(NIELS_TOKENS[1]), sp.piece_to_id("▁the")],
        ]
    rng = random.Random(1234)
    for _ in range(40):
        cases.append([rng.randrange(size) for _ in range(rng.randrange(1, 12))])
    return [{"ids": c, "decoded": sp.decode(c)} for c in cases if all(0 <= i < size for i in c)]


def write_fixture(name, brown):
    model = os.path.join(OUT, name + ".model")
    sp = spm.SentencePieceProcessor(model_file=model)
    hard = []
    for text in hard_strings():
        ids = sp.encode(text)
        hard.append({"text": text, "ids": ids, "ids_bos_eos": sp.encode(text, add_bos=True, add_eos=True),
                     "pieces": sp.encode(text, out_type=str), "decoded": sp.decode(ids)})
    files, sample, decoded = digest_brown(sp, brown)
    with open(model, "rb") as f:
        model_sha = hashlib.sha256(f.read()).hexdigest()
    result = {"model": name + ".model", "model_sha256": model_sha,
              "reference": f"sentencepiece {spm.__version__} (Debian python3-sentencepiece)",
              "vocab_size": sp.get_piece_size(), "unk_id": sp.unk_id(), "bos_id": sp.bos_id(),
              "eos_id": sp.eos_id(), "pad_id": sp.pad_id(),
              "hard": hard, "decode": decode_cases(sp, name), "brown_sample": sample, "brown_files": files,
              "brown_decoded_sha256": decoded}
    with open(os.path.join(OUT, name + ".json"), "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False, separators=(",", ":"))
    print(f"{name}: {sum(x['tokens'] for x in files)} Brown tokens, {sp.get_piece_size()} pieces", file=sys.stderr)


def write_precompiled_tokenizer_json():
    """nfkc.model as a tokenizer.json, shaped like transformers' SpmConverter output for a unigram model."""
    m = pb.ModelProto()
    with open(os.path.join(OUT, "nfkc.model"), "rb") as f:
        m.ParseFromString(f.read())
    types = pb.ModelProto.SentencePiece
    vocab = [[p.piece, p.score] for p in m.pieces]
    added = [{"id": i, "content": p.piece, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": p.type == types.CONTROL or p.type == types.UNKNOWN}
             for i, p in enumerate(m.pieces) if p.type in (types.CONTROL, types.UNKNOWN, types.USER_DEFINED)]
    unk = next(i for i, p in enumerate(m.pieces) if p.type == types.UNKNOWN)
    tok = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Precompiled", "precompiled_charsmap": base64.b64encode(m.normalizer_spec.precompiled_charsmap).decode()},
            {"type": "Strip", "strip_left": False, "strip_right": True},
            {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": "▁"}]},
        "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True},
        "post_processor": None,
        "decoder": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True},
        "model": {"type": "Unigram", "unk_id": unk, "vocab": vocab, "byte_fallback": False},
    }
    with open(os.path.join(OUT, "precompiled.tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False, separators=(",", ":"))


def main():
    brown = brown_files()
    train(brown, "--retrain" in sys.argv)
    for name in ("niels", "nfkc", "bpe"):
        write_fixture(name, brown)
    write_precompiled_tokenizer_json()
    with open(os.path.join(OUT, "hard_strings.json"), "w", encoding="utf-8") as f:
        json.dump(hard_strings(), f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
