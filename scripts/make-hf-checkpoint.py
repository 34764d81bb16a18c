#!/usr/bin/env python3
"""Writes a small synthetic Hugging Face checkpoint (config.json, model.safetensors, tokenizer.json,
tokenizer_config.json) for the conversion check (scripts/check-hf-convert.sh).

The weights are random (seeded); the tokenizer is rebuilt from one of llama.cpp's ggml-vocab-*.gguf files
(tokens, merges, special tokens) with the pre-tokenizer of the model family that vocabulary came from, so
llama.cpp's convert_hf_to_gguf.py recognises it as it recognises the real model's. Runs in the venv that
scripts/check-hf-convert.sh sets up (torch, safetensors, and gguf-py from the pinned llama.cpp source).

usage: make-hf-checkpoint.py --arch llama|qwen2|qwen3|phi3|ministral3|smollm3|granite|gemma3|bitnet|bitnet-2b4t --vocab ggml-vocab-X.gguf --out DIR
           [--dtype bf16|f16|f32] [--seed N] [--tied] [--shards N] [--rope-llama3] [--packed-ternary]

--packed-ternary writes the projections as BitNet's packed ternary weights (Falcon3-1.58bit's and
bitnet-b1.58-2B-4T's published layout, transformers' integrations/bitnet.py pack_weights): U8 [rows / 4, columns],
code + 1 of row r + k * rows / 4 in bits 2k of row r, a one-element BF16 `.weight_scale` (the inverse of the
magnitude), and quantization_config {"quant_method": "bitnet"}.
"""
import argparse
import json
import os
import struct
import sys

import numpy as np
import torch
from safetensors.torch import save_file

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from gguf_lite import Reader  # noqa: E402

# The pre-tokenizer sections of the families' published tokenizer.json files, by tokenizer.ggml.pre value.
LLAMA3_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                r"|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
               r"|\s*[\r\n]+|\s+(?!\S)|\s+")


def split_then_bytes(pattern):
    return {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": pattern}, "behavior": "Isolated", "invert": False},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]}


PRE = {
    "llama-bpe": (split_then_bytes(LLAMA3_SPLIT), None, True),
    "qwen2": (split_then_bytes(QWEN2_SPLIT), {"type": "NFC"}, False),
}

SHAPE = dict(hidden=256, ff=512, heads=4, kv_heads=2, layers=2, head_dim=64)


def field(reader, key):
    return reader.fields.get(key)


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def pb_field(number, wire, payload):
    """One protobuf field: wire 0 varint (payload int), 2 bytes, 5 fixed32 float."""
    if wire == 0:
        return varint(number << 3) + varint(payload)
    if wire == 5:
        return varint(number << 3 | 5) + struct.pack("<f", payload)
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def write_sentencepiece(r, out):
    """tokenizer.model (sentencepiece's ModelProto, encoded by hand: the sentencepiece wheel's generated module needs a
    newer protobuf than the reference converter pins) from an SPM vocab GGUF: pieces, scores and types, BPE with byte
    fallback, LLaMA's normalizer (dummy prefix, escaped whitespace)."""
    tokens = field(r, "tokenizer.ggml.tokens")
    scores = field(r, "tokenizer.ggml.scores")
    types = field(r, "tokenizer.ggml.token_type")
    # The SentencePiece model holds the base vocabulary: up to the first added (control or user-defined) token after
    # <unk> <s> </s>; the added ones go to tokenizer_config.json, ids the vocab file pads stay undefined.
    base = next((i for i in range(3, len(tokens)) if types[i] in (3, 4) or tokens[i].startswith("[PAD")), len(tokens))
    model = bytearray()
    for i in range(base):
        ty = 2 if i == 0 else 3 if i in (1, 2) else types[i]
        piece = pb_field(1, 2, tokens[i].encode("utf-8")) + pb_field(2, 5, scores[i]) + pb_field(3, 0, ty)
        model += pb_field(1, 2, piece)
    trainer = pb_field(3, 0, 2) + pb_field(4, 0, base) + pb_field(35, 0, 1)
    normalizer = pb_field(1, 2, b"identity") + pb_field(3, 0, 1) + pb_field(4, 0, 0) + pb_field(5, 0, 1)
    model += pb_field(2, 2, trainer) + pb_field(3, 2, normalizer)
    with open(os.path.join(out, "tokenizer.model"), "wb") as f:
        f.write(model)
    bos, eos = field(r, "tokenizer.ggml.bos_token_id"), field(r, "tokenizer.ggml.eos_token_id")
    decoder = {str(i): {"content": t, "special": ty == 3, "normalized": False}
               for i, (t, ty) in enumerate(zip(tokens, types)) if i >= base and ty in (3, 4)}
    config = {"tokenizer_class": "LlamaTokenizer", "bos_token": tokens[bos], "eos_token": tokens[eos],
              "unk_token": tokens[0], "add_bos_token": True, "add_eos_token": False, "model_max_length": 2048,
              "added_tokens_decoder": decoder,
              "chat_template": "{% for m in messages %}[INST] {{ m['content'] }} [/INST]{% endfor %}"}
    with open(os.path.join(out, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, ensure_ascii=False, indent=1)
    return len(tokens), bos, eos


def write_tokenizer(vocab_path, out):
    r = Reader(vocab_path)
    if field(r, "tokenizer.ggml.model") == "llama":
        return write_sentencepiece(r, out)
    pre = field(r, "tokenizer.ggml.pre")
    if pre not in PRE:
        sys.exit(f"make-hf-checkpoint: no tokenizer.json recipe for pre-tokenizer {pre!r} (have {sorted(PRE)})")
    pre_tokenizer, normalizer, ignore_merges = PRE[pre]
    tokens = field(r, "tokenizer.ggml.tokens")
    types = field(r, "tokenizer.ggml.token_type")
    merges = field(r, "tokenizer.ggml.merges")
    bos = field(r, "tokenizer.ggml.bos_token_id")
    eos = field(r, "tokenizer.ggml.eos_token_id")
    vocab, added = {}, []
    for i, (t, ty) in enumerate(zip(tokens, types)):
        if t.startswith("[PAD") and t.endswith("]"):
            continue  # ids the original tokenizer does not define; converters write [PAD<id>] for them
        if ty == 1:
            vocab[t] = i
        else:
            added.append({"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": ty == 3})
    if pre == "llama-bpe":
        bos_text = tokens[bos]
        post = {"type": "Sequence", "processors": [
            {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
            {"type": "TemplateProcessing",
             "single": [{"SpecialToken": {"id": bos_text, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
             "pair": [{"SpecialToken": {"id": bos_text, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                      {"SpecialToken": {"id": bos_text, "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
             "special_tokens": {bos_text: {"id": bos_text, "ids": [bos], "tokens": [bos_text]}}}]}
        chat_template = ("{% for m in messages %}<|start_header_id|>{{ m['role'] }}<|end_header_id|>\n\n"
                         "{{ m['content'] }}<|eot_id|>{% endfor %}")
    else:
        post = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}
        chat_template = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
                         "{% endfor %}")
    tok = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
           "normalizer": normalizer, "pre_tokenizer": pre_tokenizer, "post_processor": post,
           "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
           "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                     "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
                     "ignore_merges": ignore_merges, "vocab": vocab,
                     "merges": [m.split(" ") for m in merges]}}
    with open(os.path.join(out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False)
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": tokens[bos], "eos_token": tokens[eos],
              "model_max_length": 2048, "chat_template": chat_template, "clean_up_tokenization_spaces": False}
    with open(os.path.join(out, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, ensure_ascii=False, indent=1)
    return len(tokens), bos, eos


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arch", required=True,
                    choices=["llama", "qwen2", "qwen3", "phi3", "ministral3", "smollm3", "granite", "gemma3",
                             "bitnet", "bitnet-2b4t"])
    ap.add_argument("--vocab", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--dtype", default="bf16", choices=["bf16", "f16", "f32"])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tied", action="store_true")
    ap.add_argument("--shards", type=int, default=1)
    ap.add_argument("--rope-llama3", action="store_true", help="LLaMA 3.1's rope_scaling (adds rope_freqs.weight)")
    ap.add_argument("--longrope", action="store_true", help="phi3: Phi-3 128k's LongRoPE rope_scaling")
    ap.add_argument("--packed-ternary", action="store_true",
                    help="projections as packed ternary U8 weights with a .weight_scale (Falcon3-1.58bit's layout)")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    n_vocab, bos, eos = write_tokenizer(a.vocab, a.out)
    s = SHAPE
    H, FF, NH, NKV, L, HD = s["hidden"], s["ff"], s["heads"], s["kv_heads"], s["layers"], s["head_dim"]
    dtype = {"bf16": torch.bfloat16, "f16": torch.float16, "f32": torch.float32}[a.dtype]
    rng = np.random.default_rng(a.seed)

    def w(*shape, scale=0.02, offset=0.0):
        return torch.from_numpy((rng.standard_normal(shape) * scale + offset).astype(np.float32)).to(dtype)

    t = {"model.embed_tokens.weight": w(n_vocab, H), "model.norm.weight": w(H, offset=1.0)}
    if not a.tied:
        t["lm_head.weight"] = w(n_vocab, H)
    for i in range(L):
        p = f"model.layers.{i}."
        t[p + "input_layernorm.weight"] = w(H, offset=1.0)
        t[p + "post_attention_layernorm.weight"] = w(H, offset=1.0)
        if a.arch == "phi3":  # fused projections
            t[p + "self_attn.qkv_proj.weight"] = w((NH + 2 * NKV) * HD, H)
            t[p + "mlp.gate_up_proj.weight"] = w(2 * FF, H)
        else:
            t[p + "self_attn.q_proj.weight"] = w(NH * HD, H)
            t[p + "self_attn.k_proj.weight"] = w(NKV * HD, H)
            t[p + "self_attn.v_proj.weight"] = w(NKV * HD, H)
            t[p + "mlp.gate_proj.weight"] = w(FF, H)
            t[p + "mlp.up_proj.weight"] = w(FF, H)
        t[p + "self_attn.o_proj.weight"] = w(H, NH * HD)
        t[p + "mlp.down_proj.weight"] = w(H, FF)
        if a.arch == "qwen2":
            for n, rows in (("q", NH * HD), ("k", NKV * HD), ("v", NKV * HD)):
                t[p + f"self_attn.{n}_proj.bias"] = w(rows, scale=0.1)
        if a.arch == "qwen3":
            t[p + "self_attn.q_norm.weight"] = w(HD, offset=1.0)
            t[p + "self_attn.k_norm.weight"] = w(HD, offset=1.0)
        if a.arch == "gemma3":  # Gemma stores each norm as w - 1 (its RMSNorm multiplies by 1 + w)
            for n in ("input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm",
                      "post_feedforward_layernorm"):
                t[p + n + ".weight"] = w(H, scale=0.2)
            t[p + "self_attn.q_norm.weight"] = w(HD, scale=0.2)
            t[p + "self_attn.k_norm.weight"] = w(HD, scale=0.2)
        if a.arch == "bitnet":  # 1bitLLM/bitnet_b1_58 names (what llama.cpp's converter maps)
            t[p + "self_attn.inner_attn_ln.weight"] = w(H, offset=1.0)
            t[p + "mlp.ffn_layernorm.weight"] = w(FF, offset=1.0)
        if a.arch == "bitnet-2b4t":  # microsoft/bitnet-b1.58-2B-4T-bf16 names
            t[p + "self_attn.attn_sub_norm.weight"] = w(H, offset=1.0)
            t[p + "mlp.ffn_sub_norm.weight"] = w(FF, offset=1.0)

    hf_arch = {"llama": "LlamaForCausalLM", "qwen2": "Qwen2ForCausalLM", "qwen3": "Qwen3ForCausalLM",
               "phi3": "Phi3ForCausalLM", "ministral3": "Ministral3ForCausalLM",
               "smollm3": "SmolLM3ForCausalLM", "granite": "GraniteForCausalLM",
               "gemma3": "Gemma3ForCausalLM",
               "bitnet": "BitnetForCausalLM", "bitnet-2b4t": "BitNetForCausalLM"}[a.arch]
    config = {"architectures": [hf_arch], "model_type": "bitnet" if a.arch.startswith("bitnet") else a.arch, "hidden_size": H, "intermediate_size": FF,
              "num_attention_heads": NH, "num_key_value_heads": NKV, "num_hidden_layers": L,
              "rms_norm_eps": 1e-5 if a.arch != "qwen2" else 1e-6, "rope_theta": 10000.0 if a.arch == "llama" else 1e6,
              "max_position_embeddings": 4096, "vocab_size": n_vocab, "tie_word_embeddings": a.tied,
              "hidden_act": "relu2" if a.arch == "bitnet-2b4t" else "silu", "torch_dtype": {
                  "bf16": "bfloat16", "f16": "float16", "f32": "float32"}[a.dtype],
              "bos_token_id": bos, "eos_token_id": eos}
    if a.arch == "qwen3":
        config["head_dim"] = HD
    if a.arch == "gemma3":  # Gemma 3 1B's layout: wide heads, local layers with their own RoPE base, tied head
        # 8 embedding rows beyond the tokenizer (as Gemma 3's multimodal checkpoints carry): converters drop them
        t["model.embed_tokens.weight"] = torch.cat([t["model.embed_tokens.weight"], w(8, H)])
        config.update(model_type="gemma3_text", head_dim=HD, query_pre_attn_scalar=HD, sliding_window=8,
                      sliding_window_pattern=2, rope_local_base_freq=10000.0, rope_theta=1e6,
                      hidden_activation="gelu_pytorch_tanh", max_position_embeddings=4096)
        del config["hidden_act"]
    if a.arch == "granite":  # Granite's multipliers; its converter drops head_dim
        config.update(attention_multiplier=0.015625, embedding_multiplier=12.0, residual_multiplier=0.22,
                      logits_scaling=8.0, head_dim=HD)
    if a.arch == "smollm3":  # SmolLM3's config.json names its RoPE-less blocks (llama.cpp fixes every 4th)
        config["no_rope_layer_interval"] = 4
        config["no_rope_layers"] = [int((i + 1) % 4 != 0) for i in range(L)]
    if a.arch == "ministral3":  # Ministral 3's rope_parameters: YaRN, its log multiplier, Llama 4's temperature
        config["head_dim"] = HD
        config["rope_parameters"] = {"rope_type": "yarn", "type": "yarn", "factor": 16.0, "rope_theta": 1e6,
                                     "original_max_position_embeddings": 16, "beta_fast": 32.0, "beta_slow": 1.0,
                                     "mscale": 1.0, "mscale_all_dim": 1.0, "llama_4_scaling_beta": 0.1}
        del config["rope_theta"]
    if a.arch == "phi3":
        config["original_max_position_embeddings"] = 4096
        config["sliding_window"] = 2047
        if a.longrope:
            config["max_position_embeddings"] = 131072
            config["rope_scaling"] = {"type": "longrope",
                                      "long_factor": [1.0 + 0.37 * i for i in range(HD // 2)],
                                      "short_factor": [1.0 + 0.01 * i * i for i in range(HD // 2)]}
    if a.rope_llama3:
        config["rope_theta"] = 500000.0
        config["rope_scaling"] = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                  "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}
    if a.arch.startswith("bitnet"):
        config["rope_theta"] = 500000.0
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(config, f, indent=1)

    if a.packed_ternary:
        projections = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
        for name in [n for n in t if n.endswith(".weight") and n.split(".")[-2] in projections]:
            rows, cols = t[name].shape
            codes = rng.integers(0, 3, size=(rows, cols), dtype=np.uint8)  # ternary value + 1
            packed = np.zeros((rows // 4, cols), dtype=np.uint8)
            for k in range(4):
                packed |= codes[k * rows // 4:(k + 1) * rows // 4] << (2 * k)
            t[name] = torch.from_numpy(packed)
            t[name + "_scale"] = torch.tensor([rng.uniform(20.0, 60.0)], dtype=torch.float32).to(torch.bfloat16)
        config["quantization_config"] = {"quant_method": "bitnet", "linear_class": "autobitlinear",
                                         "quantization_mode": "offline"}
        if a.arch == "llama":  # Falcon3-1.58bit's config.json also sets these
            config["head_dim"] = HD
            config["rope_theta"] = 1000042.0
        with open(os.path.join(a.out, "config.json"), "w") as f:
            json.dump(config, f, indent=1)

    names = list(t)
    if a.shards <= 1:
        save_file(t, os.path.join(a.out, "model.safetensors"), metadata={"format": "pt"})
    else:
        per = (len(names) + a.shards - 1) // a.shards
        index = {"metadata": {"total_size": sum(x.numel() * x.element_size() for x in t.values())}, "weight_map": {}}
        for k in range(a.shards):
            part = f"model-{k + 1:05d}-of-{a.shards:05d}.safetensors"
            chunk = {n: t[n] for n in names[k * per:(k + 1) * per]}
            save_file(chunk, os.path.join(a.out, part), metadata={"format": "pt"})
            index["weight_map"].update({n: part for n in chunk})
        with open(os.path.join(a.out, "model.safetensors.index.json"), "w") as f:
            json.dump(index, f, indent=1)
    print(f"wrote {a.out}: {hf_arch}, {len(t)} tensors ({a.dtype}), vocab {n_vocab}")


if __name__ == "__main__":
    main()
