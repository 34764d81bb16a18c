#!/usr/bin/env python3
"""Generate the small binary fixtures Tests/KernelsTests reads (run once; the outputs are committed).

Uses the `gguf` Python package (0.19.0), whose quantizers and dequantizers reproduce llama.cpp's reference
implementations bit for bit. Deterministic: fixed seed, so re-running gives identical files.

    python3 scripts/gen-kernel-fixtures.py            # writes Tests/KernelsTests/Fixtures/*.bin

Files (all little-endian):
  source.f32.bin           512 float32 inputs (normal values, plus one block of exact half-way cases)
  <type>.quant.bin         source quantized by gguf (f16, bf16, q4_0, q4_1, q5_0, q8_0)
  <type>.quant.bin         random but well-formed blocks (q4_k, q6_k: gguf can only dequantize these)
  <type>.dequant.f32.bin   gguf's dequantization of <type>.quant.bin
  q8_1.quant.bin           source through quantize_row_q8_1_ref, written out below with numpy (gguf has no Q8_1)
"""
import pathlib

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import quants

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "KernelsTests" / "Fixtures"
rng = np.random.default_rng(20240606)


def source() -> np.ndarray:
    x = rng.standard_normal(512).astype(np.float32) * np.float32(0.7)
    x[64:96] = 0  # an all-zero block
    # amax 127 → d = 1: every k + 0.5 is a rounding tie (reference rounds away from zero, ggml-cpu to even).
    ties = np.arange(-15.5, 16.5, 1.0, dtype=np.float32)[:31]
    x[96:128] = np.concatenate([[np.float32(127)], ties])
    return x


def q8_1_reference(x: np.ndarray) -> bytes:
    out = bytearray()
    for block in x.reshape(-1, 32):
        amax = np.float32(np.abs(block).max())
        d = np.float32(amax / np.float32(127))
        inv = np.float32(1) / d if d != 0 else np.float32(0)
        qs = quants.np_roundf(block * inv).astype(np.int8)
        s = np.float32(np.float32(int(qs.astype(np.int32).sum())) * d)
        out += np.float16(d).tobytes() + np.float16(s).tobytes() + qs.tobytes()
    return bytes(out)


def random_k_blocks(qtype: T, n_blocks: int) -> np.ndarray:
    size = {T.Q4_K: 144, T.Q6_K: 210}[qtype]
    raw = rng.integers(0, 256, size=(n_blocks, size), dtype=np.uint8)
    scales = (rng.random((n_blocks, 2)) * 0.01 + 0.001).astype(np.float16).view(np.uint8)
    if qtype == T.Q4_K:
        raw[:, 0:4] = scales  # d, dmin
    else:
        raw[:, 208:210] = scales[:, 0:2]  # d
    return raw


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    x = source()
    (OUT / "source.f32.bin").write_bytes(x.tobytes())
    for name, qtype in [("f16", T.F16), ("bf16", T.BF16), ("q4_0", T.Q4_0), ("q4_1", T.Q4_1),
                        ("q5_0", T.Q5_0), ("q8_0", T.Q8_0)]:
        if qtype == T.F16:
            q = x.astype(np.float16).view(np.uint8)
        else:
            q = quants.quantize(x.reshape(1, -1), qtype)
        (OUT / f"{name}.quant.bin").write_bytes(q.tobytes())
        deq = quants.dequantize(q, qtype).astype(np.float32)
        (OUT / f"{name}.dequant.f32.bin").write_bytes(deq.tobytes())
    for name, qtype in [("q4_k", T.Q4_K), ("q6_k", T.Q6_K)]:
        q = random_k_blocks(qtype, 4)
        (OUT / f"{name}.quant.bin").write_bytes(q.tobytes())
        deq = quants.dequantize(q.reshape(1, -1), qtype).astype(np.float32)
        (OUT / f"{name}.dequant.f32.bin").write_bytes(deq.tobytes())
    (OUT / "q8_1.quant.bin").write_bytes(q8_1_reference(x))


if __name__ == "__main__":
    main()
